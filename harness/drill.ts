/**
 * The composition root of a drill: the only place that wires cluster, endpoint controller,
 * workload, nemesis, checker and report together.
 *
 *   up (or reuse) → warm up → fault → wait for promotion and the endpoint → settle → stop the
 *   workload → final read of the new primary → check → report → tear down
 *
 * Whatever happens (a FAIL, an error, Ctrl-C), the workload stops, the controller stops, the
 * fault is healed and the cluster the drill created is removed; the run folder keeps the record.
 */
import { randomInt } from 'node:crypto';
import {
  attachCluster,
  chooseTarget,
  ClusterError,
  connectDocker,
  createLogger,
  DrillAbortedError,
  ImageBuilder,
  startCluster,
  WaitTimeoutError,
  waitFor,
  type ClusterOptions,
  type ClusterSnapshot,
  type Logger,
  type StartedCluster,
} from '../cluster/index.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckResult, FinalRead } from './checker/checker.ts';
import { AppClient } from './client/app-client.ts';
import { DrillClock, JsonLinesWriter } from './history.ts';
import { killPrimary, type FaultTargets, type Nemesis } from './nemesis/nemesis.ts';
import type { ClusterEvent, Op, WrittenValue } from './op.ts';
import { createRunFolder, writeJson, type RunFolder } from './report/run-folder.ts';
import { loadRun, RUN_SCHEMA, type RunSettings } from './report/stored-run.ts';
import { Workload } from './workload.ts';

export const REPORT_SCHEMA = 'flipdrill.report/v1';

export interface DrillOptions {
  cluster?: ClusterOptions;
  runsDir?: string;
  nemesis?: Nemesis;
  /** Acknowledged writes that may be lost before the verdict is FAIL (default 0). */
  maxLost?: number;
  warmupMs?: number;
  /** Keep the workload running this long after writes resumed on the new primary. */
  settleMs?: number;
  promotionTimeoutMs?: number;
  resumeTimeoutMs?: number;
  concurrency?: number;
  readFraction?: number;
  pauseMs?: number;
  maxOps?: number;
  seed?: number;
  /** Leave a cluster the drill created running afterwards. */
  keep?: boolean;
  signal?: AbortSignal;
  onStep?: (step: string) => void;
  /** Called once the run folder exists, so an interrupted drill can still say where it is. */
  onRunFolder?: (run: RunFolder) => void;
  logLevel?: string;
}

export interface DrillReport {
  schema: typeof REPORT_SCHEMA;
  runId: string;
  scenario: string;
  startedAt: string;
  finishedAt: string;
  seed: number;
  cluster: { name: string; replication: string; timing: unknown; reused: boolean; images: unknown };
  workload: { concurrency: number; readFraction: number; pauseMs: number; operations: number };
  result: CheckResult;
}

export interface DrillOutcome {
  run: RunFolder;
  report: DrillReport;
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new DrillAbortedError('interrupted');
}

/** A timed load phase (warm-up is a condition; a scenario's hold is a duration). Aborts with the drill. */
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

export async function runDrill(options: DrillOptions = {}): Promise<DrillOutcome> {
  const nemesis = options.nemesis ?? killPrimary;
  const run = createRunFolder(options.runsDir ?? 'runs');
  options.onRunFolder?.(run);
  const logger: Logger = createLogger({ file: run.log, level: options.logLevel ?? 'info' }).child({ runId: run.id });
  const onStep = (step: string) => {
    logger.info(step);
    options.onStep?.(step);
  };
  const signal = options.signal;
  const seed = options.seed ?? randomInt(2 ** 31);
  const clock = new DrillClock();
  const startedAt = new Date(clock.wallOrigin).toISOString();
  const history = new JsonLinesWriter<Op>(run.history);
  const events = new JsonLinesWriter<ClusterEvent>(run.events);
  const eventLog: ClusterEvent[] = [];
  const recordEvent = (event: Omit<ClusterEvent, 'time' | 'wall'> & { time?: number; wall?: number }) => {
    const e = { ...event, time: event.time ?? clock.nowNs(), wall: event.wall ?? Date.now() } as ClusterEvent;
    eventLog.push(e);
    events.append(e);
  };

  let cluster: StartedCluster | undefined;
  let created = false;
  let workload: Workload | undefined;
  let controller: ReturnType<StartedCluster['endpointController']> | undefined;
  let targets: FaultTargets | undefined;

  try {
    const docker = await connectDocker({ logger, onStep });
    throwIfAborted(signal);
    onStep('building images (cached after the first run)');
    const images = await new ImageBuilder({ docker, logger, onStep }).ensureAll();
    throwIfAborted(signal);

    const clusterName = options.cluster?.name ?? 'flipdrill';
    cluster = await attachCluster(docker, logger, clusterName);
    if (cluster) {
      const status = await cluster.status();
      const roles = status.nodes.map((n) => n.role);
      if (!roles.includes('primary') || !roles.includes('standby')) {
        throw new ClusterError(
          `the running cluster "${clusterName}" has ${roles.includes('primary') ? 'no standby left to promote' : 'no primary'} (${status.nodes.map((n) => `${n.name} ${n.role}`).join(', ')})`,
          { hint: 'start afresh with: npm run flipdrill -- down' },
        );
      }
      const wanted = options.cluster?.replication;
      if (wanted && wanted !== cluster.spec.replication) {
        throw new ClusterError(`the running cluster "${clusterName}" uses ${cluster.spec.replication} replication, not ${wanted}`, {
          hint: 'remove it first (npm run flipdrill -- down), or drop --replication',
        });
      }
      onStep(`reusing the running cluster "${clusterName}" (it stays up after the drill)`);
    } else {
      onStep('bringing up the cluster: node1 primary, node2 standby, node3 witness, and the app');
      const t0 = Date.now();
      cluster = await startCluster(options.cluster ?? {}, { docker, images, logger, onStep, signal });
      created = true;
      recordEvent({ type: 'phase', phase: 'cluster-up', ms: Date.now() - t0 });
    }

    const settings: RunSettings = {
      schema: RUN_SCHEMA,
      runId: run.id,
      scenario: nemesis.kind,
      startedAt,
      seed,
      expectations: { maxLost: options.maxLost ?? 0, replication: cluster.spec.replication },
    };
    writeJson(run.settings, settings);

    let latest: ClusterSnapshot | undefined;
    controller = cluster.endpointController({
      onEvent: (e) => recordEvent({ type: 'endpoint', action: e.action, node: e.node, reason: e.reason, durationMs: e.durationMs, wall: e.at, time: clock.nsOf(e.at) }),
      onSnapshot: (s) => (latest = s),
    });
    await controller.settle();
    controller.start();

    // Progress of the workload, for the waits below.
    let faultNs: number | undefined;
    let okWrites = 0;
    let firstOkOnNewNs: number | undefined;
    let newPrimary: string | undefined;
    const client = new AppClient(cluster.appUrl);
    workload = new Workload({
      client,
      history,
      clock,
      concurrency: options.concurrency ?? 4,
      readFraction: options.readFraction ?? 0.3,
      pauseMs: options.pauseMs ?? 20,
      maxOps: options.maxOps ?? 50_000,
      seed,
      onComplete: (op) => {
        if (op.f !== 'write' || op.type !== 'ok') return;
        okWrites += 1;
        const by = (op.value as WrittenValue).committed_by;
        if (faultNs !== undefined && firstOkOnNewNs === undefined && op.time > faultNs && newPrimary !== undefined && by === newPrimary) {
          firstOkOnNewNs = op.time;
        }
      },
    });

    onStep(`warming up: ${options.concurrency ?? 4} clients writing and reading through the app`);
    recordEvent({ type: 'phase', phase: 'warm-up' });
    workload.start();
    const warmupMs = options.warmupMs ?? 3000;
    const warmupStartNs = clock.nowNs();
    await waitFor(`${warmupMs} ms of warm-up with acknowledged writes`, async () => clock.nowNs() - warmupStartNs >= warmupMs * 1e6 && okWrites > 0, {
      timeoutMs: warmupMs + 30_000,
      intervalMs: 100,
      signal,
      hint: 'the app did not acknowledge any write; see the app container logs',
    });

    const target = (latest && chooseTarget(latest)?.name) ?? (await cluster.primary());
    if (!target) throw new ClusterError('no primary to inject the fault into');
    targets = { cluster, primary: target, standby: latest?.nodes.find((n) => n.role === 'standby')?.name };
    if (nemesis.prepare) {
      const detail = await nemesis.prepare.run(targets);
      recordEvent({ type: 'phase', phase: 'prepare', detail });
      onStep(`${detail}; writes go on for ${nemesis.prepare.holdMs / 1000} s`);
      await hold(nemesis.prepare.holdMs, signal);
    }
    onStep(`fault: ${nemesis.description} (${target})`);
    const fault = await nemesis.inject(targets);
    faultNs = clock.nsOf(fault.at);
    recordEvent({ type: 'fault', kind: fault.kind, node: fault.node, detail: fault.detail, confirmedAfterMs: fault.confirmedAt - fault.at, wall: fault.at, time: faultNs });

    onStep('waiting for repmgrd to promote a standby');
    const promoted = await waitOrUndefined(
      'a new primary',
      async () => latest && latest.takenAt > fault.at && latest.nodes.find((n) => n.role === 'primary' && n.name !== target),
      options.promotionTimeoutMs ?? 60_000,
      signal,
    );
    if (promoted) {
      newPrimary = promoted.name;
      recordEvent({ type: 'promotion-observed', node: promoted.name, timeline: promoted.timeline, wall: latest!.takenAt, time: clock.nsOf(latest!.takenAt) });
      onStep(`${promoted.name} is primary (timeline ${promoted.timeline}); waiting for the endpoint and for writes to resume`);
      const settleMs = options.settleMs ?? 3000;
      await waitOrUndefined(
        `writes acknowledged by ${promoted.name} for ${settleMs} ms`,
        async () => firstOkOnNewNs !== undefined && clock.nowNs() - firstOkOnNewNs >= settleMs * 1e6,
        options.resumeTimeoutMs ?? 60_000,
        signal,
      );
    }

    onStep('stopping the workload and reading back every write from the new primary');
    await workload.stop();
    await controller.stop();
    recordEvent({ type: 'phase', phase: 'final-read' });

    const finalNode = newPrimary ?? (await cluster.primary());
    if (finalNode) {
      const rows = await cluster.query<{ id: string; committed_by: string; committed_timeline: number; committed_at_us: string }>(
        finalNode,
        `SELECT id::text AS id, committed_by, committed_timeline,
                (extract(epoch FROM committed_at) * 1000000)::bigint::text AS committed_at_us
           FROM countries ORDER BY committed_at`,
        [],
        cluster.credentials.app.database,
      );
      const [sync] = await cluster.query<{ names: string }>(finalNode, "SELECT current_setting('synchronous_standby_names') AS names");
      const finalRead: FinalRead = {
        node: finalNode,
        synchronousStandbyNames: sync?.names ?? '',
        rows: rows.map((r) => ({ ...r, committed_at_us: Number(r.committed_at_us) })),
      };
      writeJson(run.finalRead, finalRead);
      const repmgrEvents = await cluster.query<{ node_name: string; event: string; successful: boolean; at: string; details: string | null }>(
        finalNode,
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

    onStep('checking the history');
    history.close();
    events.close();
    // The checker works from what was stored, exactly as `flipdrill check` on the run folder does.
    const result = loadRun(run.dir).check();
    const report: DrillReport = {
      schema: REPORT_SCHEMA,
      runId: run.id,
      scenario: nemesis.kind,
      startedAt,
      finishedAt: new Date().toISOString(),
      seed,
      cluster: {
        name: cluster.spec.name,
        replication: cluster.spec.replication,
        timing: cluster.spec.timing,
        reused: !created,
        images,
      },
      workload: {
        concurrency: options.concurrency ?? 4,
        readFraction: options.readFraction ?? 0.3,
        pauseMs: options.pauseMs ?? 20,
        operations: workload.issued,
      },
      result,
    };
    writeJson(run.report, report);
    return { run, report };
  } finally {
    await workload?.stop().catch(() => {});
    await controller?.stop().catch(() => {});
    history.close();
    events.close();
    if (targets) await nemesis.heal(targets).catch((e) => logger.warn({ err: (e as Error).message }, 'heal failed'));
    if (cluster && created && !options.keep) {
      options.onStep?.('tearing down the cluster');
      await cluster.stop().catch((e) => logger.error({ err: (e as Error).message }, 'teardown failed'));
    }
    logger.flush?.();
  }
}
