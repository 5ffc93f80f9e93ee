/**
 * The steps that only let the workload run and watch: warm-up, quiet (between faults), hold (a
 * fault held until a promotion or for a time), settle (writes through the primary at the end) and
 * the final read (every write read back from the primary, with what the cluster recorded).
 */
import { ANALYTICS_DATABASE, chooseTarget, waitFor } from '../../cluster/index.ts';
import type { FinalRead } from '../checker/types.ts';
import type { PlanStep } from '../plan.ts';
import { writeJson } from '../report/run-folder.ts';
import type { SqlReader } from '../workloads/workload.ts';
import { recordEndpointMoves, recordManagerEvents, recordRepmgrEvents } from './cluster-records.ts';
import { hold, waitOrUndefined } from './context.ts';
import type { Iteration } from './state.ts';

export async function warmUp(it: Iteration, step: Extract<PlanStep, { step: 'warm-up' }>): Promise<void> {
  const { ctx, kind, clock } = it;
  if (kind.setup) {
    ctx.onStep(`setting up the ${kind.name} workload through the app`);
    await kind.setup(it.app, it.workloadSettings);
  }
  ctx.onStep(`warming up: ${it.scenario.workload.concurrency} clients of the ${kind.name} workload through the app`, 'warm-up');
  it.recordEvent({ type: 'phase', phase: 'warm-up' });
  it.workload.start();
  const warmupMs = step.secs * 1000;
  const startNs = clock.nowNs();
  await waitFor(`${warmupMs} ms of warm-up with acknowledged writes`, async () => clock.nowNs() - startNs >= warmupMs * 1e6 && it.seen.okWrites > 0, {
    timeoutMs: warmupMs + 30_000,
    intervalMs: 100,
    signal: ctx.signal,
    hint: 'the app did not acknowledge any write; see the app container logs',
  });
}

/** Between two faults of a plan: the workload goes on, nothing is done to the cluster. */
export async function quiet(it: Iteration, step: Extract<PlanStep, { step: 'quiet' }>): Promise<void> {
  it.ctx.onStep(`quiet: writes go on for ${step.secs} s before the next fault`, 'fault');
  await hold(step.secs * 1000, it.ctx.signal);
}

export async function holdFault(it: Iteration, step: Extract<PlanStep, { step: 'hold' }>): Promise<void> {
  const { ctx } = it;
  if (step.until === 'promotion') {
    ctx.onStep(`waiting for ${ctx.cluster.managerName ?? 'repmgrd'} to promote a standby`, 'promotion');
    await waitOrUndefined('a promotion', async () => it.seen.promotedTo, step.maxSecs * 1000, ctx.signal);
    if (it.seen.promotedTo) ctx.onStep(`${it.seen.promotedTo} is primary; waiting for the endpoint`);
  } else {
    ctx.onStep(`holding the fault for ${step.maxSecs} s`, 'fault');
    await hold(step.maxSecs * 1000, ctx.signal);
  }
}

/** Writes acknowledged by the primary at the end for the step's time (none to wait for without a primary). */
export async function settle(it: Iteration, step: Extract<PlanStep, { step: 'settle' }>): Promise<void> {
  const { ctx, clock } = it;
  // The watcher's last look may be from before the heal (a thawed primary looked down while it was
  // frozen, and the settle was skipped): judge by a look begun after this step began.
  const from = Date.now();
  await waitOrUndefined('a look at the cluster after the heal', async () => ctx.latest !== undefined && ctx.latest.takenAt >= from, 10_000, ctx.signal);
  const finalPrimary = ctx.latest ? chooseTarget(ctx.latest)?.name : undefined;
  if (!finalPrimary) return;
  it.seen.finalPrimary = finalPrimary;
  const settleMs = step.secs * 1000;
  it.seen.settleFrom = { ns: clock.nowNs(), primary: finalPrimary };
  ctx.onStep(`settling: writes through ${finalPrimary} for ${settleMs / 1000} s`, 'settle');
  await waitOrUndefined(
    `writes acknowledged by ${finalPrimary} for ${settleMs} ms`,
    async () => {
      // A promotion that comes after the heal (repmgrd decided during a stall that has just ended):
      // settle on the new primary instead, from now.
      const now = ctx.latest ? chooseTarget(ctx.latest)?.name : undefined;
      if (now && now !== it.seen.settleFrom!.primary) {
        it.seen.finalPrimary = now;
        it.seen.settleFrom = { ns: clock.nowNs(), primary: now };
        it.seen.firstOkSettlingNs = undefined;
        ctx.onStep(`${now} was promoted after the heal: settling on it for ${settleMs / 1000} s`, 'settle');
      }
      return it.seen.firstOkSettlingNs !== undefined && clock.nowNs() - it.seen.firstOkSettlingNs >= settleMs * 1e6;
    },
    settleMs + 60_000,
    ctx.signal,
  );
}

/** Stop the workload; read back from the primary every row the run wrote, and what the cluster recorded. */
export async function finalRead(it: Iteration): Promise<void> {
  const { ctx, clock, run } = it;
  const { cluster } = ctx;
  ctx.onStep('stopping the workload and reading back every write from the primary', 'final-read');
  await it.workload.stop();
  it.options.onCounts?.(structuredClone(it.live));
  it.recordEvent({ type: 'phase', phase: 'final-read' });
  // The primary now, by the newest timeline (one promoted since the settle began included).
  const readFrom = (ctx.latest ? chooseTarget(ctx.latest)?.name : undefined) ?? it.seen.finalPrimary ?? (await cluster.primary());
  if (readFrom) {
    const database = (db: 'app' | 'analytics') => (db === 'app' ? cluster.credentials.app.database : (cluster.credentials.analytics?.database ?? ANALYTICS_DATABASE));
    const sql: SqlReader = <R,>(text: string, params: unknown[], db: 'app' | 'analytics') => cluster.query<Record<string, unknown>>(readFrom, text, params, database(db)) as Promise<R[]>;
    const own = await it.kind.finalRead({ sql, app: it.app }, it.workloadSettings);
    const [sync] = await cluster.query<{ names: string }>(readFrom, "SELECT current_setting('synchronous_standby_names') AS names");
    const read: FinalRead = { node: readFrom, synchronousStandbyNames: sync?.names ?? '', ...own };
    writeJson(run.finalRead, read);
    // The manager's own record where the target asks it (a cluster file's); repmgr's table otherwise.
    const asked = await recordManagerEvents(cluster, clock, it.recordEvent).catch((e: Error) => {
      ctx.logger.warn({ err: e.message }, `${cluster.managerName ?? 'the HA manager'} did not give its events`);
      return true;
    });
    if (!asked) await recordRepmgrEvents(cluster, readFrom, clock, it.recordEvent);
  }
  await recordEndpointMoves(cluster, clock, it.recordEvent);
}

