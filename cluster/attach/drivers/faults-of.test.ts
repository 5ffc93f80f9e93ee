/**
 * A foreign cluster's faults from its nodes' drivers: each call goes to the named node's driver;
 * the capabilities are those every node has; what a node lacks is listed, and refused by name when
 * asked for; a one-way partition drops the other nodes' addresses. Against stand-in drivers.
 */
import { describe, expect, it } from 'vitest';
import { capabilityLeftovers } from '../../target.ts';
import { faultsOf } from './faults-of.ts';
import type { NodeCapabilities, NodeDriver } from './node-driver.ts';

/** A driver that records what it is asked to do, with every core method and the given capabilities. */
function recording(name: string, calls: string[], options: { addresses?: string[]; capabilities?: (keyof NodeCapabilities)[]; core?: boolean; left?: string[] } = {}): NodeDriver {
  const did = (what: string) => async () => void calls.push(`${name} ${what}`);
  const leftovers = async () => options.left ?? [];
  const all: NodeCapabilities = {
    freeze: { describe: () => `freeze ${name}`, pause: did('pause'), unpause: did('unpause'), leftovers },
    partition: { describe: () => `partition ${name}`, partition: did('partition'), heal: did('heal'), leftovers },
    'one-way-partition': {
      describe: () => `one-way ${name}`,
      partitionOneWay: async (peers) => void calls.push(`${name} one-way from ${peers.join(' ')}`),
      healOneWay: did('heal one-way'),
      leftovers,
    },
    'network-shape': { describe: (s) => `shape ${name} ${s.delayMs}`, shapeNetwork: async (s) => void calls.push(`${name} shape ${s.delayMs}`), unshapeNetwork: did('unshape'), leftovers },
  };
  const wanted = options.capabilities ?? (Object.keys(all) as (keyof NodeCapabilities)[]);
  return {
    kind: 'docker',
    where: `container ${name}`,
    addresses: async () => options.addresses ?? [],
    core:
      options.core === false
        ? { describe: (fault) => (fault === 'kill' ? `kill ${name}` : undefined), kill: did('kill') }
        : {
            describe: (fault, signal) => `${fault} ${name}${signal ? ` ${signal}` : ''}`,
            kill: async (signal) => void calls.push(`${name} kill ${signal ?? 'SIGKILL'}`),
            stop: did('stop'),
            start: did('start'),
            exec: async (cmd) => ({ exitCode: 0, stdout: `${name}: ${cmd.join(' ')}`, stderr: '' }),
            isRunning: async () => true,
          },
    capabilities: Object.fromEntries(wanted.map((c) => [c, all[c]])),
  };
}

describe("a foreign cluster's faults", () => {
  it("route each call to the named node's driver", async () => {
    const calls: string[] = [];
    const faults = faultsOf([
      { name: 'pg1', driver: recording('pg1', calls) },
      { name: 'pg2', driver: recording('pg2', calls) },
    ]);
    await faults.kill('pg2', 'SIGTERM');
    await faults.stopNode('pg1');
    await faults.startNode('pg1');
    await faults.capabilities.freeze!.pause('pg2');
    await faults.capabilities.partition!.heal('pg1');
    await faults.capabilities['network-shape']!.shapeNetwork('pg1', { delayMs: 50 });
    expect(calls).toEqual(['pg2 kill SIGTERM', 'pg1 stop', 'pg1 start', 'pg2 pause', 'pg1 heal', 'pg1 shape 50']);
    expect(await faults.exec('pg1', ['true'])).toEqual({ exitCode: 0, stdout: 'pg1: true', stderr: '' });
    expect(await faults.isRunning('pg2')).toBe(true);
    expect(faults.describeFault('kill', 'pg1', 'SIGKILL')).toBe('kill pg1 SIGKILL');
    expect(faults.capabilities.freeze!.describe('pg2')).toBe('freeze pg2');
    expect(faults.driver).toBe('a cluster flipdrill did not build: pg1 by docker (container pg1), pg2 by docker (container pg2)');
    expect(faults.lacking).toEqual([]);
  });

  it('have the capabilities every node has, and list what each node lacks', () => {
    const calls: string[] = [];
    const faults = faultsOf([
      { name: 'pg1', driver: recording('pg1', calls) },
      { name: 'pg2', driver: recording('pg2', calls, { capabilities: ['freeze', 'partition'] }) },
      { name: 'pg3', driver: recording('pg3', calls, { capabilities: ['freeze'], core: false }) },
    ]);
    expect(Object.keys(faults.capabilities)).toEqual(['freeze']);
    expect(faults.lacking).toEqual([
      'pg2 (container pg2): no one-way-partition, no network-shape',
      'pg3 (container pg3): no stop, no start, no exec, no way to say whether it runs, no partition, no one-way-partition, no network-shape',
    ]);
    expect(Object.keys(faultsOf([]).capabilities)).toEqual([]);
  });

  it('refuse a core fault a node cannot take, by name, and say so in its description', async () => {
    const faults = faultsOf([{ name: 'pg3', driver: recording('pg3', [], { core: false }) }]);
    await expect(faults.stopNode('pg3')).rejects.toThrow('pg3 (container pg3) cannot stop: its docker driver has no way to');
    await expect(faults.isRunning('pg3')).rejects.toThrow('pg3 (container pg3) cannot say whether it runs');
    expect(faults.describeFault('stop', 'pg3')).toBe("nothing: pg3's docker driver cannot stop it");
    expect(faults.describeFault('kill', 'pg3')).toBe('kill pg3');
  });

  it('refuse a node that is not in the cluster, and two nodes of one name', async () => {
    const faults = faultsOf([{ name: 'pg1', driver: recording('pg1', []) }]);
    await expect(faults.kill('pg9')).rejects.toThrow('no node named "pg9" (the nodes: pg1)');
    expect(() => faultsOf([{ name: 'pg1', driver: recording('pg1', []) }, { name: 'pg1', driver: recording('pg1', []) }])).toThrow('two nodes have the same name');
  });

  it("drop the other nodes' addresses in a one-way partition: what their drivers know and what the cluster file adds", async () => {
    const calls: string[] = [];
    const faults = faultsOf([
      { name: 'pg1', driver: recording('pg1', calls, { addresses: ['10.0.0.11'] }) },
      { name: 'pg2', driver: recording('pg2', calls, { addresses: ['10.0.0.12', '10.0.1.12'] }), addresses: ['10.0.0.12'] },
      { name: 'pg3', driver: recording('pg3', calls), addresses: ['10.0.0.13'] },
    ]);
    await faults.capabilities['one-way-partition']!.partitionOneWay('pg1');
    expect(calls).toEqual(['pg1 one-way from 10.0.0.12 10.0.1.12 10.0.0.13']);
  });

  it("find each node's leftovers in the nodes' order", async () => {
    const faults = faultsOf([
      { name: 'pg1', driver: recording('pg1', [], { left: ['pg1 is paused'] }) },
      { name: 'pg2', driver: recording('pg2', []) },
    ]);
    expect(await faults.capabilities.freeze!.leftovers(['pg2', 'pg1'])).toEqual(['pg1 is paused']);
    expect(await capabilityLeftovers(faults, ['pg1'])).toEqual(['pg1 is paused', 'pg1 is paused', 'pg1 is paused', 'pg1 is paused']);
  });

  it("call a driver's core as its own method", async () => {
    const core = {
      prefix: 'pg1',
      describe: () => 'kill',
      async kill(this: { prefix: string }) {
        calls.push(`${this.prefix} killed`);
      },
    };
    const calls: string[] = [];
    const driver: NodeDriver = { kind: 'ssh', where: 'x', addresses: async () => [], core, capabilities: {} };
    await faultsOf([{ name: 'pg1', driver }]).kill('pg1');
    expect(calls).toEqual(['pg1 killed']);
  });
});
