/**
 * The checker's vocabulary: what a drill hands it (the history, the events, the final read, the
 * scenario's expectations, the workload's part) and what it answers (the result, its checks and
 * figures). Types only.
 */
import type { SessionGuarantee } from '../../cluster/app-profiles/profile.ts';
import type { ClusterEvent, Op } from '../op.ts';

export interface FinalRow {
  id: string;
  committed_by: string;
  committed_timeline: number;
  /** clock_timestamp() of the commit, in microseconds since the epoch. */
  committed_at_us?: number;
}

export interface FinalRead {
  node: string;
  /** Every row the run's mutations wrote (the workload's own columns may come with them). */
  rows: readonly FinalRow[];
  /** Whatever else the workload read back for its checker (the bank: every balance). */
  state?: unknown;
  /** The new primary's synchronous_standby_names at the end: '' means it runs without a synchronous standby. */
  synchronousStandbyNames?: string;
}

export interface Expectations {
  /** Acknowledged writes that may be lost before the verdict is FAIL (async replication's budget). */
  maxLost: number;
  replication: 'sync' | 'async';
  /**
   * Must a standby be promoted (true), or must none be (false)? 'either': the fault sits on the
   * edge of failure detection (a flapping primary, a random schedule), and what is checked is
   * that the history holds whichever way it went.
   */
  promotion: boolean | 'either';
  /** The node that must be primary at the end: the one that was primary, or standby, when the fault hit; 'either': any one node. */
  finalPrimary: 'primary' | 'standby' | 'either';
  /** Longest acceptable gap in acknowledged writes, as the clients saw it. */
  maxWriteDownMs?: number;
  /** The faulted node must be back as a standby at the end. */
  rejoin?: boolean;
  /** The old primary must be primary again after a planned switchover back (fail-back). */
  switchback?: boolean;
  /**
   * false: the app's commit stamps name no node (Aurora DSQL's profile stamps every row with its own name, on
   * one timeline): its writes are judged as a client's that gives no stamps, and the figures built
   * on stamps (database downtime, split brain by stamps) are not given.
   */
  nodeStamps?: boolean;
  /** The session guarantees the app profile promises: an anomaly against one FAILs the drill (default: none, each reported). */
  sessionGuarantees?: SessionGuarantee[];
}

export { SESSION_GUARANTEES, type SessionGuarantee } from '../../cluster/app-profiles/profile.ts';

export interface CheckInput {
  history: readonly Op[];
  events: readonly ClusterEvent[];
  finalRead: FinalRead | null;
  expectations?: Partial<Expectations>;
  /** The workload's part (default: the set workload, whose set algebra is this checker's own). */
  workload?: WorkloadCheck;
}

/** A workload's judgement of a run: its checks (stable ids), and what it adds to the reports. */
export interface WorkloadVerdict {
  checks: Check[];
  /** Figures for report.json (under result.workload). */
  details: Record<string, unknown>;
  /** Lines for the summary and the HTML report. */
  lines: string[];
}

/** What the checker needs of a workload: which operations change the database, and its own checker. */
export interface WorkloadCheck {
  name: string;
  /** The `f` whose acknowledgements carry commit stamps: lost, downtime and split brain are judged on them. */
  mutation: string;
  /** Every `f` the workload records. */
  fs: readonly string[];
  check(pairs: readonly Completed[], finalRead: FinalRead | null): WorkloadVerdict;
}

export interface Check {
  /** Stable across runs and budgets (JUnit's test name): a changed threshold does not rename it. */
  id: string;
  /** The expectation in words, thresholds included. */
  name: string;
  ok: boolean;
  detail: string;
  /** The thresholds it was held to and the figures it found (JUnit properties). */
  properties?: Record<string, string | number>;
}

export interface OpCounts {
  ok: number;
  fail: number;
  info: number;
  /** Invoked, with no completion before the history ends (a cut-off history): treated as unknown. */
  open: number;
  /** Failed and unknown completions by their error code (SQLSTATE, socket error, app code). */
  errors: Record<string, number>;
}

/** A write as the checker reports it: enough to find it in the history and in the database. */
export interface WriteRef {
  id: string;
  process: number;
  /** Milliseconds since the drill started. */
  invokedAtMs: number;
  completedAtMs: number | null;
  committedBy?: string;
  committedTimeline?: number;
}

export interface StaleRead {
  id: string;
  process: number;
  readAtMs: number;
  ackedAtMs: number;
  /** How long after the write was acknowledged the read still missed it (at least). */
  lagMs: number;
}

/** A read that saw what it could not have seen. */
export interface ReadAnomaly {
  id: string;
  process: number;
  /** When the read was invoked and answered, in ms since the drill started. */
  readAtMs: number;
  answeredAtMs: number;
  /**
   * never-written: no client tried to write this value; failed-write: its write was answered
   * "failed" (surely not applied); before-invoke: the read was answered before the write was invoked.
   */
  kind: 'never-written' | 'failed-write' | 'before-invoke';
}

/** A session's read that went back on what the session knew: its own acknowledged write, or a row it had seen. */
export interface SessionAnomaly {
  id: string;
  session: number;
  process: number;
  /** When the read was invoked and answered, in ms since the drill started. */
  readAtMs: number;
  answeredAtMs: number;
  /** The node that answered it, if the app said. */
  servedBy?: string;
  /** What the session knew before: its write of the row acknowledged, or a read that saw the row (answered at earlierAtMs). */
  earlier: 'acknowledged' | 'seen';
  earlierAtMs: number;
  earlierServedBy?: string;
}

/** A read answered by a node on a timeline a newer primary had replaced before the read began. */
export interface DeposedRead {
  id: string;
  process: number;
  session?: number;
  readAtMs: number;
  answeredAtMs: number;
  servedBy: string;
  role: 'primary' | 'standby';
  timeline: number;
  newPrimary: string;
  newTimeline: number;
  found: boolean;
}

/** How far behind a node's reads were: reads of writes acknowledged before they began, the misses, and by how long (at least) each missed. */
export interface StalenessFigures {
  reads: number;
  misses: number;
  medianMs: number | null;
  p95Ms: number | null;
  worstMs: number | null;
}

export interface NodeStaleness {
  node: string;
  /** Before the fault, and from the fault on. */
  normal: StalenessFigures;
  failover: StalenessFigures;
}

/** A standby other than the promoted one: how long after the promotion was seen it received the new timeline, and the reads it answered meanwhile. */
export interface Refollow {
  node: string;
  refollowMs: number | null;
  readsMeanwhile: number;
}

export interface SessionsResult {
  /** Did the history record sessions (a worker's invocations carry `session`)? */
  recorded: boolean;
  sessions: number;
  promised: SessionGuarantee[];
  readYourWrites: SessionAnomaly[];
  monotonicReads: SessionAnomaly[];
  deposedReads: DeposedRead[];
  staleness: NodeStaleness[];
  refollow: Refollow[];
}

export interface SplitBrain {
  /** The primary that began second (of the first two found committing at overlapping times). */
  newPrimary: string;
  newTimeline: number;
  /** When the new primary first committed, by its own clock (ms since the epoch). */
  newPrimaryFirstCommitAt: number;
  /** Acknowledged writes the other primary committed after that moment. */
  writes: (WriteRef & { committedAtMs: number })[];
}

export interface CheckResult {
  verdict: 'PASS' | 'FAIL';
  checks: Check[];
  expectations: Expectations;
  fault: { kind: string; node: string; atMs: number } | null;
  /** Every fault of the run, in order, and when its heal was done (a random schedule has many; the failover figures are the first's). */
  faults?: { kind: string; node: string; atMs: number; healedAtMs: number | null }[];
  counts: { write: OpCounts; read: OpCounts };
  lost: WriteRef[];
  recovered: WriteRef[];
  unexpected: string[];
  contradicted: WriteRef[];
  duplicated: { id: string; count: number }[];
  staleReads: StaleRead[];
  readAnomalies: ReadAnomaly[];
  /** Reads per session (read-your-writes, monotonic reads), reads from replaced timelines, each node's staleness. */
  sessions: SessionsResult;
  splitBrain: SplitBrain | null;
  /**
   * The data nodes' clocks against the harness's, as the watcher measured them (each node's largest
   * offset): when one was off by more than CLOCK_TOLERANCE_MS, commit stamps of different nodes do
   * not compare, and the figures built on them (database downtime, split brain by stamps) are not
   * given. Absent: the run recorded no clock (an older run, a target that does not say).
   */
  clocks?: { trusted: boolean; skews: ClockSkew[] };
  /** Fault to promotion: as first observed by asking the database, and as repmgr's event records it. */
  promotion: { node: string; observedMs: number | null; reportedMs: number | null } | null;
  endpointMove: { node: string; ms: number } | null;
  /**
   * Client side: the last acknowledged write before writes stopped to the first acknowledged by the
   * primary after the fault. Writes the old primary acknowledged after the fault count as writes
   * working (a switchover runs for seconds before it stops the primary) unless they were lost.
   */
  writeUnavailability: { ms: number; lastOkBeforeMs: number; firstOkAfterMs: number } | null;
  /**
   * Client side: the longest gap between two acknowledged writes from the last one before the fault
   * on. Catches an outage that starts just after the fault, behind a commit already in flight
   * (losing a synchronous standby: one write gets through, then commits wait).
   */
  longestWriteGap: { ms: number; fromMs: number; toMs: number } | null;
  /**
   * Database side: last commit on the old timeline to first commit on the new timeline; 0 when the
   * old timeline went on committing after the new one began (no gap: that is the split brain).
   */
  databaseDowntime: { ms: number; oldTimeline: number; newTimeline: number; lastOldCommitAt: string; firstNewCommitAt: string } | null;
  /**
   * What a failover cost in data: lost writes, and the seconds of writes they span, from the last
   * commit that survived before the first lost one (on the lost writes' node and timeline) to the
   * last lost commit. Never negative, also for a loss in the middle of a run.
   */
  recoveryPoint: { lostWrites: number; seconds: number; lastSurvivingCommitAt: string | null; lastLostCommitAt: string | null } | null;
  writesAfterFault: { ok: number; onNewPrimary: number };
  /**
   * With a DigitalOcean floating IP: where it is at the end, the hook's assign requests and the
   * answers they got, and how long the completed move took (the action's start to its completion).
   */
  floatingIp: { ip: string; holder: string | null; assignRequests: { status: number; atMs: number }[]; moveMs: number | null } | null;
  /** Acknowledged and lost writes per database the app wrote to (the app's, and analytics). */
  writesByDatabase: Record<string, { ok: number; lost: number }>;
  /** Synchronous replication that the promoted node runs without (no standby left to wait for). */
  degradedReplication: string | null;
  /** The workload: its name, the `f` counted as writes, its figures and its report lines. */
  workload?: { name: string; mutation: string; lines: string[]; [detail: string]: unknown };
  /**
   * With the dsql app: what the Aurora DSQL stand-in counted during the run: statements it refused
   * (by rule), write conflicts it answered as OC000 (the app retries them), client sessions.
   */
  dsql?: { refused: Record<string, number>; conflicts: number; sessions: number };
}

export interface Completed {
  invoke: Op;
  completion: Op | null;
}

export interface ClockSkew {
  node: string;
  /** The node's clock minus the harness's at its largest, in ms, and the measurement's error (half its round trip). */
  offsetMs: number;
  errorMs: number;
}

/** One part of the checker: its checks, and the figures it adds to the result. */
export interface CheckPart<F extends Partial<CheckResult> = Partial<CheckResult>> {
  checks: Check[];
  result: F;
}
