/**
 * The bank workload on real clusters: transfers in Sequelize transactions through the app,
 * snapshots from a replica and the primary. Killing the primary under synchronous replication
 * loses no transfer and leaves every balance explained; a lagging standby under asynchronous
 * replication loses the transfers it had not received, and the drill lists exactly those.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attachCluster, createLogger, removeClusters } from '../cluster/index.ts';
import { runDrill, type DrillOutcome } from './drill.ts';
import { readHistory } from './history.ts';
import { resolveScenario } from './scenario.ts';
import { leftovers, testDocker } from './test-support/docker.ts';
import { junitSchemaErrors, reportSchemaErrors } from './test-support/report-files.ts';
import { runFlipdrill } from './test-support/run-command.ts';

const SYNC = { name: 'fdtest-bank-sync', portBase: 26232, appPort: 26280, backSubnet: '10.213.91.0/24', frontSubnet: '10.213.92.0/24', replication: 'sync' as const };
const ASYNC = { name: 'fdtest-bank-async', portBase: 26332, appPort: 26380, backSubnet: '10.213.93.0/24', frontSubnet: '10.213.94.0/24', replication: 'async' as const };
const LAGGING = { ...resolveScenario('lagging-standby'), fault: { type: 'lag-then-kill' as const, target: 'primary' as const, lagSecs: 2 } };
const runsDir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-bank-runs-'));

afterAll(async () => {
  for (const name of [SYNC.name, ASYNC.name]) await removeClusters(await testDocker(), createLogger(), name);
  rmSync(runsDir, { recursive: true, force: true });
});

/** Ask the new primary ourselves: which transfers it holds, and its balances. */
async function primaryState(name: string, prefix: string): Promise<{ primary: string | undefined; transfers: Set<string>; balances: number[] }> {
  const cluster = (await attachCluster(await testDocker(), createLogger(), name))!;
  const primary = await cluster.primary();
  const db = cluster.credentials.app.database;
  const transfers = await cluster.query<{ id: string }>(primary!, 'SELECT id::text AS id FROM transfers WHERE starts_with(from_account, $1)', [prefix], db);
  const accounts = await cluster.query<{ balance: number }>(primary!, 'SELECT balance FROM accounts WHERE starts_with(id, $1)', [prefix], db);
  return { primary, transfers: new Set(transfers.map((t) => t.id)), balances: accounts.map((a) => Number(a.balance)) };
}

const acknowledgedTransfers = (outcome: DrillOutcome) =>
  readHistory(outcome.run.history)
    .filter((op) => op.f === 'transfer' && op.type === 'ok')
    .map((op) => (op.value as { id: string }).id);

describe('the bank workload', () => {
  let syncRun: DrillOutcome;
  let asyncRun: DrillOutcome;

  it('kill-primary with sync replication: every acknowledged transfer applied once, every snapshot whole, PASS', async () => {
    syncRun = await runDrill({ cluster: SYNC, runsDir, workload: 'bank', warmupMs: 1500, settleMs: 1500, keep: true });
    const { result } = syncRun.report;
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.verdict).toBe('PASS');
    expect(result.checks.map((c) => c.id)).toEqual(expect.arrayContaining(['bank-snapshots-whole', 'bank-no-negative-balance', 'bank-final-balances']));
    expect(result.workload).toMatchObject({ name: 'bank', mutation: 'transfer', accounts: 8, total: 800 });
    // Snapshots came from a replica before the fault, and from the primary.
    expect(result.workload!.fromReplicas).toBeGreaterThan(0);
    expect(result.workload!.snapshots).toBeGreaterThan(result.workload!.fromReplicas as number);

    const settings = JSON.parse(readFileSync(syncRun.run.settings, 'utf8'));
    const state = await primaryState(SYNC.name, settings.workload.prefix);
    expect(state.primary).toBe('node2');
    const acked = acknowledgedTransfers(syncRun);
    expect(acked.length).toBeGreaterThan(50);
    expect(acked.filter((id) => !state.transfers.has(id))).toEqual([]);
    expect(state.balances).toHaveLength(8);
    expect(state.balances.reduce((a, b) => a + b, 0)).toBe(800);
  });

  it('the app refuses a transfer the balance cannot cover, as failed, and moves nothing', async () => {
    const settings = JSON.parse(readFileSync(syncRun.run.settings, 'utf8'));
    const prefix: string = settings.workload.prefix;
    const before = await primaryState(SYNC.name, prefix);
    const res = await fetch(`http://127.0.0.1:${SYNC.appPort}/transfers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: '0b7e6f7e-2222-4222-8222-222222222222', from: `${prefix}a0`, to: `${prefix}a1`, amount: 100_000 }),
    });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ outcome: 'failed', code: 'INSUFFICIENT_FUNDS' });
    const after = await primaryState(SYNC.name, prefix);
    expect(after.balances).toEqual(before.balances);
    expect(after.transfers.has('0b7e6f7e-2222-4222-8222-222222222222')).toBe(false);
  });

  it('flipdrill check on the stored bank run gives the same verdict and the same bank figures', async () => {
    const again = await runFlipdrill(['check', syncRun.run.dir, '--json']);
    expect(again.status).toBe(0);
    // The report document, as report.json holds it, with the checker's new result.
    const rechecked = JSON.parse(again.stdout);
    expect(rechecked.runId).toBe(syncRun.report.runId);
    expect(rechecked.result.checks).toEqual(syncRun.report.result.checks);
    expect(rechecked.result.workload).toEqual(syncRun.report.result.workload);
    const cluster = (await attachCluster(await testDocker(), createLogger(), SYNC.name))!;
    await cluster.stop();
    expect(await leftovers(SYNC.name)).toEqual([]);
  });

  it('lagging-standby with async replication: FAILs with exactly the acknowledged transfers the new primary lacks listed as lost', async () => {
    asyncRun = await runDrill({ cluster: ASYNC, runsDir, scenario: LAGGING, workload: 'bank', warmupMs: 1500, settleMs: 1500, keep: true });
    const { result } = asyncRun.report;

    const settings = JSON.parse(readFileSync(asyncRun.run.settings, 'utf8'));
    const state = await primaryState(ASYNC.name, settings.workload.prefix);
    expect(state.primary).toBe('node2');
    const reallyMissing = acknowledgedTransfers(asyncRun)
      .filter((id) => !state.transfers.has(id))
      .sort();
    const cluster = (await attachCluster(await testDocker(), createLogger(), ASYNC.name))!;
    await cluster.stop();

    expect(reallyMissing.length).toBeGreaterThan(0);
    expect(result.lost.map((l) => l.id).sort()).toEqual(reallyMissing);
    expect((result.workload!.lostTransfers as { id: string }[]).map((t) => t.id).sort()).toEqual(reallyMissing);
    expect(result.verdict).toBe('FAIL');
    // Lost, and nothing else wrong: what the new primary holds is still a consistent bank.
    expect(result.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['lost-within-budget']);
    expect(state.balances.reduce((a, b) => a + b, 0)).toBe(800);
    expect(await leftovers(ASYNC.name)).toEqual([]);
  });

  it('leaves report.json valid against its schema and junit.xml valid against its XSD; the summary names the lost transfers', async () => {
    for (const outcome of [syncRun, asyncRun]) {
      expect(reportSchemaErrors(JSON.parse(readFileSync(outcome.run.report, 'utf8')))).toEqual([]);
      expect(junitSchemaErrors(path.join(outcome.run.dir, 'junit.xml'))).toEqual([]);
    }
    const summary = await runFlipdrill(['check', asyncRun.run.dir]);
    expect(summary.status).toBe(1);
    expect(summary.stdout).toContain(`lost             ${asyncRun.report.result.lost.length} acknowledged transfers`);
    expect(summary.stdout).toContain(asyncRun.report.result.lost[0]!.id);
  });
});
