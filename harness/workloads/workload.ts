/**
 * What a workload is, and the interpreter that runs one.
 *
 * A workload is a plug-in (Jepsen's client + generator + checker): the operations it records (its
 * own `f` values), how it chooses the next one, what it sets up before the warm-up, its final
 * read of the primary, and its checker with what it adds to the reports. The drill runner knows
 * none of that: it starts the interpreter, and hands the final read and the checker the same
 * settings the workload chose (stored in run.json, so `flipdrill check` judges a stored run the
 * same way).
 *
 * The interpreter: a few concurrent workers, each one process at a time, recording every
 * invocation (with its worker: the session) and completion in the history as it happens. Bounded in count and in time by
 * whoever stops it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Completed, FinalRead, WorkloadVerdict } from '../checker/types.ts';
import type { DrillClock, JsonLinesWriter } from '../history.ts';
import type { Completion, Op, ServedBy } from '../op.ts';

export { seededRandom } from '../../cluster/lib/seeded-random.ts';

/** The next operation a worker performs: what to record, and how to perform it. */
export interface PlannedOp {
  f: string;
  value: unknown;
  perform(): Promise<Completion>;
}

/** Chooses operations; told of every completion (a set reads back what was acknowledged). */
export interface OpGenerator {
  next(worker: number): PlannedOp;
  completed?(invoke: Op, completion: Op): void;
}

/**
 * The writes a workload reads back: the last acknowledged ones of everyone, and each session's
 * (worker's) own last ones. Half of the reads that have both to choose from read the session's own
 * (read-your-writes and monotonic reads are judged per session), the rest anyone's.
 */
export class RecentWrites {
  readonly #all: string[] = [];
  readonly #own = new Map<number, string[]>();
  constructor(readonly keep = 20) {}

  get size(): number {
    return this.#all.length;
  }

  add(worker: number, id: string): void {
    const own = this.#own.get(worker) ?? [];
    for (const list of [this.#all, own]) {
      list.push(id);
      if (list.length > this.keep) list.shift();
    }
    this.#own.set(worker, own);
  }

  /** An id to read, or undefined before anything was acknowledged. */
  pick(worker: number, random: () => number): string | undefined {
    const own = this.#own.get(worker) ?? [];
    const from = own.length > 0 && random() < 0.5 ? own : this.#all;
    return from.length ? from[Math.floor(random() * from.length)] : undefined;
  }
}

/** The header that names a request's session (the worker): the app keeps its session guarantees by it. */
export const SESSION_HEADER = 'x-session-id';
export const sessionHeader = (settings: WorkloadSettings, worker: number): Record<string, string> => ({ [SESSION_HEADER]: `${settings.prefix}s${worker}` });

/** A read's `served_by` from an app's answer, if it names the node that answered as flipdrill's app does. */
export function servedByOf(value: unknown): { served_by: ServedBy } | Record<string, never> {
  const v = value as Partial<ServedBy> | null | undefined;
  if (typeof v?.node !== 'string' || v.node.length === 0 || v.node.length > 200 || typeof v.recovery !== 'boolean') return {};
  return { served_by: { node: v.node, recovery: v.recovery, ...(Number.isInteger(v.timeline) && (v.timeline as number) > 0 ? { timeline: v.timeline } : {}) } };
}

/** What a workload's settings always say: which workload, and the prefix of every name it writes. */
export interface WorkloadSettings {
  name: string;
  /** Starts every name the run writes: its rows are told apart from earlier drills' on a reused cluster. */
  prefix: string;
}

/** The app's HTTP API, as a workload's operations and setup use it (only ever at 127.0.0.1). */
export interface AppHttp {
  readonly baseUrl: string;
  request(method: 'GET' | 'POST', path: string, body?: unknown, headers?: Record<string, string>, timeoutMs?: number): Promise<AppAnswer>;
}

/** An answer (status and JSON body), or no answer at all (`error`: the socket's or the timeout's code). */
export type AppAnswer = { status: number; body: Record<string, unknown> } | { error: string };

/**
 * A state-changing request's completion: ok on `okStatus`, else the app's own outcome. With no
 * answer at all it is unknown, unless the request surely never left (connection refused).
 */
export function completionOf(answer: AppAnswer, okStatus: number, value: unknown): Completion {
  if ('error' in answer) return { type: answer.error === 'ECONNREFUSED' ? 'fail' : 'info', value, error: answer.error };
  if (answer.status === okStatus) return { type: 'ok', value: answer.body };
  return { type: answer.body.outcome === 'failed' ? 'fail' : 'info', value, error: String(answer.body.code ?? `HTTP ${answer.status}`) };
}

/** SQL on one node of the cluster, for the final read (the harness observes; it never writes). */
export type SqlReader = <R>(sql: string, params: unknown[], database: 'app' | 'analytics') => Promise<R[]>;

/** The scenario's knobs every workload reads (scenario.workload). */
export interface WorkloadShape {
  concurrency: number;
  readFraction: number;
  pauseMs: number;
  analyticsFraction: number;
}

export interface WorkloadKind<S extends WorkloadSettings = WorkloadSettings> {
  readonly name: string;
  /** One line, for --help and the docs. */
  readonly summary: string;
  /**
   * The `f` of the operations that change the database. Their acknowledgements carry the
   * database's commit stamps, the final read lists their rows, and the failover checks (lost,
   * downtime, split brain) are made on them.
   */
  readonly mutation: string;
  /** Every `f` it records; anything else in a history is malformed. */
  readonly fs: readonly string[];
  settings(prefix: string): S;
  /** Before the warm-up, through the app (the bank opens its accounts). */
  setup?(app: AppHttp, settings: S): Promise<void>;
  generator(o: { app: AppHttp; settings: S; shape: WorkloadShape; random: () => number }): OpGenerator;
  /**
   * Read back every row the run wrote and whatever state the checker needs, after the workload
   * stopped: from the final primary with SQL, or through the app (a user's app or client knows its
   * own tables).
   */
  finalRead(from: { sql: SqlReader; app: AppHttp }, settings: S): Promise<Pick<FinalRead, 'rows' | 'state'>>;
  /** Pure: the same stored run gives the same verdict. */
  check(pairs: readonly Completed[], finalRead: FinalRead | null, settings: S): WorkloadVerdict;
}

export interface InterpreterOptions {
  generator: OpGenerator;
  history: JsonLinesWriter<Op>;
  clock: DrillClock;
  concurrency: number;
  /** Pause between one worker's operations. */
  pauseMs: number;
  /** Hard bound on operations issued, whatever happens. */
  maxOps: number;
  onComplete?: (op: Op) => void;
}

export class Workload {
  readonly #o: InterpreterOptions;
  #issued = 0;
  #stopped = false;
  #workers: Promise<void>[] = [];

  constructor(options: InterpreterOptions) {
    this.#o = options;
  }

  get issued(): number {
    return this.#issued;
  }

  start(): void {
    for (let i = 0; i < this.#o.concurrency; i++) this.#workers.push(this.#worker(i));
  }

  /** Stop issuing, and wait for every operation in flight to complete (they have timeouts). */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#workers);
  }

  async #worker(index: number): Promise<void> {
    const { generator, history, clock, concurrency } = this.#o;
    let process = index;
    while (!this.#stopped && this.#issued < this.#o.maxOps) {
      this.#issued += 1;
      const planned = generator.next(index);
      const invoke: Op = { process, session: index, type: 'invoke', f: planned.f, value: planned.value, time: clock.nowNs() };
      history.append(invoke);
      const done = await planned.perform();
      const completion: Op = { process, f: planned.f, time: clock.nowNs(), ...done };
      history.append(completion);
      generator.completed?.(invoke, completion);
      this.#o.onComplete?.(completion);
      // A process whose operation has an unknown outcome is retired (see op.ts).
      if (done.type === 'info') process += concurrency;
      if (this.#o.pauseMs > 0 && !this.#stopped) await sleep(this.#o.pauseMs);
    }
  }
}
