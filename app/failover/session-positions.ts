/**
 * Read-your-writes and monotonic reads by WAL position, not by clock. Each session (the
 * `x-session-id` a client sends) has a position its next read must reach: the primary's WAL
 * position after the session's last acknowledged write, raised by every answer it was given (a
 * replica's replay position, the primary's current position). A replica's answer is used only if
 * the replica had replayed that far when it answered, else the read goes to the primary. The
 * positions come with the answer itself (the read statement asks the node for them), so keeping
 * the guarantee costs no round trip when the replica is caught up, and one read on the primary
 * when it is not.
 *
 * Where a node stood is asked in the same round trip as the read, in statements of their own
 * around the read's (each statement takes its own snapshot): before it, a position the read's
 * snapshot surely includes (what a replica's answer is judged by); after it, one the snapshot
 * surely does not pass (what the session has seen from then on).
 *
 * Across a failover positions go on growing (a new timeline starts where the old one was
 * promoted), but a standby still following the deposed primary may have replayed past that point
 * on the old timeline: a history that is gone, and so is the deposed primary's. Once a write or an
 * answer has shown a newer timeline, an answer is used only from a node that proves it is on it:
 * a primary by its timeline, a standby by the timeline it receives (pg_stat_wal_receiver's
 * received_tli, which a role may read with pg_read_all_stats) or else by its control data (the
 * timeline of its last restartpoint or of its minimum recovery point, which every role may read).
 *
 * Pure: the data layer (./sequelize.ts) feeds it answers and asks it; its tests are literal.
 */

/** A WAL position, as PostgreSQL prints it ('16/B374D848'), as a number of bytes. */
export function lsnOf(text: string): bigint {
  const m = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(text);
  if (!m) throw new Error(`not a WAL position: ${JSON.stringify(text)}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

/** Beyond any position: a session whose write's position is not known reads from the primary until it is. */
export const UNKNOWN = (1n << 64n) - 1n;

/** What a node said of itself around its answer. */
export interface NodePosition {
  recovery: boolean;
  /** Before the read: a standby's replay position, a primary's WAL insert position. The read saw at least this. */
  lsn: bigint;
  /** After the read: the same, asked again. The read saw no more than this. */
  seenUpTo: bigint;
  /** A primary's timeline; a standby's received one where its role may say (null: it may not, or it receives nothing). */
  timeline: number | null;
  /** A timeline the node is surely on or past (a standby's control data; a primary's own). */
  timelineAtLeast: number;
}

export interface SessionPositionsOptions {
  /** Sessions remembered at most: beyond, the least recently used is forgotten, its position kept as a floor for every session not remembered. */
  maxSessions: number;
}

export type Refusal = 'behind' | 'old-timeline' | 'timeline-unknown';

/** A session: the position its next read must reach, and the writes whose position is not known yet. */
interface Session {
  need: bigint;
  /** Writes acknowledged so far. */
  writes: number;
  /** The first write whose position is not known yet (0: none): until then its reads go to the primary. */
  unknownFrom: number;
}

export class SessionPositions {
  readonly #sessions = new Map<string, Session>();
  /** The newest timeline seen (a write's, a primary's, a standby's received one). */
  #newest: number | undefined;
  /** The primary's latest position seen. */
  #primaryLsn = 0n;
  /** What a forgotten session needed: every session not remembered needs at least this. */
  #floor = 0n;

  constructor(readonly options: SessionPositionsOptions = { maxSessions: 10_000 }) {}

  #session(session: string): Session {
    const s = this.#sessions.get(session) ?? { need: this.#floor, writes: 0, unknownFrom: 0 };
    // Maps iterate in insertion order: moved to the end on each use, the first key is the least recently used.
    this.#sessions.delete(session);
    this.#sessions.set(session, s);
    if (this.#sessions.size > this.options.maxSessions) {
      const [key, gone] = this.#sessions.entries().next().value!;
      this.#sessions.delete(key);
      const needed = gone.unknownFrom ? this.#primaryLsn : gone.need;
      if (needed > this.#floor) this.#floor = needed;
    }
    return s;
  }

  /** The position a session's next read must reach (UNKNOWN: a write's position is not known yet). */
  need(session: string | undefined): bigint {
    if (!session) return 0n;
    const s = this.#sessions.get(session);
    if (!s) return this.#floor;
    return s.unknownFrom ? UNKNOWN : s.need;
  }

  /** A timeline a write or an answer showed exists. */
  sawTimeline(timeline: number | null | undefined): void {
    if (typeof timeline === 'number' && (this.#newest === undefined || timeline > this.#newest)) this.#newest = timeline;
  }

  /** The primary's position on its timeline, from a write's follow-up or a read it answered. */
  sawPrimary(at: { lsn: bigint; timeline: number | null }): void {
    this.sawTimeline(at.timeline);
    if (at.lsn > this.#primaryLsn) this.#primaryLsn = at.lsn;
  }

  /**
   * A write of the session was acknowledged (on `timeline`, its row's stamp): until its position
   * is known (`settle`), or a read on the primary that began after it has answered, the session's
   * reads go to the primary. Returns the write's number, for `settle`.
   */
  wrote(session: string, timeline?: number): number {
    this.sawTimeline(timeline);
    const s = this.#session(session);
    s.writes += 1;
    if (!s.unknownFrom) s.unknownFrom = s.writes;
    return s.writes;
  }

  /**
   * The primary's position after write `write` (null: it could not be asked). One from a node on
   * an older timeline than the newest seen is not the primary's: the write stays unknown.
   */
  settle(session: string, write: number, at: { lsn: bigint; timeline: number | null } | null): void {
    if (!at || (this.#newest !== undefined && at.timeline !== null && at.timeline < this.#newest)) return;
    this.sawPrimary(at);
    const s = this.#session(session);
    if (at.lsn > s.need) s.need = at.lsn;
    // Known once the latest write's position is: an earlier write's does not cover a later one.
    if (s.unknownFrom && write === s.writes) s.unknownFrom = 0;
  }

  /** The number of the session's writes so far: a read remembers it when it begins (for `used`). */
  writesOf(session: string | undefined): number {
    return (session && this.#sessions.get(session)?.writes) || 0;
  }

  /**
   * Why an answer may not be used for this session (undefined: it may). A standby's must have
   * replayed what the session needs; a primary's must not be behind it either (a deposed primary),
   * though a write whose position is not known yet is no reason to refuse one: the primary is
   * where such a session reads.
   */
  refusal(session: string | undefined, at: NodePosition): Refusal | undefined {
    const s = session ? this.#sessions.get(session) : undefined;
    const known = s ? s.need : session ? this.#floor : 0n;
    if ((at.recovery && s?.unknownFrom) || at.lsn < known) return 'behind';
    const newest = this.#newest;
    if (newest === undefined) return undefined;
    if (at.timeline !== null) return at.timeline < newest ? 'old-timeline' : undefined;
    return at.timelineAtLeast >= newest ? undefined : 'timeline-unknown';
  }

  /**
   * An answer was used: the session has seen up to where the node stood after it. A primary's
   * answer to a read that began after the session's writes (`writesBefore`: their number when it
   * began) also settles those writes: it showed everything committed.
   */
  used(session: string | undefined, at: NodePosition, writesBefore = this.writesOf(session)): void {
    if (at.recovery) this.sawTimeline(at.timeline);
    else this.sawPrimary({ lsn: at.seenUpTo, timeline: at.timeline });
    if (!session) return;
    const s = this.#session(session);
    if (at.seenUpTo > s.need) s.need = at.seenUpTo;
    if (!at.recovery && s.unknownFrom && writesBefore === s.writes) s.unknownFrom = 0;
  }
}
