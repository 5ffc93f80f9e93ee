import { describe, expect, it } from 'vitest';
import type { ClusterEvent, Op } from '../op.ts';
import { check } from './checker.ts';
import { MalformedHistoryError, pairOperations } from './history.ts';
import type { FinalRow } from './types.ts';

const MS = 1e6;
const W0 = Date.parse('2026-11-21T10:00:00.000Z'); // wall clock at drill start

/** The database's clock at `ms` into the drill, as the app returns it. */
const dbTime = (ms: number) => new Date(W0 + ms).toISOString();

/** A write invoked at `at` ms, answered `took` ms later; an ok write committed by `by` at `at + took / 2`. */
function write(process: number, id: string, at: number, took: number, type: Op['type'], by = 'node1', timeline = 1): Op[] {
  const value = { id, name: id };
  const done: Op =
    type === 'ok'
      ? { process, type, f: 'write', value: { ...value, committed_by: by, committed_timeline: timeline, committed_at: dbTime(at + took / 2) }, time: (at + took) * MS }
      : { process, type, f: 'write', value, time: (at + took) * MS, error: type === 'fail' ? 'ENOTFOUND' : 'ECONNRESET' };
  return [{ process, type: 'invoke', f: 'write', value, time: at * MS }, done];
}

function read(process: number, id: string, at: number, took: number, found: boolean): Op[] {
  return [
    { process, type: 'invoke', f: 'read', value: { id }, time: at * MS },
    { process, type: 'ok', f: 'read', value: { id, found }, time: (at + took) * MS },
  ];
}

/** A row as the final read returns it, committed at `atMs` into the drill. */
const row = (id: string, by: string, timeline: number, atMs: number): FinalRow => ({ id, committed_by: by, committed_timeline: timeline, committed_at_us: (W0 + atMs) * 1000 });

const ev = (type: ClusterEvent['type'], atMs: number, extra: Record<string, unknown>): ClusterEvent => ({ type, time: atMs * MS, wall: W0 + atMs, ...extra });

/** node1 killed at 1000 ms, node2 seen primary at 2600, endpoint on node2 at 2700, repmgr's event at 3500. */
const failover: ClusterEvent[] = [
  ev('fault', 1000, { kind: 'kill', node: 'node1', primary: 'node1', standby: 'node2' }),
  ev('promotion-observed', 2600, { node: 'node2', timeline: 2 }),
  ev('endpoint', 2700, { action: 'move', node: 'node2' }),
  { type: 'repmgr', event: 'standby_promote', node: 'node2', wall: W0 + 3500 },
];

/** The common case: a, b acknowledged by node1 before the fault, d by node2 after it. */
const healthy = [...write(0, 'a', 100, 10, 'ok'), ...write(1, 'b', 900, 10, 'ok'), ...write(1, 'd', 3000, 10, 'ok', 'node2', 2)];
const healthyRows = [row('a', 'node1', 1, 105), row('b', 'node1', 1, 905), row('d', 'node2', 2, 3005)];

describe('check', () => {
  it('passes a failover in which every acknowledged write survived and writes resumed on the new primary', () => {
    const r = check({ history: healthy, events: failover, finalRead: { node: 'node2', rows: healthyRows } });
    // Each check has its own stable id, whatever its thresholds.
    const ids = r.checks.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(['writes-acknowledged', 'fault-injected', 'standby-promoted', 'endpoint-moved', 'writes-resumed', 'final-primary', 'lost-within-budget', 'no-failed-write-present', 'no-unexpected-value', 'no-duplicate', 'no-impossible-read', 'read-your-writes', 'monotonic-reads', 'no-deposed-read', 'no-split-brain']);

    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.verdict).toBe('PASS');
    expect(r.counts.write).toEqual({ ok: 3, fail: 0, info: 0, open: 0, errors: {} });
    expect(r.promotion).toEqual({ node: 'node2', observedMs: 1600, reportedMs: 2500 });
    expect(r.endpointMove).toEqual({ node: 'node2', ms: 1700 });
    // Clients: b answered at 910 ms, d at 3010 ms.
    expect(r.writeUnavailability).toEqual({ ms: 2100, lastOkBeforeMs: 910, firstOkAfterMs: 3010 });
    // Database: b committed at 905 ms on timeline 1, d at 3005 ms on timeline 2.
    expect(r.databaseDowntime).toEqual({
      ms: 2100,
      oldTimeline: 1,
      newTimeline: 2,
      lastOldCommitAt: '2026-11-21T10:00:00.905000Z',
      firstNewCommitAt: '2026-11-21T10:00:03.005000Z',
    });
    expect(r.recoveryPoint).toEqual({ lostWrites: 0, seconds: 0, lastSurvivingCommitAt: null, lastLostCommitAt: null });
  });

  it("with stamps that name no node (the dsql app): the writes after the fault count as the new primary's, and no figure is built on stamps", () => {
    const dsql = [...write(0, 'a', 100, 10, 'ok', 'dsql', 1), ...write(1, 'b', 900, 10, 'ok', 'dsql', 1), ...write(1, 'd', 3000, 10, 'ok', 'dsql', 1)];
    const rows = [row('a', 'dsql', 1, 105), row('b', 'dsql', 1, 905), row('d', 'dsql', 1, 3005)];
    const judged = check({ history: dsql, events: failover, finalRead: { node: 'node2', rows }, expectations: { nodeStamps: false } });
    expect(judged.checks.filter((c) => !c.ok)).toEqual([]);
    expect(judged.writesAfterFault).toEqual({ ok: 1, onNewPrimary: 1 });
    expect(judged.writeUnavailability).toEqual({ ms: 2100, lastOkBeforeMs: 910, firstOkAfterMs: 3010 });
    expect(judged.databaseDowntime).toBeNull();
    expect(judged.checks.find((c) => c.id === 'writes-resumed')?.detail).toMatch(/stamps name no node/);
    // Without the expectation, 'dsql' is taken for a node: no write resumed on node2.
    const misjudged = check({ history: dsql, events: failover, finalRead: { node: 'node2', rows } });
    expect(misjudged.checks.find((c) => c.id === 'writes-resumed')?.ok).toBe(false);
  });

  it("with the DSQL stand-in's counts: a refused statement fails the run, conflicts are counted and pass", () => {
    const counts = (refused: Record<string, number>) => ev('dsql-stand-in', 3100, { refused, conflicts: 12, sessions: 40 });
    const clean = check({ history: healthy, events: [...failover, counts({})], finalRead: { node: 'node2', rows: healthyRows } });
    expect(clean.verdict).toBe('PASS');
    expect(clean.dsql).toEqual({ refused: {}, conflicts: 12, sessions: 40 });
    expect(clean.checks.find((c) => c.id === 'dsql-rules')).toMatchObject({ ok: true, detail: 'none refused; 12 write conflicts answered as OC000, 40 sessions' });
    const refused = check({ history: healthy, events: [...failover, counts({ truncate: 1, 'for-update': 2 })], finalRead: { node: 'node2', rows: healthyRows } });
    expect(refused.verdict).toBe('FAIL');
    expect(refused.checks.find((c) => c.id === 'dsql-rules')).toMatchObject({ ok: false, detail: '3 refused: truncate 1, for-update 2; 12 write conflicts answered as OC000, 40 sessions' });
    // No counts (any other app): no such check.
    expect(check({ history: healthy, events: failover, finalRead: { node: 'node2', rows: healthyRows } }).checks.map((c) => c.id)).not.toContain('dsql-rules');
  });

  it('"either" (a flapping primary): a failover passes, no failover passes, and a lost write or a stray endpoint still fails', () => {
    const either = { promotion: 'either', finalPrimary: 'either' } as const;
    const withFailover = check({ history: healthy, events: failover, finalRead: { node: 'node2', rows: healthyRows }, expectations: either });
    expect(withFailover.checks.filter((c) => !c.ok)).toEqual([]);
    expect(withFailover.checks.map((c) => c.id)).toEqual(expect.arrayContaining(['promotion-either', 'endpoint-moved', 'final-primary']));
    expect(withFailover.checks.find((c) => c.id === 'promotion-either')?.detail).toBe('node2 was promoted 1600 ms after the fault');
    const stayed = [...write(0, 'a', 100, 10, 'ok'), ...write(1, 'b', 2000, 10, 'ok')];
    const withoutFailover = check({ history: stayed, events: [failover[0]!], finalRead: { node: 'node1', rows: [row('a', 'node1', 1, 105), row('b', 'node1', 1, 2005)] }, expectations: either });
    expect(withoutFailover.checks.filter((c) => !c.ok)).toEqual([]);
    expect(withoutFailover.checks.find((c) => c.id === 'promotion-either')?.detail).toBe('no promotion: node1 stayed primary');
    // Either way the history must hold: a lost write fails it, and so does an endpoint left on the old primary.
    const lost = check({ history: healthy, events: failover, finalRead: { node: 'node2', rows: healthyRows.slice(1) }, expectations: either });
    expect(lost.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['lost-within-budget']);
    const stuck = check({ history: healthy, events: failover.filter((e) => e.type !== 'endpoint'), finalRead: { node: 'node2', rows: healthyRows }, expectations: either });
    expect(stuck.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['endpoint-moved']);
    // A witness is never the primary at the end.
    const witness = check({ history: healthy, events: failover, finalRead: { node: 'node3', rows: healthyRows }, expectations: either });
    expect(witness.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['final-primary']);
  });

  it('lists every lost write, and how many seconds of writes they span', () => {
    const history = [...write(0, 'a', 100, 10, 'ok'), ...write(0, 'b', 500, 10, 'ok'), ...write(1, 'c', 900, 10, 'ok'), ...write(1, 'd', 3000, 10, 'ok', 'node2', 2)];
    const r = check({ history, events: failover, finalRead: { node: 'node2', rows: [row('a', 'node1', 1, 105), row('d', 'node2', 2, 3005)] } });

    expect(r.verdict).toBe('FAIL');
    expect(r.lost).toEqual([
      { id: 'b', process: 0, invokedAtMs: 500, completedAtMs: 510, committedBy: 'node1', committedTimeline: 1 },
      { id: 'c', process: 1, invokedAtMs: 900, completedAtMs: 910, committedBy: 'node1', committedTimeline: 1 },
    ]);
    // a (105 ms) is the last write of node1 that survived; c (905 ms) the last one lost.
    expect(r.recoveryPoint).toEqual({ lostWrites: 2, seconds: 0.8, lastSurvivingCommitAt: '2026-11-21T10:00:00.105000Z', lastLostCommitAt: '2026-11-21T10:00:00.905000Z' });
    expect(r.checks.find((c) => !c.ok)).toMatchObject({ name: 'acknowledged writes lost within budget (0)' });
  });

  it('passes lost writes within the --max-lost budget, still listing them', () => {
    const history = [...write(0, 'a', 100, 10, 'ok'), ...write(1, 'c', 900, 10, 'ok'), ...write(1, 'd', 3000, 10, 'ok', 'node2', 2)];
    const finalRead = { node: 'node2', rows: [row('a', 'node1', 1, 105), row('d', 'node2', 2, 3005)] };
    const r = check({ history, events: failover, finalRead, expectations: { maxLost: 1, replication: 'async' } });

    expect(r.verdict).toBe('PASS');
    expect(r.lost.map((l) => l.id)).toEqual(['c']);
  });

  it('reports an unknown-outcome write found in the database as recovered, not as an anomaly', () => {
    const history = [...healthy, ...write(2, 'u', 950, 3000, 'info')];
    const r = check({ history, events: failover, finalRead: { node: 'node2', rows: [...healthyRows, row('u', 'node1', 1, 960)] } });

    expect(r.recovered.map((w) => w.id)).toEqual(['u']);
    expect(r.counts.write).toMatchObject({ info: 1, errors: { ECONNRESET: 1 } });
    expect(r.verdict).toBe('PASS');
  });

  it('ends the write outage at the first write of the new primary, not at a late one of the old primary (a switchover)', () => {
    const history = [...healthy, ...write(3, 'late', 1000, 200, 'ok', 'node1', 1)];
    const r = check({ history, events: failover, finalRead: { node: 'node2', rows: [...healthyRows, row('late', 'node1', 1, 1100)] } });

    // It starts at that late answer (the client saw a write work then), and it is the longest gap.
    expect(r.writeUnavailability).toEqual({ ms: 1810, lastOkBeforeMs: 1200, firstOkAfterMs: 3010 });
    expect(r.longestWriteGap?.ms).toBe(1810);
  });

  it('counts acknowledged and lost writes per database, and a lost write in the second database fails the drill', () => {
    const analytics = (id: string, at: number): Op[] => write(4, id, at, 10, 'ok').map((op) => ({ ...op, value: { ...(op.value as object), db: 'analytics' } }));
    const history = [...healthy, ...analytics('e1', 500), ...analytics('e2', 3100)];
    const r = check({ history, events: failover, finalRead: { node: 'node2', rows: [...healthyRows, row('e1', 'node1', 1, 505)] } });

    expect(r.writesByDatabase).toEqual({ app: { ok: 3, lost: 0 }, analytics: { ok: 2, lost: 1 } });
    expect(r.lost.map((w) => w.id)).toEqual(['e2']);
    expect(r.verdict).toBe('FAIL');
  });

  it('reports a write answered "failed" that is in the database as contradicted', () => {
    const history = [...healthy, ...write(2, 'f', 950, 3000, 'fail')];
    const r = check({ history, events: failover, finalRead: { node: 'node2', rows: [...healthyRows, row('f', 'node1', 1, 960)] } });

    expect(r.contradicted).toEqual([{ id: 'f', process: 2, invokedAtMs: 950, completedAtMs: 3950 }]);
    expect(r.verdict).toBe('FAIL');
  });

  it('reports values nobody tried to write as unexpected, and values present twice as duplicated', () => {
    const r = check({ history: healthy, events: failover, finalRead: { node: 'node2', rows: [...healthyRows, row('zz', 'node2', 2, 3100), row('a', 'node1', 1, 105)] } });

    expect(r.unexpected).toEqual(['zz']);
    expect(r.duplicated).toEqual([{ id: 'a', count: 2 }]);
    expect(r.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['no value nobody wrote', 'no value present twice']);
  });

  it('reports a read that missed a write acknowledged before it began as stale, with the lag', () => {
    // b was acknowledged at 910 ms; a read invoked at 960 ms did not find it; one at 1200 ms did.
    const history = [...healthy, ...read(3, 'b', 960, 5, false), ...read(3, 'b', 1200, 5, true)];
    const r = check({ history, events: failover, finalRead: { node: 'node2', rows: healthyRows } });

    expect(r.staleReads).toEqual([{ id: 'b', process: 3, readAtMs: 960, ackedAtMs: 910, lagMs: 50 }]);
    expect(r.counts.read).toEqual({ ok: 2, fail: 0, info: 0, open: 0, errors: {} });
  });

  it('does not call a read stale when it began before the write was acknowledged', () => {
    const history = [...healthy, ...read(3, 'b', 905, 20, false)];
    expect(check({ history, events: failover, finalRead: { node: 'node2', rows: healthyRows } }).staleReads).toEqual([]);
  });

  it('reports split brain when the old primary committed acknowledged writes after the new one took over', () => {
    // node2 commits d at 3005 ms on timeline 2; node1 (not dead: partitioned) still commits x at 3200 ms.
    const history = [...healthy, ...write(2, 'x', 3190, 20, 'ok', 'node1', 1)];
    const r = check({ history, events: failover, finalRead: { node: 'node2', rows: healthyRows } });

    expect(r.splitBrain).toMatchObject({ newPrimary: 'node2', newTimeline: 2, writes: [{ id: 'x', committedBy: 'node1', committedTimeline: 1, committedAtMs: W0 + 3200 }] });
    expect(r.verdict).toBe('FAIL');
  });

  it('does not call a write the old primary committed before it died, but answered after the fault, split brain', () => {
    // Invoked before the kill, committed at 1002 ms, its answer arrived at 1004 ms: after the fault was sent.
    const history = [...write(0, 'a', 100, 10, 'ok'), ...write(1, 'late', 1000, 4, 'ok', 'node1', 1), ...write(1, 'd', 3000, 10, 'ok', 'node2', 2)];
    const r = check({ history, events: failover, finalRead: { node: 'node2', rows: [row('a', 'node1', 1, 105), row('late', 'node1', 1, 1002), row('d', 'node2', 2, 3005)] } });

    expect(r.splitBrain).toBeNull();
    expect(r.writesAfterFault).toEqual({ ok: 2, onNewPrimary: 1 });
    // The window runs to the first write acknowledged by another node, not to node1's late answer,
    // and starts at that late answer: the client saw a write work at 1004 ms.
    expect(r.writeUnavailability).toEqual({ ms: 2006, lastOkBeforeMs: 1004, firstOkAfterMs: 3010 });
    expect(r.verdict).toBe('PASS');
  });

  it('starts the clients\' window of a switchover when the old primary stopped acknowledging, not when the switchover began', () => {
    // The switchover starts at 1000 ms; repmgr checks the cluster for 8 s while node1 goes on
    // acknowledging writes (answered in invocation order b, c, but c's answer came first);
    // node1 stops at 9000, node2 acknowledges from 11000.
    const events = [
      ev('fault', 1000, { kind: 'switchover', node: 'node2', primary: 'node1', standby: 'node2' }),
      ev('promotion-observed', 10_000, { node: 'node2', timeline: 2 }),
    ];
    const history = [
      ...write(0, 'a', 900, 10, 'ok'),
      ...write(0, 'b', 8900, 95, 'ok'),
      ...write(1, 'c', 8950, 30, 'ok'),
      ...write(0, 'd', 11_000, 10, 'ok', 'node2', 2),
    ];
    const rows = [row('a', 'node1', 1, 905), row('b', 'node1', 1, 8990), row('c', 'node1', 1, 8960), row('d', 'node2', 2, 11_005)];
    const r = check({ history, events, finalRead: { node: 'node2', rows } });

    expect(r.writeUnavailability).toEqual({ ms: 2015, lastOkBeforeMs: 8995, firstOkAfterMs: 11_010 });
    // The quiet stretch before it is still seen, by the longest gap (nobody wrote from 910 to 8980).
    expect(r.longestWriteGap).toEqual({ ms: 8070, fromMs: 910, toMs: 8980 });
    expect(r.lost).toEqual([]);
  });

  it('does not let a lost acknowledgement after the fault shorten the clients\' window', () => {
    // node1, cut off, acknowledged e at 2000 ms and lost it: writes did not work then.
    const history = [...healthy, ...write(0, 'e', 1990, 10, 'ok')];
    const r = check({ history, events: failover, finalRead: { node: 'node2', rows: healthyRows } });

    expect(r.lost.map((w) => w.id)).toEqual(['e']);
    expect(r.writeUnavailability).toEqual({ ms: 2100, lastOkBeforeMs: 910, firstOkAfterMs: 3010 });
  });

  it('finds the longest gap in acknowledged writes even when one write got through right after the fault', () => {
    // No promotion: the standby died at 1000 ms; one commit in flight was acknowledged at 1003 ms,
    // then commits waited until 1900 ms.
    const history = [...write(0, 'a', 900, 10, 'ok'), ...write(1, 'b', 990, 13, 'ok'), ...write(0, 'c', 1010, 890, 'ok'), ...write(1, 'd', 1905, 5, 'ok')];
    const events = [ev('fault', 1000, { kind: 'kill', node: 'node2', primary: 'node1', standby: 'node2' })];
    const rows = [row('a', 'node1', 1, 905), row('b', 'node1', 1, 995), row('c', 'node1', 1, 1450), row('d', 'node1', 1, 1907)];
    const r = check({ history, events, finalRead: { node: 'node1', rows }, expectations: { promotion: false, finalPrimary: 'primary', maxWriteDownMs: 500 } });

    expect(r.writeUnavailability).toEqual({ ms: 93, lastOkBeforeMs: 910, firstOkAfterMs: 1003 });
    expect(r.longestWriteGap).toEqual({ ms: 897, fromMs: 1003, toMs: 1900 });
    expect(r.checks.find((c) => !c.ok)).toEqual({ id: 'write-downtime', name: 'writes were down at most 0.5 s', ok: false, detail: 'down for 0.90 s at most', properties: { maxWriteDownMs: 500, writeDownMs: 897 } });
  });

  it('checks an empty history without crashing, and does not call it a PASS', () => {
    const r = check({ history: [], events: [], finalRead: { node: 'node1', rows: [] } });

    expect(r.counts.write).toEqual({ ok: 0, fail: 0, info: 0, open: 0, errors: {} });
    expect(r.lost).toEqual([]);
    expect(r.verdict).toBe('FAIL');
    expect(r.checks[0]).toEqual({ id: 'writes-acknowledged', name: 'the workload got writes acknowledged', ok: false, detail: '0 acknowledged writes' });
  });

  it('treats an operation the history ends before completing as unknown: recovered if present, never lost', () => {
    const cut: Op[] = [...healthy, { process: 4, type: 'invoke', f: 'write', value: { id: 'cut', name: 'cut' }, time: 950 * MS }];
    const present = check({ history: cut, events: failover, finalRead: { node: 'node2', rows: [...healthyRows, row('cut', 'node1', 1, 955)] } });
    const absent = check({ history: cut, events: failover, finalRead: { node: 'node2', rows: healthyRows } });

    expect(present.counts.write.open).toBe(1);
    expect(present.recovered.map((w) => w.id)).toEqual(['cut']);
    expect(absent.lost).toEqual([]);
    expect(absent.verdict).toBe('PASS');
  });

  it('says nothing about lost writes without a final read, and fails', () => {
    const r = check({ history: healthy, events: failover, finalRead: null });
    expect(r.lost).toEqual([]);
    expect(r.checks.find((c) => c.name.startsWith('acknowledged writes lost'))).toMatchObject({ ok: false, detail: 'no final read: nothing can be said about lost writes' });
  });

  it('notes when synchronous replication runs degraded on the new primary', () => {
    const r = check({ history: healthy, events: failover, finalRead: { node: 'node2', rows: healthyRows, synchronousStandbyNames: '' }, expectations: { replication: 'sync' } });
    expect(r.degradedReplication).toContain('node2 runs without a synchronous standby');
    expect(r.verdict).toBe('PASS');
  });

  describe('reads judged against the writes', () => {
    it('flags a read that found a value nobody wrote', () => {
      const r = check({ history: [...healthy, ...read(3, 'ghost', 1200, 5, true)], events: failover, finalRead: { node: 'node2', rows: healthyRows } });
      expect(r.readAnomalies).toEqual([{ id: 'ghost', process: 3, readAtMs: 1200, answeredAtMs: 1205, kind: 'never-written' }]);
      expect(r.verdict).toBe('FAIL');
      expect(r.checks.filter((c) => !c.ok)).toEqual([{ id: 'no-impossible-read', name: 'no read saw a value it could not have seen', ok: false, detail: '1 reads of values nobody wrote' }]);
    });

    it('flags a read that found a write answered "failed", even when the final state does not have it', () => {
      // f was answered "failed" at 960 ms; a replica's read at 1200 ms found it; the final read does not.
      const history = [...healthy, ...write(2, 'f', 950, 10, 'fail'), ...read(3, 'f', 1200, 5, true)];
      const r = check({ history, events: failover, finalRead: { node: 'node2', rows: healthyRows } });
      expect(r.contradicted).toEqual([]);
      expect(r.readAnomalies).toEqual([{ id: 'f', process: 3, readAtMs: 1200, answeredAtMs: 1205, kind: 'failed-write' }]);
      expect(r.verdict).toBe('FAIL');
    });

    it('flags a read answered before its write was invoked', () => {
      // The read was answered at 3005 ms with d found; d's write was invoked only at 3010 ms.
      const history = [...write(0, 'a', 100, 10, 'ok'), ...write(1, 'b', 900, 10, 'ok'), ...read(3, 'd', 3000, 5, true), ...write(1, 'd', 3010, 10, 'ok', 'node2', 2)];
      const r = check({ history, events: failover, finalRead: { node: 'node2', rows: [row('a', 'node1', 1, 105), row('b', 'node1', 1, 905), row('d', 'node2', 2, 3015)] } });
      expect(r.readAnomalies).toEqual([{ id: 'd', process: 3, readAtMs: 3000, answeredAtMs: 3005, kind: 'before-invoke' }]);
      expect(r.verdict).toBe('FAIL');
    });

    it('lets pass a read of a write in flight, of an unknown one, and one that did not find its value', () => {
      // d is read while its write is in flight (invoked 3000, answered 3010); u's outcome is unknown.
      const history = [...healthy, ...write(2, 'u', 950, 10, 'info'), ...read(3, 'd', 3002, 5, true), ...read(3, 'u', 3100, 5, true), ...read(3, 'a', 3200, 5, false)];
      const r = check({ history, events: failover, finalRead: { node: 'node2', rows: [...healthyRows, row('u', 'node1', 1, 955)] } });
      expect(r.readAnomalies).toEqual([]);
      expect(r.checks.find((c) => c.name === 'no read saw a value it could not have seen')).toEqual({ id: 'no-impossible-read', name: 'no read saw a value it could not have seen', ok: true, detail: 'none' });
    });
  });

  describe('split brain within one timeline', () => {
    // Two standbys, both promoted to timeline 2: node2 from 3005 ms, node3 from 3100 ms, both going on.
    const twoPromoted: ClusterEvent[] = [ev('fault', 1000, { kind: 'kill', node: 'node1', primary: 'node1', standby: 'node2', standbys: ['node2', 'node3'] }), ...failover.slice(1)];

    it('is found when two nodes commit acknowledged writes on the same timeline at overlapping times', () => {
      const history = [...healthy, ...write(2, 'n3', 3100, 10, 'ok', 'node3', 2), ...write(1, 'e', 3300, 10, 'ok', 'node2', 2), ...write(2, 'n3b', 3400, 10, 'ok', 'node3', 2)];
      const r = check({ history, events: twoPromoted, finalRead: { node: 'node2', rows: [...healthyRows, row('e', 'node2', 2, 3305)] } });
      // node3 began second (3105 ms); node2 committed e at 3305 ms after that.
      expect(r.splitBrain).toMatchObject({ newPrimary: 'node3', newTimeline: 2, newPrimaryFirstCommitAt: W0 + 3105, writes: [{ id: 'e', committedBy: 'node2', committedTimeline: 2, committedAtMs: W0 + 3305 }] });
      expect(r.checks.find((c) => c.name === 'no split brain')?.ok).toBe(false);
      expect(r.verdict).toBe('FAIL');
    });

    it('is found under an async budget that tolerates the lost writes it causes', () => {
      const history = [...healthy, ...write(2, 'n3', 3100, 10, 'ok', 'node3', 2), ...write(1, 'e', 3300, 10, 'ok', 'node2', 2)];
      const r = check({ history, events: twoPromoted, finalRead: { node: 'node2', rows: [...healthyRows, row('e', 'node2', 2, 3305)] }, expectations: { replication: 'async', maxLost: 10 } });
      expect(r.lost.map((w) => w.id)).toEqual(['n3']);
      expect(r.checks.find((c) => c.name.startsWith('acknowledged writes lost'))?.ok).toBe(true);
      expect(r.splitBrain?.newPrimary).toBe('node3');
      expect(r.verdict).toBe('FAIL');
    });

    it('is not found when one node follows another, nor when a node is primary again on a later timeline (fail-back)', () => {
      // node1 (timeline 1) until 905 ms, node2 (timeline 2) from 3005 to 5005 ms, node1 again (timeline 3) from 7005 ms.
      const history = [...healthy, ...write(1, 'e', 5000, 10, 'ok', 'node2', 2), ...write(0, 'g', 7000, 10, 'ok', 'node1', 3)];
      const rows = [...healthyRows, row('e', 'node2', 2, 5005), row('g', 'node1', 3, 7005)];
      const r = check({ history, events: failover, finalRead: { node: 'node1', rows }, expectations: { finalPrimary: 'primary' } });
      expect(r.splitBrain).toBeNull();
      expect(r.checks.find((c) => c.name === 'no split brain')?.ok).toBe(true);
    });
  });

  describe('times that are never negative', () => {
    it('counts a loss in the middle of a run from the last commit that survived before it', () => {
      // node1 commits a (105), b (505, lost), c (705, lost), then z (905, survived): the loss is 505 to 705 ms.
      const history = [...write(0, 'a', 100, 10, 'ok'), ...write(0, 'b', 500, 10, 'ok'), ...write(0, 'c', 700, 10, 'ok'), ...write(1, 'z', 900, 10, 'ok'), ...write(1, 'd', 3000, 10, 'ok', 'node2', 2)];
      const r = check({ history, events: failover, finalRead: { node: 'node2', rows: [row('a', 'node1', 1, 105), row('z', 'node1', 1, 905), row('d', 'node2', 2, 3005)] } });
      expect(r.lost.map((w) => w.id)).toEqual(['b', 'c']);
      expect(r.recoveryPoint).toEqual({ lostWrites: 2, seconds: 0.6, lastSurvivingCommitAt: '2026-11-21T10:00:00.105000Z', lastLostCommitAt: '2026-11-21T10:00:00.705000Z' });
    });

    it('counts a loss before any surviving commit from the first lost one', () => {
      const history = [...write(0, 'b', 500, 10, 'ok'), ...write(0, 'c', 700, 10, 'ok'), ...write(1, 'z', 900, 10, 'ok'), ...write(1, 'd', 3000, 10, 'ok', 'node2', 2)];
      const r = check({ history, events: failover, finalRead: { node: 'node2', rows: [row('z', 'node1', 1, 905), row('d', 'node2', 2, 3005)] } });
      expect(r.recoveryPoint).toEqual({ lostWrites: 2, seconds: 0.2, lastSurvivingCommitAt: null, lastLostCommitAt: '2026-11-21T10:00:00.705000Z' });
    });

    it('gives a database downtime of 0, not less, when the old timeline went on committing after the new one began', () => {
      const history = [...healthy, ...write(2, 'x', 3190, 20, 'ok', 'node1', 1)];
      const r = check({ history, events: failover, finalRead: { node: 'node2', rows: healthyRows } });
      expect(r.databaseDowntime).toMatchObject({ ms: 0, oldTimeline: 1, newTimeline: 2, lastOldCommitAt: '2026-11-21T10:00:03.200000Z', firstNewCommitAt: '2026-11-21T10:00:03.005000Z' });
      expect(r.splitBrain).not.toBeNull();
    });
  });

  describe('clocks that disagree', () => {
    const clockAt = (atMs: number, node: string, offsetMs: number, errorMs = 0.5) => ev('clock', atMs, { node, offsetMs, errorMs });
    /** node2's clock 30 s behind from 500 ms on: its commits are stamped 30 s early. */
    const behind = [clockAt(0, 'node1', 0.2), clockAt(0, 'node2', -0.1), clockAt(500, 'node2', -30_000)];
    const skewedHistory = [...write(0, 'a', 100, 10, 'ok'), ...write(1, 'b', 900, 10, 'ok'), ...write(1, 'd', 33_000, 10, 'ok', 'node2', 2)];
    const skewedRows = [row('a', 'node1', 1, 105), row('b', 'node1', 1, 905), row('d', 'node2', 2, 3005)];

    it('on stamps alone, a new primary 30 s behind would look like a split brain and a downtime of 0 ms', () => {
      // What the checker concluded before it looked at the clocks: both wrong.
      const history = [...write(0, 'a', 100, 10, 'ok'), ...write(1, 'b', 900, 10, 'ok'), ...write(1, 'd', 3000, 10, 'ok', 'node2', 2)];
      const rows = [row('a', 'node1', 1, 105), row('b', 'node1', 1, 905), row('d', 'node2', 2, 905 - 800)];
      const r = check({ history, events: failover, finalRead: { node: 'node2', rows } });
      expect(r.splitBrain).not.toBeNull();
      expect(r.databaseDowntime?.ms).toBe(0);
      // With the clock measured, neither is claimed, and the verdict holds the fault to account.
      const judged = check({ history, events: [...failover, clockAt(0, 'node1', 0), clockAt(500, 'node2', -800)], finalRead: { node: 'node2', rows } });
      expect(judged.splitBrain).toBeNull();
      expect(judged.databaseDowntime).toBeNull();
      expect(judged.clocks).toEqual({ trusted: false, skews: [{ node: 'node1', offsetMs: 0, errorMs: 0.5 }, { node: 'node2', offsetMs: -800, errorMs: 0.5 }] });
      const clocks = judged.checks.find((c) => c.id === 'clocks-agree')!;
      expect(clocks.ok).toBe(false);
      expect(clocks.detail).toContain("node2's clock was 0.80 s behind the harness's");
      expect(judged.verdict).toBe('FAIL');
    });

    it('under the clock-skew fault the check passes and says which figures it withholds', () => {
      const events = [ev('fault', 1000, { kind: 'clock-skew', node: 'node1', primary: 'node1', standby: 'node2' }), ...failover.slice(1), ...behind];
      const r = check({ history: skewedHistory, events, finalRead: { node: 'node2', rows: skewedRows } });
      expect(r.checks.filter((c) => !c.ok)).toEqual([]);
      expect(r.databaseDowntime).toBeNull();
      expect(r.splitBrain).toBeNull();
      expect(r.checks.find((c) => c.id === 'clocks-agree')?.detail).toMatch(/30\.00 s behind .*the clock-skew fault set it.*database downtime and repmgr's promotion time are not given/);
      expect(r.checks.find((c) => c.id === 'no-split-brain')?.detail).toContain("judged on the harness's clock alone");
    });

    it("still finds a split brain on the harness's clock: a write sent after the new primary was seen, committed by the old one", () => {
      const events = [ev('fault', 1000, { kind: 'clock-skew', node: 'node1', primary: 'node1', standby: 'node2' }), ...failover.slice(1), ...behind];
      const history = [...skewedHistory, ...write(2, 'x', 2700, 20, 'ok', 'node1', 1)];
      const r = check({ history, events, finalRead: { node: 'node2', rows: skewedRows } });
      expect(r.splitBrain).toMatchObject({ newPrimary: 'node2', newTimeline: 2, writes: [{ id: 'x' }] });
      expect(r.checks.find((c) => c.id === 'no-split-brain')?.ok).toBe(false);
      // A write sent before the look that saw node2 is not evidence on that clock.
      const before = check({ history: [...skewedHistory, ...write(2, 'y', 2500, 20, 'ok', 'node1', 1)], events, finalRead: { node: 'node2', rows: skewedRows } });
      expect(before.splitBrain).toBeNull();
    });

    it('clocks within the tolerance (allowing for the measurement) change nothing', () => {
      const r = check({ history: healthy, events: [...failover, clockAt(0, 'node1', 3), clockAt(0, 'node2', -300, 60)], finalRead: { node: 'node2', rows: healthyRows } });
      expect(r.clocks?.trusted).toBe(true);
      expect(r.databaseDowntime?.ms).toBe(2100);
      expect(r.checks.find((c) => c.id === 'clocks-agree')).toMatchObject({ ok: true, detail: 'at most 300 ms off (node2, ±60 ms)' });
    });
  });
});

describe('pairOperations', () => {
  it.each([
    [[{ process: 0, type: 'ok', f: 'write', value: { id: 'a' }, time: 1 }], 'history line 1: ok for process 0, which has no operation in progress'],
    [
      [
        { process: 0, type: 'invoke', f: 'write', value: { id: 'a' }, time: 1 },
        { process: 0, type: 'invoke', f: 'write', value: { id: 'b' }, time: 2 },
      ],
      'history line 2: process 0 invokes again before its operation at line 1 completed',
    ],
    [
      [
        { process: 0, type: 'invoke', f: 'write', value: { id: 'a' }, time: 5 },
        { process: 0, type: 'ok', f: 'write', value: { id: 'a' }, time: 4 },
      ],
      'history line 2: completes before it was invoked (time goes backwards)',
    ],
    [
      [
        { process: 0, type: 'invoke', f: 'write', value: { id: 'a' }, time: 1 },
        { process: 0, type: 'ok', f: 'read', value: { id: 'a' }, time: 2 },
      ],
      'history line 2: completes a read but process 0 invoked a write',
    ],
    [
      [
        { process: 0, type: 'invoke', f: 'write', value: { id: 'a' }, time: 1 },
        { process: 0, type: 'ok', f: 'write', value: { id: 'b' }, time: 2 },
      ],
      'history line 2: completes write b but the invocation wrote a',
    ],
    [[{ process: 0, type: 'invoke', f: 'transfer', value: { id: 'a' }, time: 1 }], 'history line 1: f must be write or read (the set workload\'s), not "transfer"'],
  ] as [Op[], string][])('rejects a history that does not pair up: %#', (history, message) => {
    expect(() => pairOperations(history)).toThrow(MalformedHistoryError);
    expect(() => pairOperations(history)).toThrow(message);
  });

  it('uses the file line numbers it is given', () => {
    expect(() => pairOperations([{ process: 0, type: 'ok', f: 'write', value: { id: 'a' }, time: 1 }], [7])).toThrow('history line 7:');
  });
});
