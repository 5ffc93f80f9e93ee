/**
 * The bank's checker on literal histories, composed into the whole checker as a drill runs it:
 * 3 accounts of 10 (30 in all); node1 killed at 1000 ms, node2 primary after it.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../checker/checker.ts';
import { MalformedHistoryError } from '../../checker/history.ts';
import type { CheckResult, FinalRead } from '../../checker/types.ts';
import type { ClusterEvent, Op } from '../../op.ts';
import { bank } from './bank.ts';
import type { BankSettings } from './check.ts';

const MS = 1e6;
const W0 = Date.parse('2026-11-21T10:00:00.000Z');
const P = 'run/';
const SETTINGS: BankSettings = { name: 'bank', prefix: P, accounts: 3, balance: 10 };
const workload = { ...bank, check: (pairs: Parameters<typeof bank.check>[0], read: FinalRead | null) => bank.check(pairs, read, SETTINGS) };

const a = (i: number) => `${P}a${i}`;

/** A transfer invoked at `at` ms, answered 10 ms later; an ok one committed by `by` at `at + 5`. */
function transfer(process: number, id: string, from: number, to: number, amount: number, at: number, type: Op['type'], by = 'node1', timeline = 1): Op[] {
  const value = { id, from: a(from), to: a(to), amount };
  const done: Op =
    type === 'ok'
      ? { process, type, f: 'transfer', value: { ...value, committed_by: by, committed_timeline: timeline, committed_at: new Date(W0 + at + 5).toISOString() }, time: (at + 10) * MS }
      : { process, type, f: 'transfer', value, time: (at + 10) * MS, error: type === 'fail' ? 'INSUFFICIENT_FUNDS' : 'ECONNRESET' };
  return [{ process, type: 'invoke', f: 'transfer', value, time: at * MS }, done];
}

/** A snapshot read at `at` ms: balances of a0, a1, a2 (undefined: the account is missing). */
function snapshot(process: number, at: number, balances: (number | undefined)[], node = 'node2', replica = true): Op[] {
  const seen = Object.fromEntries(balances.flatMap((b, i) => (b === undefined ? [] : [[a(i), b]])));
  return [
    { process, type: 'invoke', f: 'read', value: { source: replica ? 'replica' : 'primary' }, time: at * MS },
    { process, type: 'ok', f: 'read', value: { source: replica ? 'replica' : 'primary', node, replica, balances: seen }, time: (at + 3) * MS },
  ];
}

/** The final read: the transfers the primary holds (ids, with what they moved) and its balances. */
function finalRead(applied: [id: string, from: number, to: number, amount: number, by: string, timeline: number, atMs: number][], balances: number[]): FinalRead {
  return {
    node: 'node2',
    rows: applied.map(([id, from, to, amount, by, timeline, atMs]) => ({ id, from: a(from), to: a(to), amount, committed_by: by, committed_timeline: timeline, committed_at_us: (W0 + atMs) * 1000 })),
    state: { balances: Object.fromEntries(balances.map((b, i) => [a(i), b])) },
  };
}

const ev = (type: ClusterEvent['type'], atMs: number, extra: Record<string, unknown>): ClusterEvent => ({ type, time: atMs * MS, wall: W0 + atMs, ...extra });
const failover: ClusterEvent[] = [
  ev('fault', 1000, { kind: 'kill', node: 'node1', primary: 'node1', standby: 'node2' }),
  ev('promotion-observed', 2000, { node: 'node2', timeline: 2 }),
  ev('endpoint', 2100, { action: 'move', node: 'node2' }),
];

/** t1 and t2 before the fault on node1, t3 after it on node2; snapshots from both sides. */
const history = [
  ...transfer(0, 't1', 0, 1, 4, 100, 'ok'),
  ...snapshot(1, 200, [6, 14, 10], 'node1', false),
  ...transfer(0, 't2', 1, 2, 3, 500, 'ok'),
  // A replica that has not seen t2 yet: stale, and whole.
  ...snapshot(1, 600, [6, 14, 10]),
  ...transfer(0, 't3', 2, 0, 5, 2500, 'ok', 'node2', 2),
  ...snapshot(1, 2600, [11, 11, 8], 'node2', false),
];
const applied: Parameters<typeof finalRead>[0] = [
  ['t1', 0, 1, 4, 'node1', 1, 105],
  ['t2', 1, 2, 3, 'node1', 1, 505],
  ['t3', 2, 0, 5, 'node2', 2, 2505],
];

const run = (h: Op[], read: FinalRead | null): CheckResult => check({ history: h, events: failover, finalRead: read, workload });
const failed = (r: CheckResult) => r.checks.filter((c) => !c.ok).map((c) => c.id);

describe('the bank checker', () => {
  it('passes transfers that all survived, whole snapshots (a stale one included) and balances that add up', () => {
    const r = run(history, finalRead(applied, [11, 11, 8]));
    expect(failed(r)).toEqual([]);
    expect(r.verdict).toBe('PASS');
    expect(r.checks.map((c) => c.id).slice(-3)).toEqual(['bank-snapshots-whole', 'bank-no-negative-balance', 'bank-final-balances']);
    // The transfers are the run's writes: counted, timed and stamped as writes are.
    expect(r.counts.write.ok).toBe(3);
    expect(r.writeUnavailability).toEqual({ ms: 2000, lastOkBeforeMs: 510, firstOkAfterMs: 2510 });
    expect(r.workload).toMatchObject({ name: 'bank', mutation: 'transfer', total: 30, applied: 3, snapshots: 3, fromReplicas: 1, torn: [] });
  });

  it('lists an acknowledged transfer the primary does not hold as lost, with what it moved, and FAILs', () => {
    // t2 was acknowledged by node1 and never reached node2: the balances on node2 do not have it either.
    const r = run(history, finalRead([applied[0]!, applied[2]!], [11, 14, 5]));
    expect(failed(r)).toEqual(['lost-within-budget']);
    expect(r.lost.map((l) => [l.id, l.committedBy, l.committedTimeline])).toEqual([['t2', 'node1', 1]]);
    expect(r.workload?.lostTransfers).toEqual([{ id: 't2', from: 'a1', to: 'a2', amount: 3, committedBy: 'node1', committedTimeline: 1 }]);
    expect(r.workload?.lines.join('\n')).toContain('1 acknowledged transfers lost, moving 3 in all');
  });

  it('FAILs a torn snapshot (a total that is not the fixed one, or an account missing), from a replica too', () => {
    const torn = [...history, ...snapshot(2, 2700, [11, 11, 3]), ...snapshot(3, 2800, [11, 11, undefined], 'node3')];
    const r = run(torn, finalRead(applied, [11, 11, 8]));
    expect(failed(r)).toEqual(['bank-snapshots-whole']);
    expect(r.workload?.torn).toEqual([
      { atMs: 2703, node: 'node2', replica: true, accounts: 3, total: 25 },
      { atMs: 2803, node: 'node3', replica: true, accounts: 2, total: 22 },
    ]);
  });

  it('FAILs a negative balance, in a snapshot or at the end', () => {
    const r = run([...history, ...snapshot(2, 2700, [-1, 23, 8])], finalRead(applied, [11, 11, 8]));
    expect(failed(r)).toEqual(['bank-no-negative-balance']);
    expect(r.checks.find((c) => c.id === 'bank-no-negative-balance')?.detail).toBe('a0 at -1 (2703 ms, from node2)');
  });

  it('FAILs balances that the transfers do not explain: a transfer applied twice to the money, or money moved without one', () => {
    // t3 moved 5 from a2 to a0 twice in the balances, though one transfer row records it.
    const r = run(history, finalRead(applied, [16, 11, 3]));
    expect(failed(r)).toEqual(['bank-final-balances']);
    expect(r.workload?.mismatched).toEqual([
      { account: 'a0', expected: 11, found: 16 },
      { account: 'a2', expected: 8, found: 3 },
    ]);
  });

  it('FAILs a transfer answered "failed" that was applied anyway, and accepts an unknown one applied once', () => {
    const h = [
      ...transfer(0, 't1', 0, 1, 4, 100, 'ok'),
      ...transfer(1, 't2', 1, 2, 3, 500, 'fail'),
      ...transfer(2, 't3', 2, 0, 5, 2500, 'info'),
      ...transfer(0, 't4', 0, 2, 1, 2600, 'ok', 'node2', 2),
    ];
    const read = finalRead(
      [
        ['t1', 0, 1, 4, 'node1', 1, 105],
        ['t2', 1, 2, 3, 'node1', 1, 505],
        ['t3', 2, 0, 5, 'node2', 2, 2505],
        ['t4', 0, 2, 1, 'node2', 2, 2605],
      ],
      [10, 11, 9],
    );
    const r = run([...h, ...snapshot(3, 2700, [10, 11, 9], 'node2', false)], read);
    expect(failed(r)).toEqual(['no-failed-write-present']);
    expect(r.contradicted.map((c) => c.id)).toEqual(['t2']);
    expect(r.recovered.map((c) => c.id)).toEqual(['t3']);
  });

  it('cannot pass without a final read or without a single snapshot', () => {
    expect(failed(run(history, null))).toEqual(expect.arrayContaining(['lost-within-budget', 'bank-final-balances']));
    const noSnapshots = history.filter((op) => op.f !== 'read');
    expect(failed(run(noSnapshots, finalRead(applied, [11, 11, 8])))).toEqual(['bank-snapshots-whole']);
  });

  it("rejects an operation that is not the bank's, and a transfer without an id, as a malformed history", () => {
    expect(() => run([...history, { process: 9, type: 'invoke', f: 'write', value: { id: 'x' }, time: 1 }], null)).toThrow(MalformedHistoryError);
    expect(() => run([...history, { process: 9, type: 'invoke', f: 'write', value: { id: 'x' }, time: 1 }], null)).toThrow('f must be transfer or read (the bank workload\'s), not "write"');
    expect(() => run([{ process: 9, type: 'invoke', f: 'transfer', value: { from: a(0) }, time: 1 }], null)).toThrow('a transfer must have a value with an id');
  });
});
