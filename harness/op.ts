/**
 * Operations are data (Jepsen's vocabulary). A process invokes an operation, then completes it:
 *   ok    it happened
 *   fail  it surely did not happen
 *   info  unknown: it may or may not have happened (a timeout, a connection lost after sending)
 * A process whose operation ended in `info` is retired: its operation stays concurrent with
 * everything after it, so the worker continues under a new process number.
 */
import type { ServedBy } from '../app/db/served-by.ts';

export type OpType = 'invoke' | 'ok' | 'fail' | 'info';
/** The operation's name: the set workload's `write` and `read`, the bank's `transfer` and `read`... */
export type OpF = string;

export interface Op {
  process: number;
  type: OpType;
  f: OpF;
  value: unknown;
  /** Monotonic nanoseconds since the drill started. */
  time: number;
  error?: string;
  /**
   * The session (the worker) that invoked it: a worker keeps its session when an unknown outcome
   * retires its process. On invocations; absent in histories recorded before sessions were.
   */
  session?: number;
}

/** What a write sends: the client chooses the id. */
export interface WriteValue {
  id: string;
  name: string;
  /** Which of the app's databases: its own (countries, the default) or analytics (events). */
  db?: 'app' | 'analytics';
}

/** What an acknowledged write returns: the database's own stamps. */
export interface WrittenValue extends WriteValue {
  committed_by: string;
  committed_timeline: number;
  committed_at: string;
}

/** The node that answered a read, as it said itself: its name, whether in recovery, and its timeline if it knows it. */
export type { ServedBy };

export interface ReadValue {
  id: string;
  found?: boolean;
  committed_by?: string;
  /** Which node answered (the app says, where it can). */
  served_by?: ServedBy;
}

export type Completion = Pick<Op, 'type' | 'value' | 'error'>;

/** Cluster events, recorded next to the history (events.jsonl). */
export interface ClusterEvent {
  /**
   * `endpoint`: a change of the endpoint the drill saw (move, fence, unfence); `endpoint-agent`:
   * what the cluster's endpoint agent says it did, with its reason, read from its log; `manager`:
   * what a cluster file's HA manager recorded (Patroni's history, pg_auto_failover's events);
   * `node-state`: the watcher saw a node's role or timeline change (`lastSeenBeforeNs`: the last
   * look that still saw it as before).
   */
  type: 'phase' | 'node-state' | 'fault' | 'promotion-observed' | 'endpoint' | 'endpoint-agent' | 'repmgr' | 'manager' | 'heal' | 'switchback' | 'floating-ip' | 'clock' | 'dsql-stand-in';
  /** Monotonic nanoseconds since the drill started (absent for events read back from repmgr). */
  time?: number;
  /** Wall-clock milliseconds since the epoch. */
  wall: number;
  [key: string]: unknown;
}
