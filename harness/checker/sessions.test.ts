/**
 * Literal histories for the session checks: read-your-writes, monotonic reads, reads from a
 * replaced timeline, and each node's staleness.
 */
import { describe, expect, it } from 'vitest';
import type { ClusterEvent, Op, ServedBy } from '../op.ts';
import { check } from './checker.ts';
import type { CheckInput, FinalRow, SessionGuarantee } from './types.ts';

const MS = 1e6;
const W0 = Date.parse('2026-12-07T10:00:00.000Z');
const dbTime = (ms: number) => new Date(W0 + ms).toISOString();

/** An acknowledged write by `session` (as process `process`), committed by node1 on timeline 1 unless said. */
function write(session: number, id: string, at: number, took: number, by = 'node1', timeline = 1, process = session): Op[] {
  const value = { id, name: id };
  return [
    { process, session, type: 'invoke', f: 'write', value, time: at * MS },
    { process, type: 'ok', f: 'write', value: { ...value, committed_by: by, committed_timeline: timeline, committed_at: dbTime(at + took / 2) }, time: (at + took) * MS },
  ];
}

const standby = (node: string, timeline?: number): ServedBy => ({ node, recovery: true, ...(timeline !== undefined ? { timeline } : {}) });
const primary = (node: string, timeline: number): ServedBy => ({ node, recovery: false, timeline });

/** A read by `session`: found or not, answered by `servedBy` (if the app said). */
function read(session: number | undefined, id: string, at: number, took: number, found: boolean, servedBy?: ServedBy, process = session ?? 0): Op[] {
  return [
    { process, ...(session !== undefined ? { session } : {}), type: 'invoke', f: 'read', value: { id }, time: at * MS },
    { process, type: 'ok', f: 'read', value: { id, found, ...(servedBy ? { served_by: servedBy } : {}) }, time: (at + took) * MS },
  ];
}

const ev = (type: ClusterEvent['type'], atMs: number, extra: Record<string, unknown>): ClusterEvent => ({ type, time: atMs * MS, wall: W0 + atMs, ...extra });
const nodeState = (atMs: number, node: string, role: string, timeline: number | null, lastSeenBeforeMs = atMs) =>
  ev('node-state', atMs, { node, role, ...(timeline !== null ? { timeline } : {}), lastSeenBeforeNs: lastSeenBeforeMs * MS });

/**
 * node1 primary, node2 and node3 standbys, all on timeline 1; node1 killed at 1000 ms; node2 seen
 * primary on timeline 2 at 2600 (still a standby at 2400), the endpoint on node2 at 2700; node3 seen receiving timeline 2 at 4000
 * (still on 1 at 3800).
 */
const twoStandbys: ClusterEvent[] = [
  nodeState(0, 'node1', 'primary', 1),
  nodeState(0, 'node2', 'standby', 1),
  nodeState(0, 'node3', 'standby', 1),
  ev('fault', 1000, { kind: 'kill', node: 'node1', primary: 'node1', standby: 'node2', standbys: ['node2', 'node3'] }),
  nodeState(1200, 'node1', 'down', null, 1000),
  ev('promotion-observed', 2600, { node: 'node2', timeline: 2 }),
  nodeState(2600, 'node2', 'primary', 2, 2400),
  ev('endpoint', 2700, { action: 'move', node: 'node2' }),
  nodeState(4000, 'node3', 'standby', 2, 3800),
];

const rows = (...ids: [string, string, number, number][]): FinalRow[] => ids.map(([id, by, timeline, at]) => ({ id, committed_by: by, committed_timeline: timeline, committed_at_us: (W0 + at) * 1000 }));
const finalRead = { node: 'node2', rows: rows(['a', 'node1', 1, 105], ['b', 'node1', 1, 505], ['c', 'node2', 2, 3005]) };
const base = [...write(0, 'a', 100, 10), ...write(1, 'b', 500, 10), ...write(1, 'c', 3000, 10, 'node2', 2)];

function run(history: Op[], promised: SessionGuarantee[] = [], events = twoStandbys): ReturnType<typeof check> {
  const input: CheckInput = { history, events, finalRead, expectations: { sessionGuarantees: promised } };
  return check(input);
}
const checkOf = (r: ReturnType<typeof check>, id: string) => r.checks.find((c) => c.id === id)!;

describe('read-your-writes', () => {
  // Session 0 acknowledged a at 110 ms; its read at 200 ms, answered by the standby node2, misses it.
  const history = [...base, ...read(0, 'a', 200, 5, false, standby('node2'))];

  it('FAILs a read that missed its own session\'s acknowledged write when the app promises it', () => {
    const r = run(history, ['read-your-writes']);
    expect(r.sessions.readYourWrites).toEqual([{ id: 'a', session: 0, process: 0, readAtMs: 200, answeredAtMs: 205, servedBy: 'node2', earlier: 'acknowledged', earlierAtMs: 110 }]);
    expect(checkOf(r, 'read-your-writes')).toMatchObject({ ok: false, detail: "1 reads missed their own session's acknowledged write" });
    expect(r.verdict).toBe('FAIL');
  });

  it('reports it with its count, and passes, when the app never promised it', () => {
    const r = run(history);
    expect(r.sessions.readYourWrites).toHaveLength(1);
    expect(checkOf(r, 'read-your-writes')).toMatchObject({ ok: true, detail: expect.stringContaining('1 reads missed') });
    expect(checkOf(r, 'read-your-writes').detail).toContain('does not promise');
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.verdict).toBe('PASS');
  });

  it("is not another session's stale read, nor a read that began before its own write was acknowledged", () => {
    const others = [...base, ...read(1, 'a', 200, 5, false, standby('node2')), ...write(0, 'x', 600, 50), ...read(2, 'x', 620, 5, false, standby('node2'))];
    // Session 0 acknowledged x at 650; its read of x began at 640, before that.
    const concurrent = [...base, ...write(0, 'x', 600, 50, 'node1', 1, 0), ...read(0, 'x', 640, 5, false, standby('node2'), 10)];
    const r1 = run(others, ['read-your-writes']);
    expect(r1.sessions.readYourWrites).toEqual([]);
    expect(r1.staleReads.map((s) => s.id)).toEqual(['a']);
    expect(run(concurrent, ['read-your-writes']).sessions.readYourWrites).toEqual([]);
  });

  it('follows a session across the processes an unknown outcome retired', () => {
    // Session 0's write of a was acknowledged under process 0; it reads as process 3 (0 retired).
    const r = run([...base, ...read(0, 'a', 200, 5, false, standby('node2'), 3)], ['read-your-writes']);
    expect(r.sessions.readYourWrites).toMatchObject([{ session: 0, process: 3 }]);
  });

  it('leaves a lost write to the lost check: missing it after the failover is the loss, not the read', () => {
    const lostRead = { node: 'node2', rows: rows(['b', 'node1', 1, 505], ['c', 'node2', 2, 3005]) };
    const r = check({ history, events: twoStandbys, finalRead: lostRead, expectations: { sessionGuarantees: ['read-your-writes'], replication: 'async', maxLost: 1 } });
    expect(r.lost.map((l) => l.id)).toEqual(['a']);
    expect(r.sessions.readYourWrites).toEqual([]);
  });
});

describe('monotonic reads', () => {
  it('FAILs a session that saw a row and then did not, when promised', () => {
    // Session 2 saw b on node2 at 700, then missed it on node3 at 800.
    const history = [...base, ...read(2, 'b', 700, 5, true, standby('node2')), ...read(2, 'b', 800, 5, false, standby('node3'))];
    const r = run(history, ['monotonic-reads']);
    expect(r.sessions.monotonicReads).toEqual([{ id: 'b', session: 2, process: 2, readAtMs: 800, answeredAtMs: 805, servedBy: 'node3', earlier: 'seen', earlierAtMs: 705, earlierServedBy: 'node2' }]);
    expect(checkOf(r, 'monotonic-reads').ok).toBe(false);
    expect(r.verdict).toBe('FAIL');
  });

  it('is not two sessions, each seeing a different replica', () => {
    const history = [...base, ...read(2, 'b', 700, 5, true, standby('node2')), ...read(3, 'b', 800, 5, false, standby('node3'))];
    expect(run(history, ['monotonic-reads']).sessions.monotonicReads).toEqual([]);
  });
});

describe('reads from a replaced timeline', () => {
  it('FAILs a read node3 answered on timeline 1 after node2 was seen primary on timeline 2, when promised', () => {
    const history = [...base, ...read(2, 'b', 3000, 10, true, standby('node3'))];
    const r = run(history, ['no-deposed-read']);
    expect(r.sessions.deposedReads).toEqual([
      { id: 'b', process: 2, session: 2, readAtMs: 3000, answeredAtMs: 3010, servedBy: 'node3', role: 'standby', timeline: 1, newPrimary: 'node2', newTimeline: 2, found: true },
    ]);
    expect(checkOf(r, 'no-deposed-read').ok).toBe(false);
    expect(r.verdict).toBe('FAIL');
  });

  it('counts a read the deposed primary itself answered, on the timeline it names', () => {
    const r = run([...base, ...read(2, 'b', 3000, 10, true, primary('node1', 1))], ['no-deposed-read']);
    expect(r.sessions.deposedReads).toMatchObject([{ servedBy: 'node1', role: 'primary', timeline: 1, newPrimary: 'node2' }]);
  });

  it('counts only what is sure: not before the new primary was seen, not while node3 may already have followed, not after', () => {
    const history = [
      ...base,
      // Before the watcher saw node2 primary (2600): node3 was right to serve timeline 1.
      ...read(2, 'b', 2500, 50, true, standby('node3')),
      // Answered at 3850, after the last look that saw node3 on timeline 1 (3800): it may have followed.
      ...read(3, 'b', 3790, 60, true, standby('node3')),
      // node3 on timeline 2.
      ...read(4, 'c', 4100, 5, true, standby('node3')),
      // The new primary itself.
      ...read(5, 'c', 3100, 5, true, primary('node2', 2)),
    ];
    expect(run(history, ['no-deposed-read']).sessions.deposedReads).toEqual([]);
  });

  it('keeps a standby on the last timeline it received while its WAL receiver is down', () => {
    const events = [...twoStandbys.filter((e) => !(e.type === 'node-state' && e.node === 'node3' && e.timeline === 2)), nodeState(2000, 'node3', 'standby', null, 1900)];
    const r = run([...base, ...read(2, 'b', 3000, 10, true, standby('node3'))], ['no-deposed-read'], events);
    expect(r.sessions.deposedReads).toMatchObject([{ servedBy: 'node3', timeline: 1 }]);
  });
});

describe('the other standby re-following', () => {
  it('says how long after the promotion node3 received the new timeline, and the reads it answered meanwhile', () => {
    const history = [...base, ...read(2, 'b', 3000, 10, true, standby('node3')), ...read(2, 'b', 3500, 10, true, standby('node3')), ...read(2, 'c', 4100, 5, true, standby('node3'))];
    expect(run(history).sessions.refollow).toEqual([{ node: 'node3', refollowMs: 1400, readsMeanwhile: 2 }]);
  });

  it('says it never did while the watcher looked', () => {
    const events = twoStandbys.filter((e) => !(e.type === 'node-state' && e.node === 'node3' && e.timeline === 2));
    expect(run([...base, ...read(2, 'b', 3000, 10, true, standby('node3'))], [], events).sessions.refollow).toEqual([{ node: 'node3', refollowMs: null, readsMeanwhile: 1 }]);
  });
});

describe('staleness per node', () => {
  it('gives each node its reads, misses and how long after acknowledgement each missed, before and from the fault', () => {
    const history = [
      ...base,
      ...read(2, 'a', 130, 5, false, standby('node2')), // 20 ms after a's acknowledgement (110)
      ...read(2, 'a', 150, 5, true, standby('node2')),
      ...read(3, 'a', 160, 5, false, standby('node3')), // 50 ms
      ...read(3, 'b', 3000, 5, false, standby('node3')), // 2490 ms after b's (510), after the fault
      ...read(3, 'b', 3100, 5, true, primary('node2', 2)),
    ];
    const r = run(history);
    expect(r.sessions.staleness).toEqual([
      { node: 'node2', normal: { reads: 2, misses: 1, medianMs: 20, p95Ms: 20, worstMs: 20 }, failover: { reads: 1, misses: 0, medianMs: null, p95Ms: null, worstMs: null } },
      { node: 'node3', normal: { reads: 1, misses: 1, medianMs: 50, p95Ms: 50, worstMs: 50 }, failover: { reads: 1, misses: 1, medianMs: 2490, p95Ms: 2490, worstMs: 2490 } },
    ]);
  });
});

describe('a history without sessions or nodes', () => {
  it('says the session checks were not judged, and passes them, whatever the app promised', () => {
    const r = run([...base, ...read(undefined, 'a', 200, 5, false)], ['read-your-writes', 'monotonic-reads', 'no-deposed-read']);
    expect(r.sessions).toMatchObject({ recorded: false, sessions: 0, readYourWrites: [], monotonicReads: [], deposedReads: [], staleness: [] });
    for (const id of ['read-your-writes', 'monotonic-reads', 'no-deposed-read']) expect(checkOf(r, id)).toMatchObject({ ok: true, detail: expect.stringMatching(/^not judged/) });
  });
});
