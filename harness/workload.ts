/**
 * The workload interpreter: a few concurrent workers, each one process at a time, issuing writes
 * (and reads of recently acknowledged writes) through the app, recording every invocation and
 * completion in the history as it happens. Bounded in count and in time by whoever stops it.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppClient } from './client/app-client.ts';
import type { DrillClock, JsonLinesWriter } from './history.ts';
import type { Op, OpF, WriteValue } from './op.ts';

/** A small seeded generator (mulberry32), so a drill's choice of operations replays from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What the workload needs of a client: the app over HTTP (AppClient), or a stand-in. */
export type OperationClient = Pick<AppClient, 'write' | 'read'>;

export interface WorkloadOptions {
  client: OperationClient;
  history: JsonLinesWriter<Op>;
  clock: DrillClock;
  concurrency: number;
  /** Share of operations that are reads (of a recently acknowledged write). */
  readFraction: number;
  /** Share of writes that go to the app's second database (analytics events). */
  analyticsFraction?: number;
  /** Pause between one worker's operations. */
  pauseMs: number;
  /** Hard bound on operations issued, whatever happens. */
  maxOps: number;
  seed: number;
  /**
   * Starts every written name: the run's own writes are told apart from anything else in the
   * table (earlier drills on a reused cluster, earlier iterations of --repeat).
   */
  namePrefix: string;
  onComplete?: (op: Op) => void;
}

export class Workload {
  readonly #o: WorkloadOptions;
  readonly #random: () => number;
  readonly #recentAcked: string[] = [];
  #issued = 0;
  #stopped = false;
  #workers: Promise<void>[] = [];

  constructor(options: WorkloadOptions) {
    this.#o = options;
    this.#random = seededRandom(options.seed);
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

  #record(op: Op): void {
    this.#o.history.append(op);
    if (op.type !== 'invoke') this.#o.onComplete?.(op);
  }

  async #worker(index: number): Promise<void> {
    const { client, clock, concurrency } = this.#o;
    let process = index;
    let sequence = 0;
    while (!this.#stopped && this.#issued < this.#o.maxOps) {
      this.#issued += 1;
      const canRead = this.#recentAcked.length > 0;
      const f: OpF = canRead && this.#random() < this.#o.readFraction ? 'read' : 'write';
      if (f === 'write') {
        const analytics = this.#random() < (this.#o.analyticsFraction ?? 0);
        const value: WriteValue = { id: randomUUID(), name: `${this.#o.namePrefix}w${index}-${sequence++}`, ...(analytics ? { db: 'analytics' as const } : {}) };
        this.#record({ process, type: 'invoke', f, value, time: clock.nowNs() });
        const done = await client.write(value);
        this.#record({ process, f, time: clock.nowNs(), ...done });
        // Reads read countries back; events are checked by the final read.
        if (done.type === 'ok' && !analytics) {
          this.#recentAcked.push(value.id);
          if (this.#recentAcked.length > 20) this.#recentAcked.shift();
        }
        if (done.type === 'info') process += concurrency;
      } else {
        const id = this.#recentAcked[Math.floor(this.#random() * this.#recentAcked.length)]!;
        this.#record({ process, type: 'invoke', f, value: { id }, time: clock.nowNs() });
        const done = await client.read(id);
        this.#record({ process, f, time: clock.nowNs(), ...done });
      }
      if (this.#o.pauseMs > 0 && !this.#stopped) await sleep(this.#o.pauseMs);
    }
  }
}
