/**
 * What the runner's steps share with the drill around them: the drill's context (the cluster, the
 * watcher's latest look, where what it sees goes), the options an iteration takes, and the waits
 * every step uses: a timed hold, a wait whose timeout is a finding, a whole cluster, a node in a role.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lstatSync, mkdirSync } from 'node:fs';
import { writeFileSafely } from '../../cluster/lib/safe-write.ts';
import {
  chooseTarget,
  ClusterError,
  DrillAbortedError,
  WaitTimeoutError,
  waitFor,
  type ClusterSnapshot,
  type DrillTarget,
  type EndpointObservation,
  type EndpointState,
  type Logger,
} from '../../cluster/index.ts';
import type { ClusterEvent } from '../op.ts';
import type { DrillPhase, LiveCounts } from '../report/report.ts';

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
export async function hold(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw new DrillAbortedError('interrupted');
  }
}

/** A wait whose timeout is a finding (recorded, then judged by the checker), not an error. */
export async function waitOrUndefined<T>(describe: string, probe: () => Promise<T | undefined | false>, timeoutMs: number, signal?: AbortSignal): Promise<T | undefined> {
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
  // Its own folder, never one a link planted at its name leads to.
  try {
    mkdirSync(out);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if (!lstatSync(out).isDirectory()) {
    logger.warn({ dir: out }, 'node-logs is not a folder: node logs not saved');
    return;
  }
  for (const node of cluster.spec.nodes) {
    try {
      writeFileSafely(path.join(out, `${node.name}.log`), await cluster.nodeLogs(node.name));
    } catch (error) {
      logger.warn({ node: node.name, err: (error as Error).message }, 'could not save node logs');
    }
  }
}

/**
 * Wait until the cluster is whole: one primary holding the endpoint, a standby, the witness. A
 * cluster whose endpoint mover is not running cannot heal: that is said at once, in one line.
 */
export async function waitForHealthy(ctx: DrillContext, needStandby: boolean): Promise<ClusterSnapshot> {
  const mover = await ctx.cluster.endpointMover();
  if (!mover.ok) throw new ClusterError(`the cluster cannot move its endpoint: ${mover.problem ?? `${mover.by} is not running`}`, { hint: 'remove the cluster and start it again (flipdrill down, then up)' });
  return waitFor(
    'a healthy cluster (one primary holding the endpoint, a standby, the witness if it has one)',
    async () => {
      // Each "not yet" says what is missing: a wait that times out reports the last one.
      const s = ctx.latest;
      if (!s) throw new Error('no look at the cluster yet');
      const target = chooseTarget(s);
      const roles = s.nodes.map((n) => n.role);
      const seen = s.nodes.map((n) => `${n.name} ${n.role}`).join(', ');
      const endpoint = ctx.endpoint ?? (await ctx.cluster.endpoint.state());
      // A witness only where the cluster has one (Patroni and pg_auto_failover have none).
      const witness = !ctx.cluster.spec.nodes.some((n) => n.initialRole === 'witness') || roles.includes('witness');
      const primaries = roles.filter((r) => r === 'primary').length;
      if (!target || primaries !== 1) throw new Error(`${primaries} primaries (${seen})`);
      if (needStandby && !roles.includes('standby')) throw new Error(`no standby (${seen})`);
      if (!witness) throw new Error(`no witness (${seen})`);
      if (endpoint.holder !== target.name) throw new Error(`the endpoint is on ${endpoint.holder ?? 'no node'}, not on the primary ${target.name}`);
      // Every node that is up must have finished starting (repmgrd running), or a fault now finds no one to promote.
      for (const n of s.nodes) if (n.role !== 'down' && !(await ctx.cluster.isReady(n.name))) throw new Error(`${n.name} (${n.role}) has not finished starting (${seen})`);
      return s;
    },
    { timeoutMs: 90_000, intervalMs: 200, signal: ctx.signal, hint: 'the cluster did not recover from the previous iteration; see flipdrill.log' },
  );
}

/** Record a cluster event on the iteration's clock (now, unless it says when). */
export type RecordEvent = (event: Omit<ClusterEvent, 'time' | 'wall'> & { time?: number; wall?: number }) => void;

export function roleOf(ctx: DrillContext, node: string): string {
  return ctx.latest?.nodes.find((n) => n.name === node)?.role ?? 'down';
}

/** Wait (up to 90 s) for a snapshot newer than `since` to show `node` in `role`, its entrypoint done. */
export async function waitForRole(ctx: DrillContext, node: string, role: string, since: number): Promise<boolean> {
  const seen = await waitOrUndefined(
    `${node} as a ${role}`,
    async () => ctx.latest !== undefined && ctx.latest.takenAt > since && ctx.latest.nodes.some((n) => n.name === node && n.role === role) && (await ctx.cluster.isReady(node)),
    90_000,
    ctx.signal,
  );
  return Boolean(seen);
}

