/**
 * `--app dsql`: flipdrill's app on its Aurora DSQL profile, drilled through the DSQL stand-in
 * (cluster/dsql/stand-in.ts), which runs in a container of its own in front of the cluster's
 * floating endpoint. The primary is killed under the set workload and under the bank's transfers;
 * the stand-in refuses what DSQL refuses (the drill fails on any refusal) and answers write
 * conflicts as OC000, which the app retries: the bank's ledger proves each transfer applied once.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, removeClusters } from '../cluster/index.ts';
import { runDrill } from './drill.ts';
import { leftovers, testDocker } from './test-support/docker.ts';
import { clusterSecrets, secretsInInspect } from './test-support/inspect-secrets.ts';

const CLUSTER = { name: 'fdtest-dsql-drill', portBase: 29632, appPort: 29680, backSubnet: '10.213.71.0/24', frontSubnet: '10.213.72.0/24', appProfile: 'dsql' as const };
const runsDir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-dsql-runs-'));

afterAll(async () => {
  await removeClusters(await testDocker(), createLogger(), CLUSTER.name);
  rmSync(runsDir, { recursive: true, force: true });
});

describe('--app dsql: the DSQL profile drilled through the DSQL stand-in', () => {
  it('kill-primary with the set workload passes: the app writes to the stand-in, which reaches the new primary; nothing refused', async () => {
    const { report, run } = await runDrill({ cluster: CLUSTER, runsDir, warmupMs: 2000, settleMs: 2000, keep: true });
    const { result } = report;
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.lost).toEqual([]);
    expect(report.cluster.app).toBe('dsql');
    expect(result.expectations.nodeStamps).toBe(false);
    // Every write went through the stand-in: the app's only endpoint is it.
    const docker = await testDocker();
    const env = (await docker.inspectContainer(`${CLUSTER.name}-app`))!.env;
    expect([env.DB_PLATFORM, env.DB_WRITE_HOST, env.DB_USER, env.DB_SSLMODE]).toEqual(['dsql', 'dsql', 'admin', 'disable']);
    expect(result.dsql).toMatchObject({ refused: {} });
    expect(result.dsql!.sessions).toBeGreaterThan(0);
    expect(result.writesAfterFault.ok).toBeGreaterThan(0);
    // The rows carry the DSQL profile's stamps, as they would on DSQL.
    const rows = JSON.parse(readFileSync(path.join(run.dir, 'final-read.json'), 'utf8')) as { rows: { committed_by: string }[] };
    expect(new Set(rows.rows.map((r) => r.committed_by))).toEqual(new Set(['dsql']));
  });

  it('docker inspect of every container (the nodes, the endpoint agent, the app, the DSQL stand-in) shows no password and no token', async () => {
    const secrets = await clusterSecrets(CLUSTER.name);
    const { containers, shown } = await secretsInInspect(CLUSTER.name, secrets);
    expect(containers).toEqual([`${CLUSTER.name}-app`, `${CLUSTER.name}-dsql`, `${CLUSTER.name}-endpoint-agent`, `${CLUSTER.name}-node1`, `${CLUSTER.name}-node2`, `${CLUSTER.name}-node3`]);
    expect(shown).toEqual([]);
  });

  it('kill-primary with the bank workload passes: transfers that conflicted were answered OC000, retried, and each applied once', async () => {
    await removeClusters(await testDocker(), createLogger(), CLUSTER.name);
    const { report } = await runDrill({ cluster: CLUSTER, runsDir, workload: 'bank', warmupMs: 2000, settleMs: 2000, keep: true });
    const { result } = report;
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.lost).toEqual([]);
    // Four clients moving money among eight accounts collide: the stand-in answered those as DSQL does.
    expect(result.dsql!.conflicts).toBeGreaterThan(0);
    expect(result.dsql!.refused).toEqual({});
    // Applied once: the final balances are the opening ones plus exactly the transfers applied.
    expect(result.checks.map((c) => c.id)).toEqual(expect.arrayContaining(['bank-final-balances', 'dsql-rules']));
    await removeClusters(await testDocker(), createLogger(), CLUSTER.name);
    expect(await leftovers(CLUSTER.name)).toEqual([]);
  });
});
