/**
 * A seeded random fault schedule on the real cluster: several kinds of fault, one after another,
 * the workload running throughout, the whole history checked; and nothing of a fault left behind
 * when a schedule is interrupted in the middle. (The five-minute schedule is in the bench and in
 * docs/benchmarks.md: CI runs a short one.)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { attachCluster, createLogger, DrillAbortedError, removeClusters } from '../cluster/index.ts';
import { runDrill } from './drill.ts';
import { faultsLeft } from './faults/index.ts';
import { randomSchedule, scheduleScenario, type ScheduleSettings } from './schedule.ts';
import { leftovers, printNodeLogs, testDocker } from './test-support/docker.ts';
import { reportSchemaErrors } from './test-support/report-files.ts';

const runsDir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-random-runs-'));
const cluster = { name: 'fdtest-random', portBase: 32000, appPort: 32050, backSubnet: '10.214.40.0/24', frontSubnet: '10.214.41.0/24' };
let failed = false;
afterEach(({ task }) => {
  if (task.result?.state === 'fail') failed = true;
});
afterAll(async () => {
  await removeClusters(await testDocker(), createLogger(), cluster.name);
  if (failed) {
    printNodeLogs(runsDir);
    process.stderr.write(`\nrun folders kept in ${runsDir}\n`);
  } else rmSync(runsDir, { recursive: true, force: true });
});

describe('--nemesis random', () => {
  it('a seeded schedule of six kinds over 90 s: every fault injected and healed in turn, nothing acknowledged lost, and each fault a band in the report', async () => {
    const settings: ScheduleSettings = { seed: 7, faults: ['kill', 'freeze', 'partition', 'latency', 'loss', 'restart', 'switchover'], forSecs: 90, intervalSecs: [4, 8] };
    const schedule = randomSchedule(settings);
    const { report, run } = await runDrill({ cluster, runsDir, scenario: scheduleScenario(settings), seed: settings.seed, warmupMs: 1500, settleMs: 1500, keep: true });
    const r = report.result;
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.faults?.map((f) => f.kind)).toEqual(schedule.map((s) => s.kind));
    expect(new Set(schedule.map((s) => s.kind)).size).toBeGreaterThanOrEqual(5);
    expect(r.faults?.every((f) => f.healedAtMs !== null && f.healedAtMs >= f.atMs)).toBe(true);
    expect(r.lost).toEqual([]);
    expect(r.splitBrain).toBeNull();
    expect(reportSchemaErrors(JSON.parse(readFileSync(path.join(run.dir, 'report.json'), 'utf8')))).toEqual([]);
    const page = readFileSync(path.join(run.dir, 'report.html'), 'utf8');
    expect(page.match(/data-band="fault"/g)).toHaveLength(schedule.length);
    const started = (await attachCluster(await testDocker(), createLogger(), cluster.name))!;
    expect(await faultsLeft(started, started.spec.nodes.map((n) => n.name))).toEqual([]);
  }, 600_000);

  it('--overlap (seed 13): the primary killed while its links are slow, then latency inside loss; each inner fault healed before its outer one, nothing lost', async () => {
    const settings: ScheduleSettings = { seed: 13, faults: ['kill', 'freeze', 'latency', 'loss'], forSecs: 60, intervalSecs: [3, 6], overlap: true };
    const schedule = randomSchedule(settings);
    expect(schedule.map((s) => `${s.kind} ${s.fault.target}${s.overlapsNext ? ' (on through the next)' : ''}`)).toEqual([
      'latency primary (on through the next)',
      'kill primary',
      'loss standby (on through the next)',
      'latency primary',
    ]);
    const { report } = await runDrill({ cluster, runsDir, scenario: scheduleScenario(settings), seed: settings.seed, warmupMs: 1500, settleMs: 1500, keep: true });
    const r = report.result;
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.lost).toEqual([]);
    const [slow, kill, lossy, inner] = r.faults!;
    // The kill came while the latency was on, and was healed (the old primary back as a standby) before it.
    expect(kill!.atMs).toBeGreaterThan(slow!.atMs);
    expect(kill!.healedAtMs!).toBeLessThan(slow!.healedAtMs!);
    expect(inner!.atMs).toBeGreaterThan(lossy!.atMs);
    expect(inner!.healedAtMs!).toBeLessThan(lossy!.healedAtMs!);
    expect(r.promotion).not.toBeNull();
    const started = (await attachCluster(await testDocker(), createLogger(), cluster.name))!;
    expect(await faultsLeft(started, started.spec.nodes.map((n) => n.name))).toEqual([]);
  }, 600_000);

  it('interrupted in the middle of a fault: the fault is undone (no delay process, no rule, nothing paused)', async () => {
    const settings: ScheduleSettings = { seed: 11, faults: ['latency', 'freeze'], forSecs: 60, intervalSecs: [2, 3] };
    const abort = new AbortController();
    let faults = 0;
    const drill = runDrill({
      cluster,
      runsDir,
      scenario: scheduleScenario(settings),
      seed: settings.seed,
      warmupMs: 1500,
      keep: true,
      signal: abort.signal,
      onStep: (s) => {
        if (s.startsWith('fault: ')) faults += 1;
        if (faults === 2 && (s.startsWith('holding the fault') || s.startsWith('waiting for repmgrd'))) abort.abort();
      },
    });
    await expect(drill).rejects.toBeInstanceOf(DrillAbortedError);
    expect(faults).toBe(2);
    const started = (await attachCluster(await testDocker(), createLogger(), cluster.name))!;
    expect(await faultsLeft(started, started.spec.nodes.map((n) => n.name))).toEqual([]);
    await started.stop();
    expect(await leftovers(cluster.name)).toEqual([]);
  });
});
