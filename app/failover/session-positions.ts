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
 * Across a failover positions go on growing (a new timeline starts where the old one was
 * promoted), but a standby still following the deposed primary may have replayed past that point
 * on the old timeline: a history that is gone. Once an answer or a write has shown a newer
 * timeline, a standby's answer is used only if it says it receives that timeline (pg_stat_wal_receiver's
 * received_tli, readable with pg_read_all_stats) or, where it cannot say, if it streams and has
 * replayed past the position the newer timeline was first seen at.
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

/** What a node said of itself with its answer. */
export interface NodePosition {
  recovery: boolean;
  /** A standby's replay position, or a primary's current WAL position. */
  lsn: bigint;
  /** A primary's timeline; a standby's received timeline where it may say (null: it may not, or it receives nothing). */
  timeline: number | null;
  /** A standby: whether its WAL receiver runs. */
  streaming: boolean;
}

export interface SessionPositionsOptions {
  /** Sessions remembered at most: the least recently used is forgotten (its next read goes to the primary if it wrote). */
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
  /** The newest timeline seen, and the position at which it was first seen. */
  #timeline: { id: number; since: bigint; changed: boolean } | undefined;

  constructor(readonly options: SessionPositionsOptions = { maxSessions: 10_000 }) {}

  #session(session: string): Session {
    const s = this.#sessions.get(session) ?? { need: 0n, writes: 0, unknownFrom: 0 };
    // Maps iterate in insertion order: moved to the end on each use, the first key is the least recently used.
    this.#sessions.delete(session);
    this.#sessions.set(session, s);
    if (this.#sessions.size > this.options.maxSessions) this.#sessions.delete(this.#sessions.keys().next().value!);
    return s;
  }

  /** The position a session's next read must reach (0: none; UNKNOWN: a write's position is not known yet). */
  need(session: string | undefined): bigint {
    const s = session ? this.#sessions.get(session) : undefined;
    if (!s) return 0n;
    return s.unknownFrom ? UNKNOWN : s.need;
  }

  /** A primary's position and timeline, from a write's follow-up or a read it answered. */
  sawPrimary(at: { lsn: bigint; timeline: number | null }): void {
    if (at.timeline === null) return;
    const t = this.#timeline;
    if (!t) this.#timeline = { id: at.timeline, since: at.lsn, changed: false };
    else if (at.timeline > t.id) this.#timeline = { id: at.timeline, since: at.lsn, changed: true };
  }

  /** The session's next read must see at least `lsn` (what an answer showed it). */
  raise(session: string | undefined, lsn: bigint): void {
    if (!session) return;
    const s = this.#session(session);
    if (lsn > s.need) s.need = lsn;
  }

  /**
   * A write of the session was acknowledged: until its position is known (`settle`), or a read on
   * the primary that began after it has answered, the session's reads go to the primary. Returns
   * the write's number, for `settle`.
   */
  wrote(session: string): number {
    const s = this.#session(session);
    s.writes += 1;
    if (!s.unknownFrom) s.unknownFrom = s.writes;
    return s.writes;
  }

  /** The position the primary was at after write `write` (null: it could not be asked). */
  settle(session: string, write: number, lsn: bigint | null): void {
    const s = this.#session(session);
    if (lsn === null) return;
    if (lsn > s.need) s.need = lsn;
    // Known once the latest write's position is: an earlier write's does not cover a later one.
    if (s.unknownFrom && write === s.writes) s.unknownFrom = 0;
  }

  /** The number of the session's writes so far: a read remembers it when it begins (for `used`). */
  writesOf(session: string | undefined): number {
    return (session && this.#sessions.get(session)?.writes) || 0;
  }

  /**
   * Why an answer from a replica (any node of the read pool) may not be used for this session
   * (undefined: it may). A primary's answer is used unless a newer timeline has been seen (it is
   * a deposed primary still answering).
   */
  refusal(session: string | undefined, at: NodePosition): Refusal | undefined {
    if (!at.recovery) return this.#timeline && at.timeline !== null && at.timeline < this.#timeline.id ? 'old-timeline' : undefined;
    if (at.lsn < this.need(session)) return 'behind';
    const t = this.#timeline;
    if (!t) return undefined;
    if (at.timeline !== null) return at.timeline < t.id ? 'old-timeline' : undefined;
    // Not knowing the standby's timeline is fine until the timeline changes.
    if (!t.changed) return undefined;
    return at.streaming && at.lsn > t.since ? undefined : 'timeline-unknown';
  }

  /**
   * An answer was used: the session has seen what the node had. A primary's answer to a read that
   * began after the session's writes (`writesBefore`: their number when it began) also settles
   * those writes: it showed everything committed.
   */
  used(session: string | undefined, at: NodePosition, writesBefore = this.writesOf(session)): void {
    if (!at.recovery) this.sawPrimary(at);
    if (!session) return;
    const s = this.#session(session);
    if (at.lsn > s.need) s.need = at.lsn;
    if (!at.recovery && s.unknownFrom && writesBefore === s.writes) s.unknownFrom = 0;
  }
}
