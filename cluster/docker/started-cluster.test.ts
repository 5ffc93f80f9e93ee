/**
 * A Docker cluster's capabilities: all of them, but the disk fill only with a size-limited data
 * file system and the clock only with a fake clock; each names what it left, and a stopped node
 * has nothing left in its network namespace. Against a stand-in engine: no Docker.
 */
import { describe, expect, it } from 'vitest';
import type { ContainerState } from './container-state.ts';
import type { DockerClient, ExecResult } from './docker-client.ts';
import { silentLogger } from '../lib/logger.ts';
import { shapeLeftScript } from '../net-shape.ts';
import { defineCluster, names, type ClusterOptions } from '../spec.ts';
import { capabilityLeftovers, CAPABILITY_NAMES, ONE_WAY_CHAIN } from '../target.ts';
import { StartedCluster } from './started-cluster.ts';

const credentials = {
  superuser: { user: 'postgres', password: 'x', database: 'postgres' },
  repmgrPassword: 'x',
  app: { user: 'flipdrill_app', password: 'x', database: 'flipdrill' },
};

/** A cluster whose node containers are as given (running, on both networks, unless changed); no app, no helper. */
function clusterWith(options: ClusterOptions, change: Record<string, Partial<ContainerState>> = {}, exec: (container: string, cmd: string[]) => ExecResult = () => ({ exitCode: 0, stdout: '', stderr: '' })) {
  const spec = defineCluster(options);
  const networks = { [names.backNetwork(spec)]: { ipv4Address: '', aliases: [] }, [names.frontNetwork(spec)]: { ipv4Address: '', aliases: [] } };
  const docker = {
    engine: { kind: 'unix', socketPath: '/var/run/docker.sock', fromDockerHost: false },
    inspectContainer: async (name: string): Promise<ContainerState | undefined> => {
      if (!spec.nodes.some((n) => names.container(spec, n.name) === name)) return undefined;
      return { name, id: name, running: true, paused: false, status: 'running', networks, labels: {}, env: {}, image: 'node', ...change[name] };
    },
    exec: async (container: string, cmd: string[]) => exec(container, cmd),
  } as unknown as DockerClient;
  return new StartedCluster(spec, credentials, docker, silentLogger);
}

describe('a Docker cluster as a drill target', () => {
  it('says what it is, and has every capability but the disk fill, the disk faults and the clock, which need a cluster started for them', () => {
    const plain = clusterWith({ name: 'fdcaps' });
    expect(plain.driver).toBe('Docker cluster "fdcaps"');
    expect(Object.keys(plain.capabilities).sort()).toEqual(CAPABILITY_NAMES.filter((c) => c !== 'disk-fill' && c !== 'disk-fault' && c !== 'clock').sort());
    const sized = clusterWith({ name: 'fdcaps', dataFsMb: 256, fakeClock: true });
    expect(Object.keys(sized.capabilities).sort()).toEqual(CAPABILITY_NAMES.filter((c) => c !== 'disk-fault').sort());
    const full = clusterWith({ name: 'fdcaps', dataFsMb: 256, faultFs: true, fakeClock: true });
    expect(Object.keys(full.capabilities).sort()).toEqual([...CAPABILITY_NAMES].sort());
  });

  it('records each fault as the command that does it', () => {
    const cluster = clusterWith({ name: 'fdcaps' });
    expect(cluster.describeFault('kill', 'node1', 'SIGTERM')).toBe('docker kill --signal SIGTERM fdcaps-node1');
    expect(cluster.describeFault('stop', 'node2')).toBe('docker stop fdcaps-node2 (SIGTERM, fast shutdown)');
    expect(cluster.capabilities.freeze!.describe('node1')).toBe('docker pause fdcaps-node1');
    expect(cluster.capabilities.partition!.describe('node1')).toBe('docker network disconnect fdcaps-node1 from the replication and application networks');
    expect(cluster.capabilities['one-way-partition']!.describe('node2')).toBe('iptables in fdcaps-node2: drop every packet from the other nodes; the app and the host still reach it');
    expect(cluster.capabilities['network-shape']!.describe('node1', { delayMs: 100 })).toBe("node1's links: 100 ms delay on every packet it sends (iptables and an NFQUEUE in its network namespace)");
  });

  it("names what each capability left: a paused node, one off the replication network, firewall rules, a shape, a skewed clock", async () => {
    const cluster = clusterWith(
      { name: 'fdcaps', fakeClock: true },
      { 'fdcaps-node1': { paused: true }, 'fdcaps-node3': { networks: {} } },
      (container, cmd) => {
        const out = (stdout: string) => ({ exitCode: 0, stdout, stderr: '' });
        if (container !== 'fdcaps-node2') return out('');
        if (cmd.join(' ') === 'iptables -w -S') return out(`-N ${ONE_WAY_CHAIN}\n`);
        if (cmd.at(-1) === shapeLeftScript()) return out('firewall rules of a network shape\nthe delay process\n');
        if (cmd[0] === 'sh') return out('+30\n');
        return out('');
      },
    );
    expect(await capabilityLeftovers(cluster, ['node1', 'node2', 'node3'])).toEqual([
      'node1 is paused',
      'node3 is off the replication network',
      "node2 still has the one-way partition's firewall rules",
      'node2 still has firewall rules of a network shape',
      'node2 still has the delay process',
      "node2's clock is still skewed (+30 s)",
    ]);
  });

  it('looks into no stopped node', async () => {
    const execs: string[] = [];
    const cluster = clusterWith({ name: 'fdcaps', fakeClock: true }, { 'fdcaps-node2': { running: false, status: 'exited' } }, (container, cmd) => {
      execs.push(`${container} ${cmd.join(' ')}`);
      return { exitCode: 0, stdout: '', stderr: '' };
    });
    expect(await capabilityLeftovers(cluster, ['node2'])).toEqual([]);
    expect(execs).toEqual([]);
  });
});
