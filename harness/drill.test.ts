/**
 * The runner against an in-memory cluster that heals itself (harness/test-support/fake-target.ts):
 * the phases in order, what it records, that it acts on the cluster only through the nemesis, and
 * that whatever happens (a cluster that never fails over, an error in the fault, an interrupt)
 * the fault is undone, the workload stops and the run folder says what happened.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DrillAbortedError } from '../cluster/index.ts';
import { runDrill, type DrillOptions } from './drill.ts';
import { parseEvents } from './history.ts';
import type { DrillPhase } from './report/report.ts';
import type { PlanStep } from './plan.ts';
import { parseScenario, resolveScenario, type Scenario } from './scenario.ts';
import { FakeTarget } from './test-support/fake-target.ts';
import { randomSchedule, scheduleScenario } from './schedule.ts';

const runsDir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-runner-'));
afterAll(() => rmSync(runsDir, { recursive: true, force: true }));

const QUICK = { warmupMs: 300, settleMs: 300, seed: 7, runsDir };
/** A scenario with its fault held for `secs` at most and a light workload. */
const quick = (name: string, holdSecs = 5): Scenario => {
  const s = resolveScenario(name);
  return { ...s, hold: { ...s.hold, maxSecs: holdSecs }, workload: { ...s.workload, concurrency: 2, pauseMs: 5 } };
};

async function drill(target: FakeTarget, options: Partial<DrillOptions> = {}) {
  const phases: DrillPhase[] = [];
  const outcome = await runDrill({ ...QUICK, connect: async () => target, onStep: (_s, phase) => phase && phases.push(phase), ...options });
  // With --repeat the events are in each iteration's folder.
  const events = existsSync(outcome.run.events) ? parseEvents(readFileSync(outcome.run.events, 'utf8')) : [];
  return { ...outcome, phases, events };
}

// Seconds each, all waits conditions with deadlines; the bound is against a hang, not a speed.
describe('the drill runner, on an in-memory cluster', { timeout: 60_000 }, () => {
  it('kill-primary: warm-up, fault, promotion, heal, settle, final read, check; PASS; it touched the cluster through the nemesis alone', async () => {
    const target = await FakeTarget.start();
    const { report, phases, events, run } = await drill(target, { scenario: quick('kill-primary') });
    await target.stop();

    expect(report.result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.result.verdict).toBe('PASS');
    expect(phases).toEqual(['warm-up', 'fault', 'promotion', 'heal', 'settle', 'final-read', 'check']);
    // The fault was the only act on the cluster (then its stop, by the test); the promotion and the endpoint move were the cluster's own.
    expect(target.calls).toEqual(['kill node1 SIGKILL', 'stop']);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['fault', 'promotion-observed', 'endpoint', 'heal', 'repmgr', 'endpoint-agent']));
    const order = (type: string) => events.findIndex((e) => e.type === type);
    expect(order('fault')).toBeLessThan(order('promotion-observed'));
    expect(events.find((e) => e.type === 'fault')).toMatchObject({ kind: 'kill', node: 'node1', primary: 'node1', standby: 'node2' });
    expect(report.result.promotion?.node).toBe('node2');
    // Writes on both sides of the failover, every one of them read back from the new primary.
    const finalRead = JSON.parse(readFileSync(run.finalRead, 'utf8'));
    expect(finalRead.node).toBe('node2');
    expect(new Set(finalRead.rows.map((r: { committed_by: string }) => r.committed_by))).toEqual(new Set(['node1', 'node2']));
    expect(report.result.counts.write.ok).toBe(finalRead.rows.length);
    for (const file of ['report.json', 'report.html', 'junit.xml', 'run.json', 'history.jsonl', 'final-read.json']) expect(existsSync(path.join(run.dir, file)), file).toBe(true);
  });

  it('runs the plan a scenario file states, in its order: no hold, the killed standby restarted at once', async () => {
    const target = await FakeTarget.start();
    const scenario = parseScenario(
      {
        name: 'bounce-standby',
        description: 'kill the standby and start it again at once',
        fault: { type: 'kill', target: 'standby' },
        plan: [{ step: 'warm-up', secs: 0.5 }, { step: 'fault' }, { step: 'heal', restart: true }, { step: 'settle', secs: 0.5 }, { step: 'final-read' }],
        workload: { concurrency: 2, pauseMs: 5 },
        expect: { promotion: false, primary: 'primary', maxWriteDownSecs: 5, rejoin: true },
      },
      'bounce-standby.json',
    );
    const { report, phases } = await drill(target, { scenario, warmupMs: undefined, settleMs: undefined });
    await target.stop();
    expect(phases).toEqual(['warm-up', 'fault', 'heal', 'settle', 'final-read', 'check']);
    expect(target.calls).toEqual(['kill node2 SIGKILL', 'startNode node2', 'stop']);
    expect(report.result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.result.checks.map((c) => c.id)).toContain('rejoined');
  });

  it('postmaster-crash: the standby takes over from a primary whose server died in a running container; PASS', async () => {
    const target = await FakeTarget.start();
    const { report } = await drill(target, { scenario: quick('postmaster-crash') });
    await target.stop();
    expect(report.result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(target.calls).toEqual(['exec node1 pkill -KILL -o -x postgres', 'stop']);
    expect(target.node('node1')).toMatchObject({ running: true, postmasterDown: true });
  });

  it('repmgrd-crash on the standby, then the primary killed: nothing is promoted; the heal restarts the primary and only then starts repmgrd', async () => {
    const target = await FakeTarget.start();
    const { report } = await drill(target, { scenario: quick('repmgrd-crash-standby', 1) });
    await target.stop();
    expect(report.result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.result.promotion).toBeNull();
    expect(target.calls.map((c) => c.split(' ').slice(0, 4).join(' '))).toEqual([
      'exec node2 pkill -KILL',
      'kill node1 SIGKILL',
      'startNode node1',
      'exec node2 sh -c',
      // The runner's closing undo, whatever happened: idempotent (repmgrd is running, nothing to do).
      'exec node2 sh -c',
      'stop',
    ]);
    expect(report.result.checks.find((c) => c.id === 'fault-injected')?.detail).toContain('with repmgrd dead on node2: no node is left to promote itself');
  });

  it('a random schedule: every fault of the plan injected and healed in order, each on whoever held its role then; one history, PASS', async () => {
    const target = await FakeTarget.start();
    const settings = { seed: 5, faults: ['kill', 'freeze', 'latency', 'restart', 'switchover'] as const, forSecs: 40, intervalSecs: [0.3, 0.6] as const };
    const scenario = scheduleScenario({ ...settings, faults: [...settings.faults] });
    const schedule = randomSchedule({ ...settings, faults: [...settings.faults] });
    const { report, events } = await drill(target, { scenario: { ...scenario, workload: { ...scenario.workload, concurrency: 2, pauseMs: 5 } } });
    await target.stop();
    expect(report.result.checks.filter((c) => !c.ok)).toEqual([]);
    const faults = events.filter((e) => e.type === 'fault');
    expect(faults.map((e) => e.kind)).toEqual(schedule.map((s) => s.kind));
    expect(events.filter((e) => e.type === 'heal')).toHaveLength(schedule.length);
    // Each fault hit the node that held its role when it came (the primary moves with the failovers).
    for (const [i, e] of faults.entries()) expect(e.node).toBe(schedule[i]!.fault.target === 'primary' ? e.primary : e.standby);
    expect(report.result.faults?.length).toBe(schedule.length);
  });

  it('two faults at once: latency on the primary stays on through its kill; the kill is healed first, the latency after, and the report says when each ended', async () => {
    const target = await FakeTarget.start();
    const base = quick('kill-primary');
    const plan: PlanStep[] = [
      { step: 'warm-up', secs: 0.3 },
      { step: 'fault', fault: { type: 'latency', target: 'primary', delayMs: 100, jitterMs: 0 } },
      { step: 'hold', until: 'time', maxSecs: 0.2 },
      { step: 'fault', fault: { type: 'kill', target: 'primary', signal: 'SIGKILL' } },
      { step: 'hold', until: 'promotion', maxSecs: 10 },
      { step: 'heal', restart: true },
      { step: 'hold', until: 'time', maxSecs: 0.2 },
      { step: 'heal', restart: false },
      { step: 'settle', secs: 0.3 },
      { step: 'final-read' },
    ];
    const { report } = await drill(target, { scenario: { ...base, plan, expect: { ...base.expect, promotion: 'either', primary: 'either' } } });
    await target.stop();
    expect(report.result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(target.calls.filter((c) => !c.startsWith('exec'))).toEqual(['shapeNetwork node1 {"delayMs":100,"jitterMs":0}', 'kill node1 SIGKILL', 'startNode node1', 'unshapeNetwork node1', 'unshapeNetwork node1', 'stop']);
    const [latency, kill] = report.result.faults!;
    expect([latency!.kind, kill!.kind]).toEqual(['latency', 'kill']);
    expect(kill!.healedAtMs!).toBeLessThan(latency!.healedAtMs!);
    expect(kill!.atMs).toBeLessThan(kill!.healedAtMs!);
  });

  it('interrupted with two faults on: both are undone, the last injected first', async () => {
    const target = await FakeTarget.start({ failoverMs: Infinity });
    const abort = new AbortController();
    const plan: PlanStep[] = [
      { step: 'warm-up', secs: 0.3 },
      { step: 'fault', fault: { type: 'loss', target: 'standby', lossPct: 1 } },
      { step: 'fault', fault: { type: 'freeze', target: 'primary' } },
      { step: 'hold', until: 'time', maxSecs: 30 },
      { step: 'heal', restart: false },
      { step: 'heal', restart: false },
      { step: 'settle', secs: 0.3 },
      { step: 'final-read' },
    ];
    const run = drill(target, { scenario: { ...quick('freeze-primary'), plan }, signal: abort.signal, onStep: (s) => s.startsWith('holding the fault') && setTimeout(() => abort.abort(), 100) });
    await expect(run).rejects.toThrow(DrillAbortedError);
    await target.stop();
    expect(target.calls.filter((c) => !c.startsWith('exec'))).toEqual(['shapeNetwork node2 {"lossPct":1}', 'pause node1', 'unpause node1', 'unshapeNetwork node2', 'stop']);
    expect(target.node('node1').paused).toBe(false);
    expect(target.node('node2').shape).toBeNull();
  });

  it('a stall that ends without a failover: the settle waits for a look after the thaw, so writes are measured resuming on the same primary', async () => {
    const target = await FakeTarget.start({ failoverMs: Infinity });
    const base = quick('freeze-primary');
    const scenario: Scenario = { ...base, hold: { until: 'time', maxSecs: 1 }, expect: { ...base.expect, promotion: 'either', primary: 'either' } };
    const { report, phases } = await drill(target, { scenario });
    await target.stop();
    expect(phases).toContain('settle');
    expect(report.result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.result.writesAfterFault.onNewPrimary).toBeGreaterThan(0);
  });

  it('a cluster that never fails over: the hold ends at its limit, the verdict is FAIL with no promotion, and nothing hangs', async () => {
    const target = await FakeTarget.start({ failoverMs: Infinity });
    const { report } = await drill(target, { scenario: quick('kill-primary', 1) });
    await target.stop();
    expect(report.result.verdict).toBe('FAIL');
    expect(report.result.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(expect.arrayContaining(['standby-promoted', 'endpoint-moved', 'writes-resumed']));
  });

  it('--repeat 2 of kill-primary-failback: the runner restarts the killed node (the heal) and the next fault hits the new primary', async () => {
    const target = await FakeTarget.start();
    const { reports, aggregate } = await drill(target, { scenario: quick('kill-primary-failback'), repeat: 2 });
    await target.stop();
    expect(reports.map((r) => r.result.verdict)).toEqual(['PASS', 'PASS']);
    expect(reports.map((r) => r.result.fault?.node)).toEqual(['node1', 'node2']);
    expect(aggregate?.verdict).toBe('PASS');
    expect(target.calls).toEqual(['kill node1 SIGKILL', 'startNode node1', 'kill node2 SIGKILL', 'startNode node2', 'stop']);
  });

  it('an interrupt while the fault holds: the frozen primary is thawed, the workload stops, and the drill says it was interrupted', async () => {
    const target = await FakeTarget.start({ failoverMs: Infinity });
    const abort = new AbortController();
    const run = drill(target, {
      scenario: { ...quick('freeze-primary', 30), hold: { until: 'time', maxSecs: 30 } },
      signal: abort.signal,
      onStep: (_step, phase) => phase === 'fault' && setTimeout(() => abort.abort(), 100),
    });
    await expect(run).rejects.toThrow(DrillAbortedError);
    await target.stop();
    expect(target.calls).toEqual(['pause node1', 'unpause node1', 'stop']);
    expect(target.node('node1').paused).toBe(false);
  });

  it('an error in the fault: the drill fails with it, undoes the fault anyway, and leaves a junit.xml with the error', async () => {
    const target = await FakeTarget.start();
    target.partition = async () => {
      target.calls.push('partition node1 (refused)');
      throw new Error('the network would not let go');
    };
    let runDir = '';
    await expect(drill(target, { scenario: quick('partition-primary'), onRunFolder: (r) => (runDir = r.dir) })).rejects.toThrow('the network would not let go');
    await target.stop();
    expect(target.calls).toEqual(['partition node1 (refused)', 'heal node1', 'stop']);
    const junit = readFileSync(path.join(runDir, 'junit.xml'), 'utf8');
    expect(junit).toContain('<error');
    expect(junit).toContain('the network would not let go');
  });
});
