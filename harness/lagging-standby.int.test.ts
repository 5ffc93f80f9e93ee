/**
 * The standby made to fall behind on purpose (the primary's WAL sender frozen while writes go
 * on), then the primary killed. With asynchronous replication the checker must report every
 * acknowledged write that is really missing from the new primary, and nothing else; with
 * synchronous replication the same drill loses nothing.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ANALYTICS_DATABASE, attachCluster, createLogger, removeClusters } from '../cluster/index.ts';
import { runDrill, type DrillOutcome } from './drill.ts';
import { readHistory } from './history.ts';
import { resolveScenario } from './scenario.ts';
import { leftovers, testDocker } from './test-support/docker.ts';
import { runFlipdrill } from './test-support/run-command.ts';
import { junitSchemaErrors, reportSchemaErrors } from './test-support/report-files.ts';
import { ReportBrowser } from './test-support/browser.ts';

const ASYNC = { name: 'fdtest-lag-async', portBase: 22432, appPort: 22480, backSubnet: '10.213.71.0/24', frontSubnet: '10.213.72.0/24', replication: 'async' as const };
const SYNC = { name: 'fdtest-lag-sync', portBase: 22532, appPort: 22580, backSubnet: '10.213.73.0/24', frontSubnet: '10.213.74.0/24', replication: 'sync' as const };
const LAGGING = { ...resolveScenario('lagging-standby'), fault: { type: 'lag-then-kill' as const, target: 'primary' as const, lagSecs: 2 } };
const runsDir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-lag-runs-'));

function flipdrillCheck(dir: string, ...args: string[]) {
  return runFlipdrill(['check', dir, ...args]);
}

afterAll(async () => {
  for (const name of [ASYNC.name, SYNC.name]) await removeClusters(await testDocker(), createLogger(), name);
  rmSync(runsDir, { recursive: true, force: true });
});

describe('a lagging standby, then the primary killed', () => {
  let asyncRun: DrillOutcome;
  let syncRun: DrillOutcome;

  it('with async replication: reports exactly the acknowledged writes missing from the new primary, and FAILs', async () => {
    asyncRun = await runDrill({ cluster: ASYNC, runsDir, scenario: LAGGING, warmupMs: 1500, settleMs: 1500, keep: true });
    const { result } = asyncRun.report;

    // Ask the new primary ourselves which acknowledged writes it does not have.
    const cluster = (await attachCluster(await testDocker(), createLogger(), ASYNC.name))!;
    expect(await cluster.primary()).toBe('node2');
    // Both of the app's databases: its countries and the analytics events.
    const present = new Set([
      ...(await cluster.query<{ id: string }>('node2', 'SELECT id::text AS id FROM countries', [], cluster.credentials.app.database)).map((r) => r.id),
      ...(await cluster.query<{ id: string }>('node2', 'SELECT id::text AS id FROM events', [], ANALYTICS_DATABASE)).map((r) => r.id),
    ]);
    const acknowledged = readHistory(asyncRun.run.history)
      .filter((op) => op.f === 'write' && op.type === 'ok')
      .map((op) => (op.value as { id: string }).id);
    const reallyMissing = acknowledged.filter((id) => !present.has(id)).sort();
    await cluster.stop();

    expect(reallyMissing.length).toBeGreaterThan(0);
    expect(result.lost.map((l) => l.id).sort()).toEqual(reallyMissing);
    expect(result.lost.every((l) => l.committedBy === 'node1' && l.committedTimeline === 1)).toBe(true);
    expect(result.recoveryPoint?.lostWrites).toBe(reallyMissing.length);
    expect(result.recoveryPoint?.seconds).toBeGreaterThan(1);
    expect(result.verdict).toBe('FAIL');
    expect(result.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['acknowledged writes lost within budget (0)']);
    expect(await leftovers(ASYNC.name)).toEqual([]);
  });

  it('flipdrill check on that run folder gives the same verdict, and follows --max-lost', async () => {
    const again = await flipdrillCheck(asyncRun.run.dir, '--json');
    expect(again.status).toBe(1);
    // The report document (report.json's form), with the checker's new result.
    const rechecked = JSON.parse(again.stdout);
    expect(rechecked.schema).toBe(asyncRun.report.schema);
    expect(rechecked.result.lost).toEqual(asyncRun.report.result.lost);
    expect(rechecked.result.verdict).toBe('FAIL');
    expect(reportSchemaErrors(rechecked)).toEqual([]);

    const budget = await flipdrillCheck(asyncRun.run.dir, '--max-lost', String(asyncRun.report.result.lost.length));
    expect(budget.status).toBe(0);
    expect(budget.stdout).toContain('verdict: PASS');
  });

  it('flipdrill check rejects a malformed history with its line number, never as PASS', async () => {
    const copy = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-bad-run-'));
    cpSync(asyncRun.run.dir, copy, { recursive: true });
    const lines = readFileSync(path.join(copy, 'history.jsonl'), 'utf8').split('\n');
    lines[9] = '{"process": 0, "type": "ok"';
    writeFileSync(path.join(copy, 'history.jsonl'), lines.join('\n'));
    const bad = await flipdrillCheck(copy);
    rmSync(copy, { recursive: true, force: true });

    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim()).toBe('flipdrill: malformed run, not checked: history line 10: not JSON');
  });

  it('with sync replication: the same drill loses nothing and PASSes, and says the new primary runs degraded', async () => {
    syncRun = await runDrill({ cluster: SYNC, runsDir, scenario: LAGGING, warmupMs: 1500, settleMs: 1500 });
    const { result } = syncRun.report;

    expect(result.lost).toEqual([]);
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.verdict).toBe('PASS');
    // Commits waited for the frozen standby instead of being acknowledged: no write was
    // acknowledged during the 2 s lag (the app retried the ones that timed out, idempotently).
    expect(result.longestWriteGap!.ms).toBeGreaterThan(1500);
    expect(result.degradedReplication).toContain('node2 runs without a synchronous standby');
    expect(await leftovers(SYNC.name)).toEqual([]);
  });

  it('leaves report.json valid against its schema and junit.xml valid against its XSD, for the failing run and the passing one', () => {
    for (const [outcome, failures] of [[asyncRun, 1], [syncRun, 0]] as const) {
      const stored = JSON.parse(readFileSync(outcome.run.report, 'utf8'));
      expect(reportSchemaErrors(stored)).toEqual([]);
      const junit = path.join(outcome.run.dir, 'junit.xml');
      expect(junitSchemaErrors(junit)).toEqual([]);
      const xml = readFileSync(junit, 'utf8');
      expect(xml.match(/<testcase /g)).toHaveLength(outcome.report.result.checks.length);
      expect(xml.match(/<failure /g) ?? []).toHaveLength(failures);
    }
    // The failing run's evidence names its lost writes.
    const xml = readFileSync(path.join(asyncRun.run.dir, 'junit.xml'), 'utf8');
    expect(xml).toContain(asyncRun.report.result.lost[0]!.id);
  });

  it('renders report.html in a real browser: the failing run shows FAIL, its lost writes and the fault on the chart; the passing one PASS', async () => {
    await using browser = await ReportBrowser.launch();
    const failing = await browser.inspect(path.join(asyncRun.run.dir, 'report.html'));
    const passing = await browser.inspect(path.join(syncRun.run.dir, 'report.html'));
    for (const page of [failing, passing]) {
      expect(page.pageErrors).toEqual([]);
      expect(page.consoleErrors).toEqual([]);
      expect(page.externalRequests).toEqual([]);
      expect(page.chart!.width).toBeGreaterThan(500);
      // The chart holds every acknowledged write the history holds.
    }
    expect(failing.verdict).toBe('FAIL');
    expect(passing.verdict).toBe('PASS');
    const history = readHistory(asyncRun.run.history);
    expect(failing.totals.write.ok.count).toBe(history.filter((op) => op.f === 'write' && op.type === 'ok').length);
    const lost = asyncRun.report.result.lost;
    expect(failing.anomalies.lost.count).toBe(lost.length);
    expect(failing.anomalies.lost.listedIds).toEqual(lost.slice(0, 50).map((w) => w.id));
    const fault = failing.markers.find((m) => m.kind === 'fault')!;
    expect(fault.atMs).toBeCloseTo(asyncRun.report.result.fault!.atMs, -1);
    const okWrites = failing.bars.filter((b) => b.f === 'write' && b.type === 'ok');
    expect(okWrites.some((b) => b.startMs < fault.atMs && b.x < fault.x)).toBe(true);
    expect(okWrites.some((b) => b.startMs > fault.atMs && b.x > fault.x)).toBe(true);
    expect(failing.markers.map((m) => m.kind)).toContain('promotion');
    expect(passing.anomalies.lost.count).toBe(0);
  });
});
