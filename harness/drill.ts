/**
 * The composition root of a drill: the only place that wires cluster, watcher,
 * workload, nemesis, checker and report together.
 *
 *   up (or reuse) → for each iteration: wait for a healthy cluster → warm up → [lag] → fault →
 *   hold → heal → settle → final read → check → report;  then tear down
 *
 * Whatever happens (a FAIL, an error, Ctrl-C), the workload stops, the watcher stops, the
 * fault is undone and the cluster the drill created is removed; the run folder keeps the record.
 */
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ANALYTICS_DATABASE,
  attachCluster,
  chooseTarget,
  ClusterError,
  ConfigError,
  connectDocker,
  createLogger,
  dropletIdOf,
  describeError,
  DrillAbortedError,
  ImageBuilder,
  startCluster,
  WaitTimeoutError,
  waitFor,
  type ClusterOptions,
  connectRemoteCluster,
  defineCluster,
  loadInventory,
  type ClusterSnapshot,
  type DrillTarget,
  type EndpointObservation,
  type EndpointState,
  type Logger,
  ClusterWatcher,
} from '../cluster/index.ts';
import type { FinalRead } from './checker/checker.ts';
import { AppClient } from './client/app-client.ts';
import { DrillClock, JsonLinesWriter } from './history.ts';
import { nemesisFor, type FaultTargets } from './nemesis/nemesis.ts';
import type { ClusterEvent, Op, WrittenValue } from './op.ts';
import { createRunFolder, writeJson, type RunFolder } from './report/run-folder.ts';
import { loadRun, RUN_SCHEMA, type RunSettings } from './report/stored-run.ts';
import { writeRepeatHtmlReport } from './report/html.ts';
import { renderJunitError, renderJunitIterations } from './report/junit.ts';
import { writeRunReports } from './report/write-reports.ts';
import { aggregate, REPORT_SCHEMA, type Aggregate, type DrillPhase, type DrillReport, type IterationResources, type LiveCounts } from './report/report.ts';
import { resolveScenario, type Scenario } from './scenario.ts';
import { seededRandom, Workload, type SqlReader } from './workloads/workload.ts';
import { workloadNamed, WORKLOAD_NAMES } from './workloads/registry.ts';

export interface DrillOptions {
  cluster?: ClusterOptions;
  runsDir?: string;
  /** Default: the built-in kill-primary scenario. */
  scenario?: Scenario;
  /** Run the scenario this many times on one cluster (it must restart the faulted node). */
  repeat?: number;
  /**
   * With repeat: take turns through these scenarios (iteration i runs rotation[(i - 1) % n])
   * instead of repeating `scenario`: a soak across faults on one cluster.
   */
  rotation?: Scenario[];
  /** The workload: `set` (the default) or `bank` (harness/workloads/). */
  workload?: string;
  /** Acknowledged writes that may be lost before the verdict is FAIL (default 0). */
  maxLost?: number;
  /** Override the scenario's warm-up and settle phases (tests keep them short). */
  warmupMs?: number;
  settleMs?: number;
  seed?: number;
  /** Leave a cluster the drill created running afterwards. */
  keep?: boolean;
  /**
   * Drill machines provisioned by ansible/ instead of Docker containers: `vagrant`,
   * `digitalocean`, or the path of an Ansible inventory. The app runs on this machine.
   */
  target?: string;
  /**
   * A target of your own instead of a Docker cluster or machines (the runner's tests hand it an
   * in-memory one). Never created or removed by the drill.
   */
  connect?: () => Promise<DrillTarget>;
  /**
   * With the DigitalOcean simulator: refusals the hook's first assign requests meet, in order (a
   * 429 with retry-after 1, a 422 "pending event"), so the drill shows the hook waiting them out.
   */
  doFaults?: ('429' | 'pending-event')[];
  signal?: AbortSignal;
  /** Each step as it starts, with the phase it belongs to (where it begins one). */
  onStep?: (step: string, phase?: DrillPhase) => void;
  /** The workload's running totals, a few times a second while it runs. */
  onCounts?: (counts: LiveCounts) => void;
  /** Called once the run folder exists, so an interrupted drill can still say where it is. */
  onRunFolder?: (run: RunFolder) => void;
  logLevel?: string;
  /** Also write the log, human-readable, here (the CLI's --verbose: stderr). */
  logEcho?: { write(s: string): unknown };
}

export interface DrillOutcome {
  run: RunFolder;
  /** The last iteration's report (the only one without --repeat). */
  report: DrillReport;
  reports: DrillReport[];
  aggregate: Aggregate | null;
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new DrillAbortedError('interrupted');
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

export function ownResources(): IterationResources {
  // With --expose-gc (NODE_OPTIONS), collect first: what is left is what is retained, not garbage.
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  return { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, activeResources: process.getActiveResourcesInfo().length };
}

interface DrillContext {
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

/** The Docker cluster for a drill: the running one of that name, or a new one (created: true). */
async function dockerCluster(
  options: DrillOptions,
  logger: Logger,
  onStep: (step: string, phase?: DrillPhase) => void,
  signal?: AbortSignal,
): Promise<{ cluster: DrillTarget; created: boolean; images: unknown }> {
  const docker = await connectDocker({ logger, onStep });
  throwIfAborted(signal);
  onStep('building images (cached after the first run)', 'images');
  const images = await new ImageBuilder({ docker, logger, onStep }).ensureAll();
  throwIfAborted(signal);

  const clusterName = options.cluster?.name ?? 'flipdrill';
  const attached = await attachCluster(docker, logger, clusterName);
  if (attached) {
    const cluster = attached;
    const wanted = options.cluster?.replication;
    if (wanted && wanted !== cluster.spec.replication) {
      throw new ClusterError(`the running cluster "${clusterName}" uses ${cluster.spec.replication} replication, not ${wanted}`, {
        hint: 'remove it first (npm run flipdrill -- down), or drop --replication',
      });
    }
    if (options.cluster?.tls !== undefined && options.cluster.tls !== cluster.spec.tls) {
      throw new ClusterError(`the running cluster "${clusterName}" runs ${cluster.spec.tls ? 'with' : 'without'} TLS`, {
        hint: 'remove it first (npm run flipdrill -- down), or drop --tls',
      });
    }
    onStep(`reusing the running cluster "${clusterName}" (it stays up after the drill)`);
    const profile = options.cluster?.appProfile;
    if (profile && profile !== (await cluster.appProfile())) {
      onStep(`replacing the app with the ${profile} one`);
      await cluster.useAppProfile(profile, signal);
    }
    return { cluster, created: false, images };
  }
  const standbys = options.cluster?.standbys ?? 1;
  onStep(`bringing up the cluster: node1 primary, ${standbys === 1 ? 'node2 standby' : `${standbys} standbys`}, the witness, and the app`, 'cluster');
  return { cluster: await startCluster(options.cluster ?? {}, { docker, images, logger, onStep, signal }), created: true, images };
}

export async function runDrill(options: DrillOptions = {}): Promise<DrillOutcome> {
  const rotation = options.rotation?.length ? options.rotation : [options.scenario ?? resolveScenario('kill-primary')];
  const repeat = options.repeat ?? 1;
  if (!Number.isInteger(repeat) || repeat < 1) throw new ConfigError(`--repeat must be a whole number from 1, not ${repeat}`);
  const oneShot = rotation.find((s) => !s.heal.restart && !nemesisFor(s).leavesClusterWhole);
  if (repeat > 1 && oneShot) {
    throw new ConfigError(`--repeat needs scenarios that bring the faulted node back (heal.restart, a switchover, a restart), and ${oneShot.name} does not`, {
      hint: 'for example: --scenario kill-primary-failback',
    });
  }
  if (options.workload !== undefined && !workloadNamed(options.workload)) {
    throw new ConfigError(`--workload must be ${WORKLOAD_NAMES.join(' or ')}, not ${options.workload}`);
  }
  const rotationName = rotation.map((s) => s.name).join(',');
  // Everything that can be checked without Docker or SSH, before the run folder exists: a bad
  // cluster definition or a missing inventory creates nothing.
  if (options.target) await loadInventory(options.target);
  else defineCluster(options.cluster ?? {});
  const run = createRunFolder(options.runsDir ?? 'runs');
  const startedAt = new Date().toISOString();
  options.onRunFolder?.(run);
  const logger: Logger = createLogger({ file: run.log, level: options.logLevel ?? 'info', ...(options.logEcho ? { echo: options.logEcho } : {}) }).child({ runId: run.id, scenario: rotationName });
  const onStep = (step: string, phase?: DrillPhase) => {
    logger.info({ phase }, step);
    options.onStep?.(step, phase);
  };
  const signal = options.signal;

  let ctx: DrillContext | undefined;
  let remote: DrillTarget | undefined;
  let watcher: ClusterWatcher | undefined;
  let kept: ReturnType<DrillTarget['keptObserver']> | undefined;
  try {
    let cluster: DrillTarget;
    let created = false;
    let images: unknown = null;
    if (options.connect) {
      cluster = await options.connect();
    } else if (options.target) {
      // Machines someone provisioned with ansible/: never created or removed here.
      remote = await connectRemoteCluster(options.target, {
        logger,
        onStep,
        signal,
        ...(options.cluster?.appProfile ? { appProfile: options.cluster.appProfile } : {}),
        appLogFile: path.join(run.dir, 'app.log'),
      });
      cluster = remote;
    } else {
      ({ cluster, created, images } = await dockerCluster(options, logger, onStep, signal));
    }
    ctx = { cluster, created, images, logger, onStep, signal, seed: options.seed ?? randomInt(2 ** 31) };
    const context = ctx;
    // The harness only looks: the cluster moves its endpoint itself (see cluster/endpoint/agent/).
    kept = cluster.keptObserver();
    const observer = kept;
    watcher = new ClusterWatcher({
      observe: () => observer.observe(),
      endpoint: cluster.endpoint,
      logger,
      intervalMs: 100,
      onChange: (e) => context.onEndpointChange?.(e),
      onSnapshot: (s, endpoint) => {
        context.latest = s;
        context.endpoint = endpoint;
        context.onSnapshot?.(s);
      },
    });
    await watcher.look();
    watcher.start();

    const reports: { report: DrillReport; dir: string }[] = [];
    const resources: IterationResources[] = [];
    for (let i = 1; i <= repeat; i++) {
      const folder = repeat > 1 ? createRunFolder(run.dir, undefined, `iteration-${String(i).padStart(2, '0')}`) : run;
      const current = rotation[(i - 1) % rotation.length]!;
      if (repeat > 1) onStep(`iteration ${i} of ${repeat}${rotation.length > 1 ? `: ${current.name}` : ''}`);
      const scope = repeat > 1 ? `${run.id}/${folder.id}` : run.id;
      const report = await runIteration(context, current, folder, scope, options);
      reports.push({ report, dir: folder.dir });
      resources.push(ownResources());
      if (repeat > 1) onStep(`iteration ${i}: ${report.result.verdict}`);
    }
    const agg = repeat > 1 ? aggregate(rotationName, reports, resources) : null;
    if (agg) {
      writeJson(`${run.dir}/aggregate.json`, agg);
      writeFileSync(
        path.join(run.dir, 'junit.xml'),
        renderJunitIterations({
          runId: run.id,
          scenario: rotationName,
          startedAt,
          finishedAt: new Date().toISOString(),
          verdict: agg.verdict,
          iterations: reports.map(({ report, dir }) => ({ folder: path.basename(dir), result: report.result })),
        }),
      );
      writeRepeatHtmlReport(run.dir, run.id, agg);
    }
    return { run, report: reports.at(-1)!.report, reports: reports.map((r) => r.report), aggregate: agg };
  } catch (error) {
    if (ctx && !(error instanceof DrillAbortedError)) await saveNodeLogs(ctx.cluster, run.dir, logger);
    // No verdict, but still a junit.xml for the CI gate: one case in error, saying why.
    if (!(error instanceof DrillAbortedError) && !existsSync(path.join(run.dir, 'junit.xml'))) {
      const e = error instanceof Error ? error : new Error(String(error));
      writeFileSync(
        path.join(run.dir, 'junit.xml'),
        renderJunitError({ runId: run.id, scenario: rotationName, startedAt, finishedAt: new Date().toISOString(), error: { type: e.name, message: describeError(e) } }),
      );
    }
    throw error;
  } finally {
    await watcher?.stop().catch(() => {});
    kept?.close();
    await remote?.release().catch((e) => logger.warn({ err: (e as Error).message }, 'letting go of the machines failed'));
    if (ctx?.created && !options.keep) {
      options.onStep?.('tearing down the cluster');
      await ctx.cluster.stop().catch((e) => logger.error({ err: (e as Error).message }, 'teardown failed'));
    }
    logger.flush?.();
  }
}

/**
 * A failed drill keeps what the nodes said: the tail of each running node's repmgrd and PostgreSQL
 * logs, saved in the run folder before the cluster is torn down (node-logs/<node>.log).
 */
async function saveNodeLogs(cluster: DrillTarget, dir: string, logger: Logger): Promise<void> {
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

/** One pass of the scenario. `scope` prefixes every name it writes; the final read sees only those rows. */
async function runIteration(ctx: DrillContext, scenario: Scenario, run: RunFolder, scope: string, options: DrillOptions): Promise<DrillReport> {
  const { cluster, signal, onStep } = ctx;
  const nemesis = nemesisFor(scenario);
  const clock = new DrillClock();
  const startedAt = new Date(clock.wallOrigin).toISOString();
  const history = new JsonLinesWriter<Op>(run.history);
  const events = new JsonLinesWriter<ClusterEvent>(run.events);
  const recordEvent = (event: Omit<ClusterEvent, 'time' | 'wall'> & { time?: number; wall?: number }) => {
    events.append({ ...event, time: event.time ?? clock.nowNs(), wall: event.wall ?? Date.now() } as ClusterEvent);
  };
  ctx.onEndpointChange = (e) => recordEvent({ type: 'endpoint', action: e.action, node: e.node, reason: e.reason, by: 'observed', wall: e.at, time: clock.nsOf(e.at) });

  const needStandby = scenario.fault.target !== 'witness' || scenario.expect.promotion;
  const before = await waitForHealthy(ctx, needStandby);
  const primary = chooseTarget(before)!.name;
  const standby = before.nodes.find((n) => n.role === 'standby')?.name;
  const node = scenario.fault.target === 'primary' ? primary : scenario.fault.target === 'standby' ? standby : before.nodes.find((n) => n.role === 'witness')?.name;
  if (!node) throw new ClusterError(`the ${scenario.name} scenario needs a ${scenario.fault.target}, and the cluster has none`);
  const targets: FaultTargets = { cluster, node, primary, standby };

  const kind = workloadNamed(options.workload ?? 'set')!;
  const workloadSettings = kind.settings(`${scope}/`);
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
      ...(scenario.heal.switchback ? { switchback: true } : {}),
    },
    workload: workloadSettings,
  };
  writeJson(run.settings, settings);

  // Progress, for the waits below.
  let faultNs: number | undefined;
  // Set before the fault is sent: a switchover only returns once the promotion is long done.
  let faultSentAt: number | undefined;
  let okWrites = 0;
  let promotedTo: string | undefined;
  let settleFrom: { ns: number; primary: string } | undefined;
  let firstOkSettlingNs: number | undefined;
  ctx.onSnapshot = (s) => {
    const now = chooseTarget(s);
    if (faultSentAt !== undefined && promotedTo === undefined && now && now.name !== primary && s.takenAt >= faultSentAt) {
      promotedTo = now.name;
      recordEvent({ type: 'promotion-observed', node: now.name, timeline: now.timeline, wall: s.takenAt, time: clock.nsOf(s.takenAt) });
    }
  };
  const live: LiveCounts = { write: { ok: 0, fail: 0, info: 0 }, read: { ok: 0, fail: 0, info: 0 } };
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
      okWrites += 1;
      const by = (op.value as WrittenValue).committed_by;
      if (settleFrom && firstOkSettlingNs === undefined && op.time > settleFrom.ns && by === settleFrom.primary) firstOkSettlingNs = op.time;
    },
  });

  try {
    if (kind.setup) {
      onStep(`setting up the ${kind.name} workload through the app`);
      await kind.setup(app, workloadSettings);
    }
    onStep(`warming up: ${scenario.workload.concurrency} clients of the ${kind.name} workload through the app`, 'warm-up');
    recordEvent({ type: 'phase', phase: 'warm-up' });
    workload.start();
    const warmupMs = options.warmupMs ?? scenario.warmupSecs * 1000;
    const warmupStartNs = clock.nowNs();
    await waitFor(`${warmupMs} ms of warm-up with acknowledged writes`, async () => clock.nowNs() - warmupStartNs >= warmupMs * 1e6 && okWrites > 0, {
      timeoutMs: warmupMs + 30_000,
      intervalMs: 100,
      signal,
      hint: 'the app did not acknowledge any write; see the app container logs',
    });

    if (nemesis.prepare) {
      const detail = await nemesis.prepare.run(targets);
      recordEvent({ type: 'phase', phase: 'prepare', detail });
      onStep(`${detail}; writes go on for ${nemesis.prepare.holdMs / 1000} s`);
      await hold(nemesis.prepare.holdMs, signal);
    }
    if (cluster.spec.endpoint === 'do-simulator') await armDoFaults(cluster, options.doFaults ?? [], recordEvent);
    onStep(`fault: ${scenario.description} (${node})`, 'fault');
    faultSentAt = Date.now();
    const fault = await nemesis.inject(targets);
    faultNs = clock.nsOf(fault.at);
    const standbys = before.nodes.filter((n) => n.role === 'standby').map((n) => n.name);
    recordEvent({ type: 'fault', kind: fault.kind, node, primary, standby, standbys, detail: fault.detail, confirmedAfterMs: fault.confirmedAt - fault.at, wall: fault.at, time: faultNs });

    if (scenario.hold.until === 'promotion') {
      onStep('waiting for repmgrd to promote a standby', 'promotion');
      await waitOrUndefined('a promotion', async () => promotedTo, scenario.hold.maxSecs * 1000, signal);
      if (promotedTo) onStep(`${promotedTo} is primary; waiting for the endpoint`);
    } else {
      onStep(`holding the fault for ${scenario.hold.maxSecs} s`, 'fault');
      await hold(scenario.hold.maxSecs * 1000, signal);
    }
    // The endpoint follows the new primary before anything is healed: a thawed or reconnected old
    // primary must find itself fenced.
    if (promotedTo) await waitOrUndefined('the endpoint on the new primary', async () => (await cluster.endpoint.state()).holder === promotedTo, 30_000, signal);

    const undoing = nemesis.undoing?.(targets);
    const restarting = scenario.heal.restart ? `restarting ${node}` : undefined;
    const rejoining = scenario.fault.type === 'switchover' ? `nothing to undo (repmgr rejoins ${primary} as a standby itself)` : undefined;
    onStep(`healing: ${[undoing, restarting].filter(Boolean).join(', then ') || rejoining || `nothing to undo (${node} stays down)`}`, 'heal');
    await nemesis.undo(targets);
    if (scenario.heal.restart) {
      const t0 = Date.now();
      await cluster.startNode(node);
      const wantedRole = node === standby || node === primary ? 'standby' : 'witness';
      const back = await waitForRole(ctx, node, wantedRole, t0);
      recordEvent({ type: 'heal', node, restarted: true, role: back ? wantedRole : roleOf(ctx, node), ms: Date.now() - t0 });
      onStep(back ? `${node} is back as a ${wantedRole} after ${((Date.now() - t0) / 1000).toFixed(1)} s` : `${node} did not come back as a ${wantedRole}`);
    } else if (scenario.fault.type === 'switchover') {
      // repmgr made the old primary rejoin during the switchover; the heal is seeing it stream.
      const t0 = Date.now();
      const back = await waitForRole(ctx, primary, 'standby', t0);
      recordEvent({ type: 'heal', node: primary, restarted: false, role: back ? 'standby' : roleOf(ctx, primary), ms: Date.now() - t0 });
      onStep(back ? `${primary} is a standby of ${node}` : `${primary} did not come back as a standby`);
    } else {
      recordEvent({ type: 'heal', node, restarted: false });
    }

    // Fail back: the old primary, a standby again, becomes primary again by a planned switchover.
    if (scenario.heal.switchback && !(promotedTo && roleOf(ctx, primary) === 'standby')) {
      const why = promotedTo ? `${primary} is ${roleOf(ctx, primary)}, not a standby` : 'nothing was promoted';
      recordEvent({ type: 'switchback', node: primary, ok: false, ms: 0, error: `cannot switch back: ${why}` });
      onStep(`not switching back: ${why}`);
    } else if (scenario.heal.switchback && promotedTo) {
      onStep(`switching back: repmgr standby switchover on ${primary}`);
      const t0 = Date.now();
      recordEvent({ type: 'phase', phase: 'switchback', detail: `repmgr standby switchover on ${primary}` });
      let error: string | undefined;
      await cluster.switchover(primary).catch((e: Error) => (error = e.message));
      const followed = error ? undefined : await waitOrUndefined(`the endpoint on ${primary}`, async () => (await cluster.endpoint.state()).holder === primary, 30_000, signal);
      // Timed from when it was asked for, so the endpoint's move (during the switchover) comes after it.
      recordEvent({ type: 'switchback', node: primary, ok: Boolean(followed), ms: Date.now() - t0, ...(error ? { error } : {}), wall: t0, time: clock.nsOf(t0) });
      onStep(followed ? `${primary} is primary again and holds the endpoint after ${((Date.now() - t0) / 1000).toFixed(1)} s` : `switching back to ${primary} failed: ${error ?? 'the endpoint did not follow'}`);
      // The new standby must be back before the settle phase measures writes through the primary.
      await waitForRole(ctx, promotedTo, 'standby', Date.now());
    }

    const finalPrimary = ctx.latest ? chooseTarget(ctx.latest)?.name : undefined;
    if (finalPrimary) {
      const settleMs = options.settleMs ?? scenario.settleSecs * 1000;
      settleFrom = { ns: clock.nowNs(), primary: finalPrimary };
      onStep(`settling: writes through ${finalPrimary} for ${settleMs / 1000} s`, 'settle');
      await waitOrUndefined(
        `writes acknowledged by ${finalPrimary} for ${settleMs} ms`,
        async () => firstOkSettlingNs !== undefined && clock.nowNs() - firstOkSettlingNs >= settleMs * 1e6,
        settleMs + 60_000,
        signal,
      );
    }

    onStep('stopping the workload and reading back every write from the primary', 'final-read');
    await workload.stop();
    options.onCounts?.(structuredClone(live));
    recordEvent({ type: 'phase', phase: 'final-read' });
    const readFrom = finalPrimary ?? (await cluster.primary());
    if (readFrom) {
      const database = (db: 'app' | 'analytics') => (db === 'app' ? cluster.credentials.app.database : ANALYTICS_DATABASE);
      const sql: SqlReader = <R,>(text: string, params: unknown[], db: 'app' | 'analytics') => cluster.query<Record<string, unknown>>(readFrom, text, params, database(db)) as Promise<R[]>;
      const own = await kind.finalRead(sql, workloadSettings);
      const [sync] = await cluster.query<{ names: string }>(readFrom, "SELECT current_setting('synchronous_standby_names') AS names");
      const finalRead: FinalRead = { node: readFrom, synchronousStandbyNames: sync?.names ?? '', ...own };
      writeJson(run.finalRead, finalRead);
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
        recordEvent({ type: 'repmgr', event: e.event, node: e.node_name, successful: e.successful, details: e.details, wall, time: clock.nsOf(wall) });
      }
    }

    if (cluster.spec.endpoint === 'do-simulator') await recordFloatingIp(cluster, clock, recordEvent);
    // What the cluster's endpoint agent did, in its own words (its log lines), next to what was seen.
    for (const e of await cluster.endpointActions(clock.wallOrigin)) {
      recordEvent({ type: 'endpoint-agent', action: e.action, ...(e.node ? { node: e.node } : {}), reason: e.reason, durationMs: e.durationMs, wall: e.at, time: clock.nsOf(e.at) });
    }
    onStep('checking the history', 'check');
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
    await nemesis.undo(targets).catch((e) => ctx.logger.warn({ err: (e as Error).message }, 'undoing the fault failed'));
    ctx.onSnapshot = undefined;
    ctx.onEndpointChange = undefined;
    history.close();
    events.close();
  }
}
