/**
 * One iteration of a drill: the runner's interpreter of the scenario's phase plan (harness/plan.ts).
 *
 *   wait for a healthy cluster → for each step of the plan: warm-up, then once or more
 *   [quiet], fault, [hold], heal, [switchback]; then settle, final read → check → report
 *
 * The steps share one Iteration: what the run has seen so far (the fault, the promotion, the
 * writes acknowledged while settling), which the watcher and the workload update as they go.
 * Whatever happens, the workload stops and the fault is undone.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import {
  ANALYTICS_DATABASE,
  chooseTarget,
  ClusterError,
  dropletIdOf,
  DrillAbortedError,
  WaitTimeoutError,
  waitFor,
  type ClusterSnapshot,
  type DrillTarget,
  type EndpointObservation,
  type EndpointState,
  type Logger,
} from '../cluster/index.ts';
import { CLOCK_TOLERANCE_MS } from './checker/clocks.ts';
import type { FinalRead } from './checker/types.ts';
import { AppClient } from './client/app-client.ts';
import { DrillClock, JsonLinesWriter } from './history.ts';
import { nemesisFor, nemesisForFault, type FaultTargets, type Nemesis } from './nemesis/nemesis.ts';
import type { ClusterEvent, Op, WrittenValue } from './op.ts';
import { withOverrides, type PlanStep } from './plan.ts';
import { writeJson, type RunFolder } from './report/run-folder.ts';
import { loadRun, RUN_SCHEMA, type RunSettings } from './report/stored-run.ts';
import { writeRunReports } from './report/write-reports.ts';
import { REPORT_SCHEMA, type DrillPhase, type DrillReport, type LiveCounts } from './report/report.ts';
import { planOf, type Scenario } from './scenario.ts';
import { workloadNamed } from './workloads/registry.ts';
import { seededRandom, Workload, type SqlReader, type WorkloadKind, type WorkloadSettings } from './workloads/workload.ts';

/** What an iteration takes of the drill's options. */
export interface IterationOptions {
  /** The workload: `set` (the default) or `bank` (harness/workloads/). */
  workload?: string;
  /** Acknowledged writes that may be lost before the verdict is FAIL (default 0). */
  maxLost?: number;
  /** Override the plan's warm-up and settle (tests keep them short). */
  warmupMs?: number;
  settleMs?: number;
  /**
   * With the DigitalOcean simulator: refusals the hook's first assign requests meet, in order (a
   * 429 with retry-after 1, a 422 "pending event"), so the drill shows the hook waiting them out.
   */
  doFaults?: ('429' | 'pending-event')[];
  /** The workload's running totals, a few times a second while it runs. */
  onCounts?: (counts: LiveCounts) => void;
  /**
   * When this iteration's clock starts (wall-clock ms): the time 0 of its history, its events and
   * its report.html's axis, so the console can count from the same origin.
   */
  onDrillClock?: (wallOriginMs: number) => void;
}

/** A timed load phase (a scenario's lag or hold is a duration, not a condition). Aborts with the drill. */
async function hold(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw new DrillAbortedError('interrupted');
  }
}

/** A wait whose timeout is a finding (recorded, then judged by the checker), not an error. */
async function waitOrUndefined<T>(describe: string, probe: () => Promise<T | undefined | false>, timeoutMs: number, signal?: AbortSignal): Promise<T | undefined> {
  try {
    return await waitFor(describe, probe, { timeoutMs, intervalMs: 50, signal });
  } catch (error) {
    if (error instanceof WaitTimeoutError) return undefined;
    throw error;
  }
}

/** The drill around its iterations: the cluster, the watcher's latest look, where what it sees goes. */
export interface DrillContext {
  cluster: DrillTarget;
  created: boolean;
  images: unknown;
  logger: Logger;
  onStep: (step: string, phase?: DrillPhase) => void;
  signal?: AbortSignal;
  seed: number;
  /** The watcher's latest look, and where what it sees goes (the current iteration). */
  latest?: ClusterSnapshot;
  endpoint?: EndpointState;
  onSnapshot?: (s: ClusterSnapshot) => void;
  onEndpointChange?: (e: EndpointObservation) => void;
}

/**
 * A failed drill keeps what the nodes said: the tail of each running node's repmgrd and PostgreSQL
 * logs, saved in the run folder before the cluster is torn down (node-logs/<node>.log).
 */
export async function saveNodeLogs(cluster: DrillTarget, dir: string, logger: Logger): Promise<void> {
  const out = path.join(dir, 'node-logs');
  mkdirSync(out, { recursive: true });
  for (const node of cluster.spec.nodes) {
    try {
      writeFileSync(path.join(out, `${node.name}.log`), await cluster.nodeLogs(node.name));
    } catch (error) {
      logger.warn({ node: node.name, err: (error as Error).message }, 'could not save node logs');
    }
  }
}

/**
 * Wait until the cluster is whole: one primary holding the endpoint, a standby, the witness. A
 * cluster whose endpoint mover is not running cannot heal: that is said at once, in one line.
 */
async function waitForHealthy(ctx: DrillContext, needStandby: boolean): Promise<ClusterSnapshot> {
  const mover = await ctx.cluster.endpointMover();
  if (!mover.ok) throw new ClusterError(`the cluster cannot move its endpoint: ${mover.problem ?? `${mover.by} is not running`}`, { hint: 'remove the cluster and start it again (flipdrill down, then up)' });
  return waitFor(
    'a healthy cluster (one primary holding the endpoint, a standby, the witness)',
    async () => {
      const s = ctx.latest;
      if (!s) return false;
      const target = chooseTarget(s);
      const roles = s.nodes.map((n) => n.role);
      const endpoint = ctx.endpoint ?? (await ctx.cluster.endpoint.state());
      const ok = target && roles.filter((r) => r === 'primary').length === 1 && (!needStandby || roles.includes('standby')) && roles.includes('witness') && endpoint.holder === target.name;
      if (!ok) return false;
      // Every node that is up must have finished starting (repmgrd running), or a fault now finds no one to promote.
      for (const n of s.nodes) if (n.role !== 'down' && !(await ctx.cluster.isReady(n.name))) return false;
      return s;
    },
    { timeoutMs: 90_000, intervalMs: 200, signal: ctx.signal, hint: 'the cluster did not recover from the previous iteration; see flipdrill.log' },
  );
}

type RecordEvent = (event: Omit<ClusterEvent, 'time' | 'wall'> & { time?: number; wall?: number }) => void;

/** Queue the simulator's refusals for the hook's next assign requests. */
async function armDoFaults(cluster: DrillTarget, faults: ('429' | 'pending-event')[], recordEvent: RecordEvent): Promise<void> {
  for (const fault of faults) {
    const response =
      fault === '429'
        ? { status: 429, body: { id: 'too_many_requests', message: 'API Rate limit exceeded.' }, headers: { 'retry-after': '1', 'ratelimit-remaining': '0' } }
        : { status: 422, body: { id: 'unprocessable_entity', message: 'The floating IP already has a pending event.' } };
    await cluster.doSimulator('faults', { match: { method: 'POST', pathRegex: '/actions$' }, times: 1, response });
  }
  if (faults.length) recordEvent({ type: 'phase', phase: 'do-faults', detail: `the simulator will refuse the next assign requests: ${faults.join(', ')}` });
}

interface SimAction {
  id: number;
  status: string;
  type: string;
  started_at: string;
  completed_at: string | null;
}

/**
 * What DigitalOcean saw: the hook's assign requests (with the answer each got) and the actions,
 * from the simulator's own records, and who holds the IP now.
 */
async function recordFloatingIp(cluster: DrillTarget, clock: DrillClock, recordEvent: RecordEvent): Promise<void> {
  const state = await cluster.doSimulator<{ ips: { ip: string; dropletId: number | null }[]; actions: SimAction[] }>('state');
  const { requests } = await cluster.doSimulator<{ requests: { at: number; method: string; path: string; status: number; headers: Record<string, string> }[] }>('requests');
  const hookToken = cluster.credentials.doTokens?.hook;
  const assigns = requests
    .filter((r) => r.method === 'POST' && r.path.endsWith('/actions') && r.at >= clock.wallOrigin && r.headers.authorization === `Bearer ${hookToken}`)
    .map((r) => ({ at: r.at, status: r.status }));
  const floatingIp = cluster.spec.doSimulator?.floatingIp;
  const holder = state.ips.find((i) => i.ip === floatingIp)?.dropletId ?? null;
  const node = cluster.spec.nodes.find((n) => dropletIdOf(n) === holder)?.name ?? null;
  recordEvent({
    type: 'floating-ip',
    ip: floatingIp ?? '',
    holderDroplet: holder,
    holder: node,
    assignRequests: assigns.map((a) => ({ status: a.status, atMs: a.at - clock.wallOrigin })),
    actions: state.actions
      .filter((a) => Date.parse(a.started_at) >= clock.wallOrigin - 1000)
      .map((a) => ({ id: a.id, status: a.status, startedAt: a.started_at, completedAt: a.completed_at })),
  });
}

function roleOf(ctx: DrillContext, node: string): string {
  return ctx.latest?.nodes.find((n) => n.name === node)?.role ?? 'down';
}

/** Wait (up to 90 s) for a snapshot newer than `since` to show `node` in `role`, its entrypoint done. */
async function waitForRole(ctx: DrillContext, node: string, role: string, since: number): Promise<boolean> {
  const seen = await waitOrUndefined(
    `${node} as a ${role}`,
    async () => ctx.latest !== undefined && ctx.latest.takenAt > since && ctx.latest.nodes.some((n) => n.name === node && n.role === role) && (await ctx.cluster.isReady(node)),
    90_000,
    ctx.signal,
  );
  return Boolean(seen);
}

/** What the steps share: set up once, then what the run has seen so far. */
interface Iteration {
  ctx: DrillContext;
  scenario: Scenario;
  options: IterationOptions;
  run: RunFolder;
  clock: DrillClock;
  recordEvent: RecordEvent;
  /** The fault now (or last) injected, its nemesis and its targets: a plan may hold several faults. */
  fault: Scenario['fault'];
  nemesis: Nemesis;
  targets: FaultTargets;
  /** How many faults were injected so far. */
  faults: number;
  /** The faults on now (injected, not yet healed), the last injected last: a heal heals the last. */
  open: OpenFault[];
  /** The cluster when the iteration began. */
  before: ClusterSnapshot;
  /** Who was primary and standby when the current fault came, and the node it hits. */
  primary: string;
  standby?: string;
  node: string;
  kind: WorkloadKind;
  workloadSettings: WorkloadSettings;
  app: AppClient;
  workload: Workload;
  live: LiveCounts;
  seen: {
    /** Set before the fault is sent: a switchover only returns once the promotion is long done. */
    faultSentAt?: number;
    promotedTo?: string;
    okWrites: number;
    settleFrom?: { ns: number; primary: string };
    firstOkSettlingNs?: number;
    finalPrimary?: string;
  };
}

/** A fault that is on, with who was who when it came. */
type OpenFault = Pick<Iteration, 'fault' | 'nemesis' | 'targets' | 'primary' | 'standby' | 'node'>;

type StepRunner<S extends PlanStep> = (it: Iteration, step: S) => Promise<void>;

async function warmUp(it: Iteration, step: Extract<PlanStep, { step: 'warm-up' }>): Promise<void> {
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

/** Who is who for a fault: the node its target role names, with the primary and a standby of that moment. */
function rolesFor(snapshot: ClusterSnapshot, fault: Scenario['fault'], scenarioName: string): { primary: string; standby?: string; node: string } {
  const primary = chooseTarget(snapshot)!.name;
  const standby = snapshot.nodes.find((n) => n.role === 'standby')?.name;
  const node = fault.target === 'app' ? 'app' : fault.target === 'primary' ? primary : fault.target === 'standby' ? standby : snapshot.nodes.find((n) => n.role === 'witness')?.name;
  if (!node) throw new ClusterError(`the ${scenarioName} scenario needs a ${fault.target}, and the cluster has none`);
  return { primary, ...(standby ? { standby } : {}), node };
}

async function fault(it: Iteration, step: Extract<PlanStep, { step: 'fault' }>): Promise<void> {
  if (it.faults > 0 || step.fault) {
    // A later fault of the plan (or one the step names): it comes once the cluster is whole again,
    // and hits whoever holds its target role now.
    const spec = step.fault ?? it.scenario.fault;
    const now = it.faults > 0 ? await waitForHealthy(it.ctx, spec.target !== 'witness' || it.scenario.expect.promotion !== false) : it.before;
    const roles = rolesFor(now, spec, it.scenario.name);
    it.fault = spec;
    it.nemesis = nemesisForFault(spec);
    it.primary = roles.primary;
    it.standby = roles.standby;
    it.node = roles.node;
    it.targets = { cluster: it.ctx.cluster, node: roles.node, primary: roles.primary, ...(roles.standby ? { standby: roles.standby } : {}) };
    it.seen.promotedTo = undefined;
  }
  it.faults += 1;
  // On from before it is sent: a drill stopped half-way undoes it too.
  it.open.push({ fault: it.fault, nemesis: it.nemesis, targets: it.targets, primary: it.primary, ...(it.standby ? { standby: it.standby } : {}), node: it.node });
  const { ctx, nemesis, targets, clock, node, primary, standby } = it;
  if (nemesis.prepare) {
    const detail = await nemesis.prepare.run(targets);
    it.recordEvent({ type: 'phase', phase: 'prepare', detail });
    ctx.onStep(`${detail}; writes go on for ${nemesis.prepare.holdMs / 1000} s`);
    await hold(nemesis.prepare.holdMs, ctx.signal);
  }
  if (ctx.cluster.spec.endpoint === 'do-simulator') await armDoFaults(ctx.cluster, it.options.doFaults ?? [], it.recordEvent);
  ctx.onStep(`fault: ${it.faults > 1 || it.fault !== it.scenario.fault ? `${it.fault.type} on the ${it.fault.target}` : it.scenario.description} (${node})`, 'fault');
  it.seen.faultSentAt = Date.now();
  const injected = await nemesis.inject(targets);
  const standbys = (ctx.latest ?? it.before).nodes.filter((n) => n.role === 'standby').map((n) => n.name);
  it.recordEvent({ type: 'fault', kind: injected.kind, node, primary, standby, standbys, detail: injected.detail, confirmedAfterMs: injected.confirmedAt - injected.at, wall: injected.at, time: clock.nsOf(injected.at) });
}

/** Between two faults of a plan: the workload goes on, nothing is done to the cluster. */
async function quiet(it: Iteration, step: Extract<PlanStep, { step: 'quiet' }>): Promise<void> {
  it.ctx.onStep(`quiet: writes go on for ${step.secs} s before the next fault`, 'fault');
  await hold(step.secs * 1000, it.ctx.signal);
}

async function holdFault(it: Iteration, step: Extract<PlanStep, { step: 'hold' }>): Promise<void> {
  const { ctx } = it;
  if (step.until === 'promotion') {
    ctx.onStep('waiting for repmgrd to promote a standby', 'promotion');
    await waitOrUndefined('a promotion', async () => it.seen.promotedTo, step.maxSecs * 1000, ctx.signal);
    if (it.seen.promotedTo) ctx.onStep(`${it.seen.promotedTo} is primary; waiting for the endpoint`);
  } else {
    ctx.onStep(`holding the fault for ${step.maxSecs} s`, 'fault');
    await hold(step.maxSecs * 1000, ctx.signal);
  }
}

async function heal(it: Iteration, step: Extract<PlanStep, { step: 'heal' }>): Promise<void> {
  // The fault injected last of those on: with two overlapping, the inner one first, then the outer.
  const healing = it.open.pop();
  if (healing) {
    it.fault = healing.fault;
    it.nemesis = healing.nemesis;
    it.targets = healing.targets;
    it.primary = healing.primary;
    it.standby = healing.standby;
    it.node = healing.node;
  }
  const { ctx, nemesis, targets, node, primary, standby } = it;
  const promotedTo = it.seen.promotedTo;
  // The endpoint follows the new primary before anything is healed: a thawed or reconnected old
  // primary must find itself fenced.
  if (promotedTo) await waitOrUndefined('the endpoint on the new primary', async () => (await ctx.cluster.endpoint.state()).holder === promotedTo, 30_000, ctx.signal);
  const undoing = nemesis.undoing?.(targets);
  // The node the fault left down: the one it hit, unless the nemesis says otherwise.
  const down = nemesis.down?.(targets) ?? node;
  const restarting = step.restart ? `restarting ${down}` : undefined;
  const rejoining = it.fault.type === 'switchover' ? `nothing to undo (repmgr rejoins ${primary} as a standby itself)` : undefined;
  const order = nemesis.undoAfterRestart ? [restarting, undoing] : [undoing, restarting];
  ctx.onStep(`healing: ${order.filter(Boolean).join(', then ') || rejoining || `nothing to undo (${down} stays down)`}`, 'heal');
  if (!(step.restart && nemesis.undoAfterRestart)) await nemesis.undo(targets);
  if (step.restart) {
    const t0 = Date.now();
    await ctx.cluster.startNode(down);
    // A data node comes back as a standby of whoever was promoted; with nobody promoted, an old primary is primary again.
    const wantedRole = down !== standby && down !== primary ? 'witness' : down === primary && !promotedTo ? 'primary' : 'standby';
    const back = await waitForRole(ctx, down, wantedRole, t0);
    it.recordEvent({ type: 'heal', node: down, restarted: true, role: back ? wantedRole : roleOf(ctx, down), ms: Date.now() - t0 });
    ctx.onStep(back ? `${down} is back as a ${wantedRole} after ${((Date.now() - t0) / 1000).toFixed(1)} s` : `${down} did not come back as a ${wantedRole}`);
    if (nemesis.undoAfterRestart) await nemesis.undo(targets);
  } else if (it.fault.type === 'switchover') {
    // repmgr made the old primary rejoin during the switchover; the heal is seeing it stream.
    const t0 = Date.now();
    const back = await waitForRole(ctx, primary, 'standby', t0);
    it.recordEvent({ type: 'heal', node: primary, restarted: false, role: back ? 'standby' : roleOf(ctx, primary), ms: Date.now() - t0 });
    ctx.onStep(back ? `${primary} is a standby of ${node}` : `${primary} did not come back as a standby`);
  } else {
    it.recordEvent({ type: 'heal', node, restarted: false });
  }
}

/** Fail back: the old primary, a standby again, becomes primary again by a planned switchover. */
async function switchback(it: Iteration): Promise<void> {
  const { ctx, primary, clock } = it;
  const promotedTo = it.seen.promotedTo;
  if (!(promotedTo && roleOf(ctx, primary) === 'standby')) {
    const why = promotedTo ? `${primary} is ${roleOf(ctx, primary)}, not a standby` : 'nothing was promoted';
    it.recordEvent({ type: 'switchback', node: primary, ok: false, ms: 0, error: `cannot switch back: ${why}` });
    ctx.onStep(`not switching back: ${why}`);
    return;
  }
  ctx.onStep(`switching back: repmgr standby switchover on ${primary}`);
  const t0 = Date.now();
  it.recordEvent({ type: 'phase', phase: 'switchback', detail: `repmgr standby switchover on ${primary}` });
  let error: string | undefined;
  await ctx.cluster.switchover(primary).catch((e: Error) => (error = e.message));
  const followed = error ? undefined : await waitOrUndefined(`the endpoint on ${primary}`, async () => (await ctx.cluster.endpoint.state()).holder === primary, 30_000, ctx.signal);
  // Timed from when it was asked for, so the endpoint's move (during the switchover) comes after it.
  it.recordEvent({ type: 'switchback', node: primary, ok: Boolean(followed), ms: Date.now() - t0, ...(error ? { error } : {}), wall: t0, time: clock.nsOf(t0) });
  ctx.onStep(followed ? `${primary} is primary again and holds the endpoint after ${((Date.now() - t0) / 1000).toFixed(1)} s` : `switching back to ${primary} failed: ${error ?? 'the endpoint did not follow'}`);
  // The new standby must be back before the settle phase measures writes through the primary.
  await waitForRole(ctx, promotedTo, 'standby', Date.now());
}

/** Writes acknowledged by the primary at the end for the step's time (none to wait for without a primary). */
async function settle(it: Iteration, step: Extract<PlanStep, { step: 'settle' }>): Promise<void> {
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
async function finalRead(it: Iteration): Promise<void> {
  const { ctx, clock, run } = it;
  const { cluster } = ctx;
  ctx.onStep('stopping the workload and reading back every write from the primary', 'final-read');
  await it.workload.stop();
  it.options.onCounts?.(structuredClone(it.live));
  it.recordEvent({ type: 'phase', phase: 'final-read' });
  // The primary now, by the newest timeline (one promoted since the settle began included).
  const readFrom = (ctx.latest ? chooseTarget(ctx.latest)?.name : undefined) ?? it.seen.finalPrimary ?? (await cluster.primary());
  if (readFrom) {
    const database = (db: 'app' | 'analytics') => (db === 'app' ? cluster.credentials.app.database : ANALYTICS_DATABASE);
    const sql: SqlReader = <R,>(text: string, params: unknown[], db: 'app' | 'analytics') => cluster.query<Record<string, unknown>>(readFrom, text, params, database(db)) as Promise<R[]>;
    const own = await it.kind.finalRead({ sql, app: it.app }, it.workloadSettings);
    const [sync] = await cluster.query<{ names: string }>(readFrom, "SELECT current_setting('synchronous_standby_names') AS names");
    const read: FinalRead = { node: readFrom, synchronousStandbyNames: sync?.names ?? '', ...own };
    writeJson(run.finalRead, read);
    const repmgrEvents = await cluster.query<{ node_name: string; event: string; successful: boolean; at: string; details: string | null }>(
      readFrom,
      `SELECT n.node_name, e.event, e.successful, (extract(epoch FROM e.event_timestamp) * 1000)::float8::text AS at, e.details
         FROM repmgr.events e JOIN repmgr.nodes n USING (node_id)
        WHERE e.event_timestamp >= to_timestamp($1 / 1000.0) ORDER BY e.event_timestamp`,
      [clock.wallOrigin],
      'repmgr',
    );
    for (const e of repmgrEvents) {
      const wall = Number(e.at);
      it.recordEvent({ type: 'repmgr', event: e.event, node: e.node_name, successful: e.successful, details: e.details, wall, time: clock.nsOf(wall) });
    }
  }
  if (cluster.spec.endpoint === 'do-simulator') await recordFloatingIp(cluster, clock, it.recordEvent);
  // What the cluster's endpoint agent did, in its own words (its log lines), next to what was seen.
  for (const e of await cluster.endpointActions(clock.wallOrigin)) {
    it.recordEvent({ type: 'endpoint-agent', action: e.action, ...(e.node ? { node: e.node } : {}), reason: e.reason, durationMs: e.durationMs, wall: e.at, time: clock.nsOf(e.at) });
  }
}

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
  const { primary, standby, node } = rolesFor(before, scenario.fault, scenario.name);
  // The DSQL stand-in counts from its start: this run's counts are the difference.
  const dsqlBefore = await cluster.dsqlStandInStats?.().catch(() => undefined);
  const targets: FaultTargets = { cluster, node, primary, ...(standby ? { standby } : {}) };
  const nemesis = nemesisFor(scenario);

  const kind = workloadNamed(options.workload ?? 'set')!;
  const workloadSettings = kind.settings(`${scope}/`);
  // The dsql app stamps its rows 'dsql' (Aurora DSQL has no node names): no stamp names a node.
  const nodeStamps = (await cluster.appProfile()) !== 'dsql';
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
    },
    workload: workloadSettings,
  };
  writeJson(run.settings, settings);

  const live: LiveCounts = { write: { ok: 0, fail: 0, info: 0 }, read: { ok: 0, fail: 0, info: 0 } };
  const seen: Iteration['seen'] = { okWrites: 0 };
  let countsSentAt = 0;
  const app = new AppClient(cluster.appUrl);
  const workload = new Workload({
    generator: kind.generator({ app, settings: workloadSettings, shape: scenario.workload, random: seededRandom(ctx.seed) }),
    history,
    clock,
    concurrency: scenario.workload.concurrency,
    pauseMs: scenario.workload.pauseMs,
    maxOps: 100_000,
    onComplete: (op) => {
      const isMutation = op.f === kind.mutation;
      if (op.type === 'ok' || op.type === 'fail' || op.type === 'info') live[isMutation ? 'write' : 'read'][op.type] += 1;
      if (options.onCounts && Date.now() - countsSentAt >= 250) {
        countsSentAt = Date.now();
        options.onCounts(structuredClone(live));
      }
      if (!isMutation || op.type !== 'ok') return;
      seen.okWrites += 1;
      const by = nodeStamps ? (op.value as WrittenValue).committed_by : undefined;
      // A write with no stamps (a client of yours that does not say which node committed it) counts as the primary's.
      if (seen.settleFrom && seen.firstOkSettlingNs === undefined && op.time > seen.settleFrom.ns && (by === undefined || by === seen.settleFrom.primary)) seen.firstOkSettlingNs = op.time;
    },
  });
  const it: Iteration = { ctx, scenario, options, run, clock, recordEvent, fault: scenario.fault, nemesis, targets, faults: 0, open: [], before, primary, ...(standby ? { standby } : {}), node, kind, workloadSettings, app, workload, live, seen };
  // The watcher's looks: the first one after the fault that shows another primary is the promotion.
  // Each node's clock against the harness's: a sample when it moved by more than the tolerance's
  // half since the last one recorded (the checker judges commit stamps by them).
  const clocks = new Map<string, number>();
  ctx.onSnapshot = (s) => {
    for (const n of s.nodes) {
      if (!n.clock || n.role === 'witness' || n.role === 'down') continue;
      const last = clocks.get(n.name);
      if (last !== undefined && Math.abs(n.clock.offsetMs - last) < CLOCK_TOLERANCE_MS / 2) continue;
      clocks.set(n.name, n.clock.offsetMs);
      recordEvent({ type: 'clock', node: n.name, offsetMs: n.clock.offsetMs, errorMs: n.clock.errorMs, wall: s.takenAt, time: clock.nsOf(s.takenAt) });
    }
    const now = chooseTarget(s);
    if (seen.faultSentAt !== undefined && seen.promotedTo === undefined && now && now.name !== it.primary && s.takenAt >= seen.faultSentAt) {
      seen.promotedTo = now.name;
      recordEvent({ type: 'promotion-observed', node: now.name, timeline: now.timeline, wall: s.takenAt, time: clock.nsOf(s.takenAt) });
    }
  };

  try {
    for (const step of plan) await (STEPS[step.step] as StepRunner<PlanStep>)(it, step);

    // What the DSQL stand-in counted (statements refused, conflicts answered as OC000), with the dsql app.
    const dsql = await cluster.dsqlStandInStats?.().catch((e: Error) => ctx.logger.warn({ err: e.message }, 'the DSQL stand-in did not give its counts'));
    if (dsql) {
      const refused = Object.fromEntries(Object.entries(dsql.refused).map(([rule, n]) => [rule, n - (dsqlBefore?.refused[rule] ?? 0)]).filter(([, n]) => Number(n) > 0));
      recordEvent({ type: 'dsql-stand-in', refused, conflicts: dsql.conflicts - (dsqlBefore?.conflicts ?? 0), sessions: dsql.sessions - (dsqlBefore?.sessions ?? 0) });
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
    // Every fault still on, the last injected first (none on: the last one's undo again, which is safe).
    for (const f of it.open.length ? [...it.open].reverse() : [it]) {
      await f.nemesis.undo(f.targets).catch((e) => ctx.logger.warn({ err: (e as Error).message, fault: f.fault.type }, 'undoing the fault failed'));
    }
    ctx.onSnapshot = undefined;
    ctx.onEndpointChange = undefined;
    history.close();
    events.close();
  }
}
