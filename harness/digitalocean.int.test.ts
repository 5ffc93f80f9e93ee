/**
 * The DigitalOcean path end to end, locally: each node container plays a droplet, the API
 * simulator runs in its own container on the replication network, the promote hook inside the new
 * primary moves the floating IP through the real do-wrapper, and the simulator's assignment decides
 * which node the app's endpoint reaches.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, removeClusters } from '../cluster/index.ts';
import { runDrill } from './drill.ts';
import { resolveScenario } from './scenario.ts';
import { leftovers, testDocker } from './test-support/docker.ts';

const CLUSTER = { name: 'fdtest-do', portBase: 33432, appPort: 33480, backSubnet: '10.219.1.0/24', frontSubnet: '10.219.2.0/24', endpoint: 'do-simulator' as const };
const runsDir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-do-runs-'));

afterAll(async () => {
  await removeClusters(await testDocker(), createLogger(), CLUSTER.name);
  rmSync(runsDir, { recursive: true, force: true });
});

describe('a drill through a DigitalOcean floating IP (API simulator)', () => {
  it('kill-primary: the hook waits out a 429 and a pending event, moves the IP to the new primary, and the report says how long the move took', async () => {
    const { report } = await runDrill({ cluster: CLUSTER, runsDir, doFaults: ['429', 'pending-event'], warmupMs: 2000, settleMs: 2000, keep: true });
    const { result } = report;
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.floatingIp).toMatchObject({ ip: '203.0.113.10', holder: 'node2' });
    expect(result.floatingIp!.assignRequests.map((r) => r.status)).toEqual([429, 422, 201]);
    // The 429 said retry-after 1: the hook's next request came at least a second later.
    const [refused, pending] = result.floatingIp!.assignRequests;
    expect(pending!.atMs - refused!.atMs).toBeGreaterThanOrEqual(1000);
    expect(result.floatingIp!.moveMs).toBeGreaterThan(0);
    expect(result.endpointMove?.node).toBe('node2');
    expect(result.lost).toEqual([]);
  });

  it('a planned switchover moves the IP too, at the promotion (repmgr runs no promote_command then: its standby_promote event does it)', async () => {
    await removeClusters(await testDocker(), createLogger(), CLUSTER.name);
    const { report } = await runDrill({ cluster: CLUSTER, runsDir, scenario: resolveScenario('switchover'), warmupMs: 1500, settleMs: 1500 });
    const { result } = report;
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.floatingIp).toMatchObject({ holder: 'node2' });
    expect(result.floatingIp!.assignRequests.map((r) => r.status)).toEqual([201]);
  });
});

describe('afterwards', () => {
  it('leaves nothing of the cluster behind once removed', async () => {
    await removeClusters(await testDocker(), createLogger(), CLUSTER.name);
    expect(await leftovers(CLUSTER.name)).toEqual([]);
  });
});
