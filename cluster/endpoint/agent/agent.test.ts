import { describe, expect, it } from 'vitest';
import type { ContainerState, ContainerSummary } from '../../docker/docker-client.ts';
import { endpointChanges } from '../../watcher.ts';
import { parseAgentLog } from './agent-log.ts';
import { ConfinedEngine, NotOurClusterError, type AgentEngine } from './engine-socket.ts';

const ours = { 'io.flipdrill.project': 'flipdrill', 'io.flipdrill.cluster': 'alpha' };

/** An engine that records what was asked of it; containers and networks with the labels given. */
function fakeEngine(containers: Record<string, Record<string, string>>, networks: Record<string, Record<string, string>>) {
  const calls: string[] = [];
  const engine: AgentEngine = {
    async inspectContainer(name) {
      const labels = containers[name];
      return labels ? ({ name, id: name, running: true, paused: false, status: 'running', networks: {}, labels, env: {}, image: 'x' } satisfies ContainerState) : undefined;
    },
    async listContainers(): Promise<ContainerSummary[]> {
      return [];
    },
    async networkLabels(network) {
      return networks[network];
    },
    async connectNetwork(network, container) {
      calls.push(`connect ${container} ${network}`);
    },
    async disconnectNetwork(network, container) {
      calls.push(`disconnect ${container} ${network}`);
    },
    async exec(container, cmd) {
      calls.push(`exec ${container} ${cmd.join(' ')}`);
      return { exitCode: 0, stdout: '', stderr: '' };
    },
  };
  return { engine, calls };
}

describe('the endpoint agent is confined to its own cluster', () => {
  const { engine, calls } = fakeEngine(
    { 'alpha-node1': ours, 'beta-node1': { ...ours, 'io.flipdrill.cluster': 'beta' }, 'someone-else': {} },
    { 'alpha-front': ours, 'beta-front': { ...ours, 'io.flipdrill.cluster': 'beta' }, bridge: {} },
  );
  const confined = new ConfinedEngine(engine, 'alpha');

  it('connects and disconnects its own containers on its own networks', async () => {
    await confined.disconnectNetwork('alpha-front', 'alpha-node1');
    await confined.connectNetwork('alpha-front', 'alpha-node1', { ipv4Address: '10.0.0.11', aliases: ['node1'] });
    expect(calls).toEqual(['disconnect alpha-node1 alpha-front', 'connect alpha-node1 alpha-front']);
  });

  it("refuses another cluster's container, an unlabelled one, a missing one, and networks not its own", async () => {
    calls.length = 0;
    await expect(confined.disconnectNetwork('alpha-front', 'beta-node1')).rejects.toThrow(NotOurClusterError);
    await expect(confined.disconnectNetwork('alpha-front', 'someone-else')).rejects.toThrow(/not labelled as part of cluster alpha/);
    await expect(confined.connectNetwork('alpha-front', 'nobody', { ipv4Address: '10.0.0.1', aliases: [] })).rejects.toThrow(NotOurClusterError);
    await expect(confined.connectNetwork('beta-front', 'alpha-node1', { ipv4Address: '10.0.0.1', aliases: [] })).rejects.toThrow(/network beta-front/);
    await expect(confined.disconnectNetwork('bridge', 'alpha-node1')).rejects.toThrow(/network bridge/);
    await expect(confined.disconnectNetwork('unknown', 'alpha-node1')).rejects.toThrow(NotOurClusterError);
    expect(calls).toEqual([]);
  });

  it('runs the address listing in its own nodes and nothing else', async () => {
    calls.length = 0;
    await confined.exec('alpha-node1', ['ip', '-o', '-4', 'addr', 'show']);
    await expect(confined.exec('alpha-node1', ['bash', '-c', 'id'])).rejects.toThrow(/only lists addresses/);
    await expect(confined.exec('alpha-node1', ['ip', '-o', '-4', 'addr', 'show', ';', 'id'])).rejects.toThrow(NotOurClusterError);
    await expect(confined.exec('beta-node1', ['ip', '-o', '-4', 'addr', 'show'])).rejects.toThrow(NotOurClusterError);
    expect(calls).toEqual(['exec alpha-node1 ip -o -4 addr show']);
  });
});

describe("the agent's log, read back", () => {
  it('yields every move, fence, unfence and failed tick with its time and reason, and skips everything else', () => {
    const lines = [
      '{"level":30,"time":1000,"msg":"endpoint agent for cluster alpha: keeping pg-primary on the primary"}',
      '{"level":30,"time":2000,"component":"endpoint-controller","node":"node2","action":"move","durationMs":180,"msg":"node2 is primary (timeline 2): moving it to node2"}',
      '{"level":30,"time":2500,"component":"endpoint-controller","node":"node1","action":"fence","durationMs":70,"msg":"node1 is down"}',
      'not json at all',
      '{"level":30,"time":2600,"component":"other","action":"move","msg":"not the controller"}',
      '{"level":40,"time":3000,"component":"endpoint-controller","err":"docker: timeout","msg":"endpoint controller tick failed"}',
      '{"level":30,"time":4000,"component":"endpoint-controller","node":"node1","action":"unfence","durationMs":60,"msg":"node1 is a standby again"}',
      '{"level":30,"time":"x","component":"endpoint-controller","node":"node1","action":"move","msg":"no time"}',
    ].join('\n');
    expect(parseAgentLog(lines)).toEqual([
      { at: 2000, action: 'move', node: 'node2', reason: 'node2 is primary (timeline 2): moving it to node2', durationMs: 180 },
      { at: 2500, action: 'fence', node: 'node1', reason: 'node1 is down', durationMs: 70 },
      { at: 3000, action: 'error', reason: 'docker: timeout', durationMs: 0 },
      { at: 4000, action: 'unfence', node: 'node1', reason: 'node1 is a standby again', durationMs: 60 },
    ]);
  });
});

describe('what the watcher sees change', () => {
  it('reports nothing on the first look, then moves, fences and unfences between two looks', () => {
    expect(endpointChanges('pg-primary', undefined, { holder: 'node1', reachable: ['node1', 'node2'] }, 1)).toEqual([]);
    const changes = endpointChanges('pg-primary', { holder: 'node1', reachable: ['node1', 'node2'] }, { holder: 'node2', reachable: ['node2'] }, 5);
    expect(changes.map((c) => `${c.action} ${c.node}`)).toEqual(['fence node1', 'move node2']);
    expect(changes.every((c) => c.at === 5)).toBe(true);
    expect(endpointChanges('pg-primary', { holder: 'node2', reachable: ['node2'] }, { holder: 'node2', reachable: ['node2', 'node1'] }, 9).map((c) => `${c.action} ${c.node}`)).toEqual(['unfence node1']);
  });

  it('does not call a lost holder a move: the endpoint seen nowhere, then on node2, is one move', () => {
    expect(endpointChanges('pg-primary', { holder: 'node1', reachable: ['node1', 'node2'] }, { reachable: ['node2'] }, 2).map((c) => c.action)).toEqual(['fence']);
    const move = endpointChanges('pg-primary', { reachable: ['node2'] }, { holder: 'node2', reachable: ['node2'] }, 3);
    expect(move).toEqual([{ at: 3, action: 'move', node: 'node2', reason: 'pg-primary seen on node2 (was nowhere)' }]);
  });
});
