/**
 * What machines can do beyond the core: freeze, the partitions, the network shape and the
 * switchover, each over SSH with what it left looked for there; nothing of a resolver, a disk or a
 * clock flipdrill did not make. Against a stand-in for SSH.
 */
import { describe, expect, it } from 'vitest';
import { shapeLeftScript } from '../net-shape.ts';
import { ONE_WAY_CHAIN } from '../target.ts';
import { machineCapabilities, type MachineNodes } from './faults.ts';

function machines(probe: (node: string, script: string) => { exitCode: number; stdout?: string }) {
  const ran: string[] = [];
  const on: MachineNodes = {
    run: async (node, script) => {
      ran.push(`${node}: ${script}`);
      return '';
    },
    probe: async (node, script) => ({ stdout: '', stderr: '', ...probe(node, script) }),
    where: (node) => `root@10.0.0.1 (${node})`,
    peerAddresses: (node) => ['10.0.0.11', '10.0.0.12', '10.0.0.13'].filter((_, i) => `node${i + 1}` !== node),
  };
  return { capabilities: machineCapabilities(on), ran };
}

describe('the capabilities of machines', () => {
  it('are freeze, the partitions, the network shape and the switchover', () => {
    expect(Object.keys(machines(() => ({ exitCode: 1 })).capabilities).sort()).toEqual(['freeze', 'network-shape', 'one-way-partition', 'partition', 'switchover']);
  });

  it('cut a node off from the other nodes by their addresses, SSH still passing', async () => {
    const { capabilities, ran } = machines(() => ({ exitCode: 1 }));
    await capabilities.partition.partition('node1');
    expect(ran[0]).toContain('iptables -w -A FLIPDRILL-PARTITION -p tcp --dport 22 -j ACCEPT\niptables -w -A FLIPDRILL-PARTITION -s 10.0.0.12/32 -j DROP\niptables -w -A FLIPDRILL-PARTITION -s 10.0.0.13/32 -j DROP');
    expect(capabilities.partition.describe('node1')).toBe('iptables on root@10.0.0.1 (node1): drop everything from the other nodes and every PostgreSQL connection (SSH still passes)');
  });

  it('name what they left: a frozen postmaster, the chains, a shape', async () => {
    const { capabilities } = machines((node, script) => {
      if (node !== 'node2') return { exitCode: 1 };
      if (script === shapeLeftScript()) return { exitCode: 0, stdout: 'the delay process\n' };
      return { exitCode: 0 };
    });
    const nodes = ['node1', 'node2'];
    const { freeze, partition, 'one-way-partition': oneWay, 'network-shape': shape } = capabilities;
    expect([...(await freeze.leftovers(nodes)), ...(await partition.leftovers(nodes)), ...(await oneWay.leftovers(nodes)), ...(await shape.leftovers(nodes))]).toEqual([
      'node2 is frozen (its postmaster is stopped)',
      "node2 still has the partition's firewall rules",
      "node2 still has the one-way partition's firewall rules",
      'node2 still has the delay process',
    ]);
  });

  it('find a chain by its name', async () => {
    const asked: string[] = [];
    const { capabilities } = machines((_, script) => {
      asked.push(script);
      return { exitCode: 1 };
    });
    expect(await capabilities['one-way-partition'].leftovers(['node1'])).toEqual([]);
    expect(asked).toEqual([`iptables -w -S ${ONE_WAY_CHAIN} >/dev/null 2>&1`]);
  });
});
