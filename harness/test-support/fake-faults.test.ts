/** The in-memory fake keeps the contract the targets keep: a core, capabilities, their leftovers. */
import { describe, expect, it } from 'vitest';
import { capabilityLeftovers, CAPABILITY_NAMES } from '../../cluster/index.ts';
import { FakeFaults } from './fake-faults.ts';

describe('the fake cluster', () => {
  it('has every capability but those it is told to do without', () => {
    expect(Object.keys(new FakeFaults().capabilities).sort()).toEqual([...CAPABILITY_NAMES].sort());
    expect(Object.keys(new FakeFaults(['node1', 'node2'], 'node1', { without: ['disk-fill', 'clock'] }).capabilities)).not.toContain('disk-fill');
  });

  it('records what a capability does as the fake call, and names what is left until it is undone', async () => {
    const cluster = new FakeFaults();
    const { freeze, 'network-shape': shape, 'app-dns': dns } = cluster.capabilities;
    await freeze!.pause('node1');
    await shape!.shapeNetwork('node2', { lossPct: 5 });
    await dns!.blockAppDns();
    expect(cluster.calls).toEqual(['pause node1', 'shapeNetwork node2 {"lossPct":5}', 'blockAppDns']);
    expect(freeze!.describe('node1')).toBe('fake freeze node1');
    expect(await capabilityLeftovers(cluster, ['node1', 'node2', 'node3'])).toEqual(['node1 is paused', 'node2 still has firewall rules of a network shape', "the app's DNS is still blocked"]);
    await freeze!.unpause('node1');
    await shape!.unshapeNetwork('node2');
    await dns!.unblockAppDns();
    expect(await capabilityLeftovers(cluster, ['node1', 'node2', 'node3'])).toEqual([]);
  });
});
