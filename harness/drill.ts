/**
 * The composition root of a drill: the only place that wires cluster, watcher,
 * workload, nemesis, checker and report together.
 *
 *   up (or reuse) → for each iteration: the scenario's phase plan (harness/iteration.ts: warm up,
 *   fault, hold, heal, settle, final read), check, report;  then tear down
 *
 * Whatever happens (a FAIL, an error, Ctrl-C), the workload stops, the watcher stops, the
 * fault is undone and the cluster the drill created is removed; the run folder keeps the record.
 */
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { writeFileSafely } from '../cluster/lib/safe-write.ts';
import {
  attachCluster,
  ClusterError,
  ConfigError,
  connectDocker,
  createLogger,
  describeError,
  DrillAbortedError,
  ImageBuilder,
  startCluster,
  type ClusterOptions,
  connectRemoteCluster,
  defineCluster,
  loadInventory,
  type DrillTarget,
  type Logger,
  ClusterWatcher,
  assertDataFsPossible,
  assertFaultFsPossible,
  engineAddress,
  REMOTE_CAPABILITIES,
  type CapabilityName,
} from '../cluster/index.ts';
import { saveNodeLogs, type DrillContext, type IterationOptions } from './runner/context.ts';
import { runIteration } from './runner/iteration.ts';
import { clusterNeeds, nemesisForFault, refusal } from './faults/index.ts';
import { createRunFolder, writeJson, type RunFolder } from './report/run-folder.ts';
import { writeRepeatHtmlReport } from './report/html/repeat-page.ts';
import { renderJunitError, renderJunitIterations } from './report/junit.ts';
import { aggregate, type Aggregate, type DrillPhase, type DrillReport, type IterationResources } from './report/report.ts';
import { resolveScenario, type Scenario } from './scenario.ts';
import { workloadNamed, WORKLOAD_NAMES } from './workloads/registry.ts';

/** The size of the data file systems of a cluster the drill creates for faults that fill one. */
export const DEFAULT_DATA_FS_MB = 512;

/** Every fault kind a scenario's plan injects. */
export function faultTypesOf(scenario: Scenario): string[] {
  return [scenario.fault.type, ...(scenario.plan ?? []).flatMap((s) => (s.step === 'fault' && s.fault ? [s.fault.type] : []))];
}

/** The first scenario whose faults the target cannot take, as one line. */
function firstRefusal(rotation: readonly Scenario[], has: readonly CapabilityName[], driver: string): string | undefined {
  for (const scenario of rotation) {
    // Switching back is a planned switchover too.
    const switchback = scenario.heal.switchback || (scenario.plan ?? []).some((s) => s.step === 'switchback');
    const problem = refusal([...faultTypesOf(scenario), ...(switchback ? ['switchover'] : [])], has, driver, scenario.name);
    if (problem) return problem;
  }
  return undefined;
}

export interface DrillOptions extends IterationOptions {
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
  signal?: AbortSignal;
  /** Each step as it starts, with the phase it belongs to (where it begins one). */
  onStep?: (step: string, phase?: DrillPhase) => void;
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

export function ownResources(): IterationResources {
  // With --expose-gc (NODE_OPTIONS), collect first: what is left is what is retained, not garbage.
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  return { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, activeResources: process.getActiveResourcesInfo().length };
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
    const appOf = (o: { client?: string; image?: string; appImage?: string } | undefined) =>
      o?.client ? `the client module ${o.client}` : (o?.image ?? o?.appImage) ? `the app image ${o.image ?? o.appImage}` : "flipdrill's app";
    if (appOf(cluster.spec.app) !== appOf(options.cluster)) {
      throw new ClusterError(`the running cluster "${clusterName}" runs ${appOf(cluster.spec.app)}, not ${appOf(options.cluster)}`, {
        hint: 'remove it first (npm run flipdrill -- down), or drill another cluster',
      });
    }
    if (!cluster.spec.app.start) {
      throw new ClusterError(`the running cluster "${clusterName}" runs no app (it was started with app: false)`, { hint: 'remove it first (npm run flipdrill -- down), or drill another cluster' });
    }
    const wanted = options.cluster?.replication;
    if (wanted && wanted !== cluster.spec.replication) {
      throw new ClusterError(`the running cluster "${clusterName}" uses ${cluster.spec.replication} replication, not ${wanted}`, {
        hint: 'remove it first (npm run flipdrill -- down), or drop --replication',
      });
    }
    if (options.cluster?.dataFsMb !== undefined && !cluster.spec.dataFs) {
      throw new ClusterError(`the running cluster "${clusterName}" keeps its data on the containers' own disks, not on a size-limited data file system of flipdrill's`, {
        hint: 'remove it first (npm run flipdrill -- down); the drill then creates one with a size-limited data file system',
      });
    }
    if (options.cluster?.faultFs && !cluster.spec.dataFs?.faults) {
      throw new ClusterError(`the running cluster "${clusterName}" keeps its data directories on no fault file system of flipdrill's (the disk faults need one)`, {
        hint: 'remove it first (npm run flipdrill -- down); the drill then creates one with the fault file system',
      });
    }
    if (options.cluster?.fakeClock && !cluster.spec.fakeClock) {
      throw new ClusterError(`the running cluster "${clusterName}" runs its nodes on the host's clock, not on a clock flipdrill can set (--fake-clock)`, {
        hint: 'remove it first (npm run flipdrill -- down); the drill then creates one with --fake-clock',
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
  const oneShot = rotation.find((s) => !s.heal.restart && !nemesisForFault(s.fault).leavesClusterWhole);
  if (repeat > 1 && oneShot) {
    throw new ConfigError(`--repeat needs scenarios that bring the faulted node back (heal.restart, a switchover, a restart), and ${oneShot.name} does not`, {
      hint: 'for example: --scenario kill-primary-failback',
    });
  }
  if (options.workload !== undefined && !workloadNamed(options.workload)) {
    throw new ConfigError(`--workload must be ${WORKLOAD_NAMES.join(' or ')}, not ${options.workload}`);
  }
  // Your client module speaks the app contract: the contract workload writes and reads through it.
  if (options.cluster?.client || options.cluster?.appImage) options = { ...options, workload: 'contract' };
  const rotationName = rotation.map((s) => s.name).join(',');
  // What the faults need of the target: machines over SSH are refused here, before anything is
  // created, if they lack a capability; a cluster the drill creates gets what the faults' modules
  // ask for (a size-limited data file system, 512 MB unless --data-fs-size says otherwise; a fake clock).
  if (options.target) {
    const problem = firstRefusal(rotation, REMOTE_CAPABILITIES, `machines of ${options.target} over SSH`);
    if (problem) throw new ConfigError(problem);
  }
  const needs = clusterNeeds(rotation.flatMap(faultTypesOf));
  if (needs.dataFs && !options.connect && !options.target && options.cluster?.dataFsMb === undefined) options = { ...options, cluster: { ...options.cluster, dataFsMb: DEFAULT_DATA_FS_MB } };
  if (needs.faultFs && !options.connect && !options.target) options = { ...options, cluster: { ...options.cluster, faultFs: true } };
  if (needs.fakeClock && !options.connect && !options.target) options = { ...options, cluster: { ...options.cluster, fakeClock: true } };
  // Everything that can be checked without Docker or SSH, before the run folder exists: a bad
  // cluster definition or a missing inventory creates nothing.
  if (options.cluster?.dataFsMb !== undefined && !options.connect && !options.target) assertDataFsPossible(engineAddress(process.env));
  if (options.cluster?.faultFs && !options.connect && !options.target) assertFaultFsPossible();
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
    // A target without what a fault needs is refused before any fault (one line: which capability, which target).
    const problem = firstRefusal(rotation, Object.keys(cluster.capabilities) as CapabilityName[], cluster.driver);
    if (problem) throw new ClusterError(problem);
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
      writeFileSafely(
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
      writeFileSafely(
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

