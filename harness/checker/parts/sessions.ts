import type { ClusterEvent, ServedBy } from '../../op.ts';
import type { RunFacts } from '../facts.ts';
import { idOf, nsToMs } from '../history.ts';
import type { Check, CheckPart, CheckResult, Completed, DeposedRead, NodeStaleness, Refollow, SessionAnomaly, SessionGuarantee, StalenessFigures } from '../types.ts';

/**
 * Reads judged per session (each worker is one: its invocations carry `session`), and by the node
 * that answered them (a read's `served_by`, where the app says it):
 *   read-your-writes   a session's read missed a write the same session had acknowledged before the read began
 *   monotonic-reads    a session read a row present, then a later read of it found it absent
 *   deposed reads      a read answered by a node on an older timeline than a primary the watcher had
 *                      already seen before the read began: a deposed primary, or a standby still
 *                      following one (or following none since)
 * and each node's staleness: how long after acknowledgement its reads still missed a write.
 * The app profile says which guarantees it promises (expectations.sessionGuarantees): a broken
 * promise FAILs; an anomaly the profile never promised to avoid is reported, with its count.
 */
export function sessionsPart(f: RunFacts): CheckPart<Pick<CheckResult, 'sessions'>> {
  const reads = readsOf(f);
  const recorded = reads.some((r) => r.session !== undefined);
  const served = reads.some((r) => r.servedBy !== undefined);
  // A write the final state lacks is lost (judged there): missing it later is the loss, not the read's.
  const kept = f.input.finalRead ? reads.filter((r) => f.finalCount.has(r.id)) : reads;
  const readYourWrites = recorded ? readYourWritesOf(f, kept) : [];
  const monotonicReads = recorded ? monotonicReadsOf(kept) : [];
  const deposedReads = served ? deposedReadsOf(reads, f.input.events) : [];
  const promised = f.expectations.sessionGuarantees ?? [];
  const sessions = new Set(reads.map((r) => r.session).filter((s) => s !== undefined)).size;

  const judged = (guarantee: SessionGuarantee, name: string, found: number, what: string, known: boolean, unknownBecause: string): Check => {
    const promise = promised.includes(guarantee);
    return {
      id: guarantee,
      name: promise ? `${name} (the app promises it)` : `${name} (reported: the app does not promise it)`,
      ok: !promise || found === 0,
      detail: !known ? unknownBecause : found === 0 ? 'none' : `${found} ${what}${promise ? '' : ' (not a FAIL: the app profile does not promise this)'}`,
      properties: { found, promised: promise ? 'yes' : 'no' },
    };
  };
  return {
    checks: [
      judged('read-your-writes', 'every read of a session found the writes it had acknowledged', readYourWrites.length, "reads missed their own session's acknowledged write", recorded, 'not judged: no read names its session'),
      judged('monotonic-reads', 'no session saw a row and then lost it', monotonicReads.length, 'reads no longer found a row their session had seen', recorded, 'not judged: no read names its session'),
      judged('no-deposed-read', 'no read was answered from a timeline a newer primary had replaced', deposedReads.length, 'reads answered by a node on a replaced timeline', served, 'not judged: no read names the node that answered it'),
    ],
    result: {
      sessions: { recorded, sessions, promised: [...promised], readYourWrites, monotonicReads, deposedReads, staleness: served ? stalenessOf(f, kept) : [], refollow: refollowOf(reads, f.input.events) },
    },
  };
}

/** A completed read of one id, as the session checks see it. */
interface IdRead {
  pair: Completed;
  session?: number;
  id: string;
  found: boolean;
  servedBy?: ServedBy;
}

function readsOf(f: RunFacts): IdRead[] {
  const out: IdRead[] = [];
  for (const p of f.pairs) {
    if (p.invoke.f === f.mutation || p.completion?.type !== 'ok') continue;
    const v = p.completion.value as { id?: unknown; found?: unknown; served_by?: unknown } | null;
    if (typeof v?.id !== 'string' || typeof v.found !== 'boolean') continue;
    out.push({ pair: p, id: v.id, found: v.found, ...(typeof p.invoke.session === 'number' ? { session: p.invoke.session } : {}), ...(servedByOf(v.served_by) ?? {}) });
  }
  return out;
}

function servedByOf(v: unknown): { servedBy: ServedBy } | undefined {
  const s = v as Partial<ServedBy> | null | undefined;
  if (typeof s?.node !== 'string' || typeof s.recovery !== 'boolean') return undefined;
  return { servedBy: { node: s.node, recovery: s.recovery, ...(typeof s.timeline === 'number' ? { timeline: s.timeline } : {}) } };
}

const anomalyOf = (r: IdRead, write: Completed | IdRead, writeWas: 'acknowledged' | 'seen'): SessionAnomaly => {
  const earlier = 'pair' in write ? write.pair : write;
  return {
    id: r.id,
    session: r.session!,
    process: r.pair.invoke.process,
    readAtMs: nsToMs(r.pair.invoke.time),
    answeredAtMs: nsToMs(r.pair.completion!.time),
    ...(r.servedBy ? { servedBy: r.servedBy.node } : {}),
    earlier: writeWas,
    earlierAtMs: nsToMs(earlier.completion!.time),
    ...('servedBy' in write && write.servedBy ? { earlierServedBy: write.servedBy.node } : {}),
  };
};

/** A read that missed a write its own session had acknowledged before the read was invoked. */
function readYourWritesOf(f: RunFacts, reads: readonly IdRead[]): SessionAnomaly[] {
  const ownAck = new Map<string, Completed>();
  for (const p of f.okWrites) if (typeof p.invoke.session === 'number') ownAck.set(idOf(p.invoke)!, p);
  return reads
    .filter((r) => {
      const w = ownAck.get(r.id);
      return !r.found && r.session !== undefined && w !== undefined && w.invoke.session === r.session && w.completion!.time < r.pair.invoke.time;
    })
    .map((r) => anomalyOf(r, ownAck.get(r.id)!, 'acknowledged'));
}

/** A read of a row its session had already seen present (a read answered before this one began), now absent. */
function monotonicReadsOf(reads: readonly IdRead[]): SessionAnomaly[] {
  const firstSeen = new Map<string, IdRead>();
  const out: SessionAnomaly[] = [];
  for (const r of [...reads].sort((a, b) => a.pair.invoke.time - b.pair.invoke.time)) {
    if (r.session === undefined) continue;
    const key = `${r.session}\u0000${r.id}`;
    const seen = firstSeen.get(key);
    if (r.found) {
      if (!seen) firstSeen.set(key, r);
    } else if (seen && seen.pair.completion!.time < r.pair.invoke.time) {
      out.push(anomalyOf(r, seen, 'seen'));
    }
  }
  return out;
}

/** What the watcher saw of one node: from `time` (first seen so), and surely not before `sinceNs` (it was last seen otherwise then). */
interface NodeSpan {
  role: string;
  timeline?: number;
  fromNs: number;
  /** The last look that still saw the node's previous state. */
  lastSeenBeforeNs: number;
}

/**
 * Each node's states from the watcher's `node-state` events. A standby whose WAL receiver is down
 * names no timeline: it still serves what it replayed, the last timeline it received.
 */
export function nodeSpansOf(events: readonly ClusterEvent[]): Map<string, NodeSpan[]> {
  const spans = new Map<string, NodeSpan[]>();
  for (const e of events) {
    if (e.type !== 'node-state' || typeof e.node !== 'string' || typeof e.time !== 'number' || typeof e.role !== 'string') continue;
    const list = spans.get(e.node) ?? [];
    const last = list.at(-1);
    const timeline = typeof e.timeline === 'number' ? e.timeline : e.role === 'standby' ? last?.timeline : undefined;
    list.push({ role: e.role, ...(timeline !== undefined ? { timeline } : {}), fromNs: e.time, lastSeenBeforeNs: typeof e.lastSeenBeforeNs === 'number' ? e.lastSeenBeforeNs : e.time });
    spans.set(e.node, list);
  }
  return spans;
}

/**
 * Reads answered by a node on a timeline older than one a primary was already seen writing before
 * the read began. Only what is sure counts: the node's state must be known for the whole read
 * (seen so before it began, and still seen so after it was answered, or never seen otherwise
 * again); a node that names its own timeline in its answer is believed.
 */
export function deposedReadsOf(reads: readonly IdRead[], events: readonly ClusterEvent[]): DeposedRead[] {
  const spans = nodeSpansOf(events);
  const primaries = [...spans.entries()].flatMap(([node, list]) => list.filter((s) => s.role === 'primary' && s.timeline !== undefined).map((s) => ({ node, timeline: s.timeline!, fromNs: s.fromNs })));
  const out: DeposedRead[] = [];
  for (const r of reads) {
    if (!r.servedBy) continue;
    const start = r.pair.invoke.time;
    const end = r.pair.completion!.time;
    const newest = primaries.filter((p) => p.fromNs <= start && p.node !== r.servedBy!.node).sort((a, b) => b.timeline - a.timeline)[0];
    if (!newest) continue;
    let timeline = r.servedBy.timeline;
    if (timeline === undefined) {
      const list = spans.get(r.servedBy.node) ?? [];
      let i = list.length - 1;
      while (i >= 0 && list[i]!.fromNs > start) i -= 1;
      const next = list[i + 1];
      if (i < 0 || (next && next.lastSeenBeforeNs < end)) continue;
      timeline = list[i]!.timeline;
    }
    if (timeline === undefined || timeline >= newest.timeline) continue;
    out.push({
      id: r.id,
      process: r.pair.invoke.process,
      ...(r.session !== undefined ? { session: r.session } : {}),
      readAtMs: nsToMs(start),
      answeredAtMs: nsToMs(end),
      servedBy: r.servedBy.node,
      role: r.servedBy.recovery ? 'standby' : 'primary',
      timeline,
      newPrimary: newest.node,
      newTimeline: newest.timeline,
      found: r.found,
    });
  }
  return out;
}

/**
 * Each node's staleness, from the reads it answered of writes acknowledged before the read began:
 * a miss proves the node was at least that far behind (the read's start minus the write's
 * acknowledgement); reported before the fault (normal running) and from the fault on.
 */
function stalenessOf(f: RunFacts, reads: readonly IdRead[]): NodeStaleness[] {
  const byNode = new Map<string, { normal: { reads: number; lags: number[] }; failover: { reads: number; lags: number[] } }>();
  for (const r of reads) {
    const ack = f.ackNsById.get(r.id);
    if (!r.servedBy || ack === undefined || ack >= r.pair.invoke.time) continue;
    const entry = byNode.get(r.servedBy.node) ?? { normal: { reads: 0, lags: [] }, failover: { reads: 0, lags: [] } };
    const phase = f.faultNs !== undefined && r.pair.invoke.time >= f.faultNs ? entry.failover : entry.normal;
    phase.reads += 1;
    if (!r.found) phase.lags.push(nsToMs(r.pair.invoke.time - ack));
    byNode.set(r.servedBy.node, entry);
  }
  return [...byNode.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([node, e]) => ({ node, normal: figuresOf(e.normal), failover: figuresOf(e.failover) }));
}

function figuresOf({ reads, lags }: { reads: number; lags: number[] }): StalenessFigures {
  const sorted = [...lags].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : null);
  return { reads, misses: sorted.length, medianMs: at(0.5), p95Ms: at(0.95), worstMs: sorted.at(-1) ?? null };
}

/**
 * After the promotion the watcher saw: how long each other standby took to receive the new
 * timeline (re-follow the new primary), and how many reads it answered meanwhile (null: it never
 * did while the watcher looked).
 */
function refollowOf(reads: readonly IdRead[], events: readonly ClusterEvent[]): Refollow[] {
  const promotion = events.find((e) => e.type === 'promotion-observed' && typeof e.time === 'number' && typeof e.node === 'string' && typeof e.timeline === 'number');
  if (!promotion) return [];
  const t0 = promotion.time!;
  const out: Refollow[] = [];
  for (const [node, list] of nodeSpansOf(events)) {
    if (node === promotion.node || !list.some((s) => s.role === 'standby' && s.fromNs <= t0)) continue;
    const followed = list.find((s) => s.role === 'standby' && s.fromNs >= t0 && s.timeline !== undefined && s.timeline >= (promotion.timeline as number));
    const until = followed?.fromNs ?? Infinity;
    const meanwhile = reads.filter((r) => r.servedBy?.node === node && r.pair.invoke.time >= t0 && r.pair.completion!.time <= until).length;
    out.push({ node, refollowMs: followed ? nsToMs(followed.fromNs - t0) : null, readsMeanwhile: meanwhile });
  }
  return out.sort((a, b) => a.node.localeCompare(b.node));
}
