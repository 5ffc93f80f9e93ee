/**
 * One iteration of a drill: the runner's interpreter of the scenario's phase plan (harness/plan.ts).
 *
 *   wait for a healthy cluster → for each step of the plan: warm-up, then once or more
 *   [quiet], fault, [hold], heal, [switchback]; then settle, final read → check → report
 *
 * The steps (fault-steps.ts, load-steps.ts) share one Iteration (state.ts): what the run has seen
 * so far, which the watcher and the workload update as they go (observers.ts). Whatever happens,
 * the workload stops and every fault still on is undone (open-faults.ts).
 */
import { appProfileNamed } from '../../cluster/index.ts';
import { AppClient } from '../client/app-client.ts';
import { DrillClock, JsonLinesWriter } from '../history.ts';
import type { ClusterEvent, Op } from '../op.ts';
import { withOverrides, type PlanStep } from '../plan.ts';
import { writeJson, type RunFolder } from '../report/run-folder.ts';
import { loadRun, RUN_SCHEMA, type RunSettings } from '../report/stored-run.ts';
import { writeRunReports } from '../report/write-reports.ts';
import { REPORT_SCHEMA, type DrillReport, type LiveCounts } from '../report/report.ts';
import { planOf, type Scenario } from '../scenario.ts';
import { workloadNamed } from '../workloads/registry.ts';
import { seededRandom, Workload } from '../workloads/workload.ts';
import { saveNodeLogs, waitForHealthy, type DrillContext, type IterationOptions, type RecordEvent } from './context.ts';
import { fault, faultOn, heal, switchback } from './fault-steps.ts';
import { finalRead, holdFault, quiet, settle, warmUp } from './load-steps.ts';
import { completionObserver, snapshotObserver } from './observers.ts';
import { FaultStack } from './open-faults.ts';
import type { Iteration, Seen, StepRunner } from './state.ts';

/** The interpreter's table: one runner per kind of step. */
const STEPS: { [K in PlanStep['step']]: StepRunner<Extract<PlanStep, { step: K }>> } = {
  'warm-up': warmUp,
  quiet,
  fault,
  hold: holdFault,
  heal,
  switchback,
  settle,
  'final-read': finalRead,
};

/** One pass of the scenario's plan. `scope` prefixes every name it writes; the final read sees only those rows. */
export async function runIteration(ctx: DrillContext, scenario: Scenario, run: RunFolder, scope: string, options: IterationOptions): Promise<DrillReport> {
  const { cluster } = ctx;
  const plan = withOverrides(planOf(scenario), options);
  const clock = new DrillClock();
  options.onDrillClock?.(clock.wallOrigin);
  const startedAt = new Date(clock.wallOrigin).toISOString();
  const history = new JsonLinesWriter<Op>(run.history);
  const events = new JsonLinesWriter<ClusterEvent>(run.events);
  const recordEvent: RecordEvent = (event) => events.append({ ...event, time: event.time ?? clock.nowNs(), wall: event.wall ?? Date.now() } as ClusterEvent);
  ctx.onEndpointChange = (e) => recordEvent({ type: 'endpoint', action: e.action, node: e.node, reason: e.reason, by: 'observed', wall: e.at, time: clock.nsOf(e.at) });

  const needStandby = scenario.fault.target !== 'witness' || scenario.expect.promotion !== false;
  const before = await waitForHealthy(ctx, needStandby);
  const faults = new FaultStack(faultOn(ctx, before, scenario.fault, scenario.name));
  // What the app's profile counts in the cluster (the dsql app's DSQL stand-in) counts from its
  // start: this run's counts are the difference.
  const counter = cluster.appProfileCounter?.();
  const countsBefore = await counter?.read().catch(() => undefined);

  const kind = workloadNamed(options.workload ?? 'set')!;
  const workloadSettings = kind.settings(`${scope}/`);
  // Whether the rows' stamps name nodes: not the dsql app's (Aurora DSQL has no node names).
  const profile = appProfileNamed(await cluster.appProfile());
  const nodeStamps = profile?.nodeStamps ?? true;
  // What the app's reads promise a session: a broken promise FAILs the drill.
  const sessionGuarantees = [...(profile?.sessionGuarantees ?? [])];
  const settings: RunSettings = {
    schema: RUN_SCHEMA,
    runId: run.id,
    scenario: scenario.name,
    startedAt,
    seed: ctx.seed,
    expectations: {
      maxLost: options.maxLost ?? 0,
      replication: cluster.spec.replication,
      promotion: scenario.expect.promotion,
      finalPrimary: scenario.expect.primary,
      maxWriteDownMs: scenario.expect.maxWriteDownSecs * 1000,
      ...(scenario.expect.rejoin ? { rejoin: true } : {}),
      ...(plan.some((s) => s.step === 'switchback') ? { switchback: true } : {}),
      ...(nodeStamps ? {} : { nodeStamps: false }),
      ...(sessionGuarantees.length ? { sessionGuarantees } : {}),
    },
    workload: workloadSettings,
  };
  writeJson(run.settings, settings);

  const live: LiveCounts = { write: { ok: 0, fail: 0, info: 0 }, read: { ok: 0, fail: 0, info: 0 } };
  const seen: Seen = { okWrites: 0 };
  const app = new AppClient(cluster.appUrl);
  const workload = new Workload({
    generator: kind.generator({ app, settings: workloadSettings, shape: scenario.workload, random: seededRandom(ctx.seed) }),
    history,
    clock,
    concurrency: scenario.workload.concurrency,
    pauseMs: scenario.workload.pauseMs,
    maxOps: 100_000,
    onComplete: completionObserver(seen, live, kind.mutation, nodeStamps, options.onCounts),
  });
  const it: Iteration = { ctx, scenario, options, run, clock, recordEvent, faults, before, kind, workloadSettings, app, workload, live, seen };
  ctx.onSnapshot = snapshotObserver(seen, faults, clock, recordEvent);

  try {
    for (const step of plan) await (STEPS[step.step] as StepRunner<PlanStep>)(it, step);

    // What it counted during the run, as the profile's event (the DSQL stand-in's: statements
    // refused, conflicts answered as OC000, of a type ClusterEvent lists), which the checker reads.
    if (counter) {
      const counts = await counter.read().catch((e: Error) => ctx.logger.warn({ err: e.message }, `the ${counter.title} did not give its counts`));
      if (counts) recordEvent(counter.event(counts, countsBefore) as Parameters<RecordEvent>[0]);
    }

    ctx.onStep('checking the history', 'check');
    history.close();
    events.close();
    // The checker works from what was stored, exactly as `flipdrill check` on the run folder does.
    const result = loadRun(run.dir).check();
    const report: DrillReport = {
      schema: REPORT_SCHEMA,
      runId: run.id,
      scenario: scenario.name,
      startedAt,
      finishedAt: new Date().toISOString(),
      seed: ctx.seed,
      cluster: {
        name: cluster.spec.name,
        replication: cluster.spec.replication,
        timing: cluster.spec.timing,
        tls: cluster.spec.tls,
        app: await cluster.appProfile(),
        reused: !ctx.created,
        images: ctx.images,
      },
      workload: { name: kind.name, ...scenario.workload, operations: workload.issued },
      result,
    };
    writeJson(run.report, report);
    writeRunReports(run.dir);
    if (result.verdict === 'FAIL') await saveNodeLogs(cluster, run.dir, ctx.logger);
    return report;
  } finally {
    await workload.stop().catch(() => {});
    await faults.undoAll(ctx.logger);
    ctx.onSnapshot = undefined;
    ctx.onEndpointChange = undefined;
    history.close();
    events.close();
  }
}
