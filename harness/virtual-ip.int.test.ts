/**
 * The virtual-IP endpoint in containers: the application network has an explicit subnet, Docker
 * allocates from its first half only, and the virtual IP is the last address of the second half.
 * The promote hook takes it (with gratuitous ARP) on the new primary; the app writes to it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attachCluster, createLogger, removeClusters, waitFor } from '../cluster/index.ts';
import { runDrill } from './drill.ts';
import { resolveScenario } from './scenario.ts';
import { leftovers, testDocker } from './test-support/docker.ts';

const CLUSTER = { name: 'fdtest-vip', portBase: 35432, appPort: 35480, backSubnet: '10.221.1.0/24', frontSubnet: '10.221.2.0/24', endpoint: 'virtual-ip' as const };
const VIP = '10.221.2.254';
const runsDir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-vip-runs-'));

afterAll(async () => {
  await removeClusters(await testDocker(), createLogger(), CLUSTER.name);
  rmSync(runsDir, { recursive: true, force: true });
});

async function holders(): Promise<string[]> {
  const cluster = (await attachCluster(await testDocker(), createLogger(), CLUSTER.name))!;
  const held: string[] = [];
  for (const node of cluster.dataNodes) if (await cluster.holdsVirtualIp(node.name)) held.push(node.name);
  return held;
}

describe('a virtual IP as the floating endpoint', () => {
  it('kill-primary passes with the app writing to the virtual IP, which the promote hook moved to node2', async () => {
    const { report } = await runDrill({ cluster: CLUSTER, runsDir, warmupMs: 2000, settleMs: 2000, keep: true });
    const { result } = report;
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.endpointMove?.node).toBe('node2');
    expect(result.lost).toEqual([]);
    const docker = await testDocker();
    expect((await docker.inspectContainer(`${CLUSTER.name}-app`))?.env.DB_WRITE_HOST).toBe(VIP);
    expect(await holders()).toEqual(['node2']);
  });

  it('after a switchover the new primary holds it and the demoted one has given it up', async () => {
    await removeClusters(await testDocker(), createLogger(), CLUSTER.name);
    const { report } = await runDrill({ cluster: CLUSTER, runsDir, scenario: resolveScenario('switchover'), warmupMs: 1500, settleMs: 1500, keep: true });
    expect(report.result.checks.filter((c) => !c.ok)).toEqual([]);
    // The demoted node gives it up when its repmgrd reports it is a standby (about half a second).
    await waitFor('node2 alone holding the virtual IP', async () => (await holders()).join() === 'node2', { timeoutMs: 15_000, intervalMs: 250 });
    await removeClusters(await testDocker(), createLogger(), CLUSTER.name);
    expect(await leftovers(CLUSTER.name)).toEqual([]);
  });
});
