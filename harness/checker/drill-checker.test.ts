import { describe, expect, it } from 'vitest';
import type { ClusterEvent, Op } from '../op.ts';
import { checkDrill, type FinalRow } from './drill-checker.ts';

const MS = 1e6;
const W0 = 1_800_000_000_000; // wall clock at drill start

/** A write invoked at `at` ms and completed `took` ms later. */
function write(process: number, id: string, at: number, took: number, type: Op['type'], by = 'node1', timeline = 1): Op[] {
  const value = { id, name: id };
  const completion: Op =
    type === 'ok'
      ? { process, type, f: 'write', value: { ...value, committed_by: by, committed_timeline: timeline, committed_at: '' }, time: (at + took) * MS }
      : { process, type, f: 'write', value, time: (at + took) * MS, error: type === 'fail' ? 'ENOTFOUND' : 'ECONNRESET' };
  return [{ process, type: 'invoke', f: 'write', value, time: at * MS }, completion];
}

const ev = (type: ClusterEvent['type'], atMs: number, extra: Record<string, unknown>): ClusterEvent => ({ type, time: atMs * MS, wall: W0 + atMs, ...extra });

const failoverEvents: ClusterEvent[] = [
  ev('fault', 1000, { kind: 'kill-primary', node: 'node1' }),
  ev('promotion-observed', 2600, { node: 'node2', timeline: 2 }),
  ev('endpoint', 2700, { action: 'move', node: 'node2' }),
  { type: 'repmgr', event: 'standby_promote', node: 'node2', wall: W0 + 3500 },
];

const rows = (...ids: [string, string, number][]): FinalRow[] => ids.map(([id, by, tl]) => ({ id, committed_by: by, committed_timeline: tl }));

describe('checkDrill', () => {
  it('passes a failover where every acknowledged write survived and writes resumed on the new primary', () => {
    const history = [...write(0, 'a', 100, 5, 'ok'), ...write(1, 'b', 900, 5, 'ok'), ...write(0, 'c', 1001, 2000, 'fail'), ...write(1, 'd', 3000, 10, 'ok', 'node2', 2)];
    const result = checkDrill({ history, events: failoverEvents, finalRead: { node: 'node2', rows: rows(['a', 'node1', 1], ['b', 'node1', 1], ['d', 'node2', 2]) } });

    expect(result.verdict).toBe('PASS');
    expect(result.lost).toEqual([]);
    expect(result.counts.write).toEqual({ ok: 3, fail: 1, info: 0 });
    expect(result.promotion).toEqual({ node: 'node2', reportedMs: 2500, observedMs: 1600 });
    expect(result.endpointMove).toEqual({ node: 'node2', ms: 1700 });
    // last ok before the fault completed at 905 ms, first ok after it at 3010 ms
    expect(result.writeUnavailability).toEqual({ ms: 2105, lastOkBeforeMs: 905, firstOkAfterMs: 3010 });
    expect(result.writesAfterFault).toEqual({ ok: 1, onNewPrimary: 1 });
  });

  it('fails and lists an acknowledged write that is missing from the new primary', () => {
    const history = [...write(0, 'a', 100, 5, 'ok'), ...write(1, 'b', 990, 5, 'ok'), ...write(1, 'd', 3000, 10, 'ok', 'node2', 2)];
    const result = checkDrill({ history, events: failoverEvents, finalRead: { node: 'node2', rows: rows(['a', 'node1', 1], ['d', 'node2', 2]) } });

    expect(result.verdict).toBe('FAIL');
    expect(result.lost).toEqual([{ id: 'b', ackedAtMs: 995, committedBy: 'node1', committedTimeline: 1 }]);
    expect(result.checks.find((c) => !c.ok)?.name).toBe('every acknowledged write is on the new primary');
  });

  it('counts unknown-outcome writes found in the final state as recovered, and failed ones found there as contradicted', () => {
    const history = [...write(0, 'a', 100, 5, 'ok'), ...write(1, 'u', 999, 3000, 'info'), ...write(2, 'f', 999, 3000, 'fail'), ...write(1, 'd', 3000, 10, 'ok', 'node2', 2)];
    const result = checkDrill({
      history,
      events: failoverEvents,
      finalRead: { node: 'node2', rows: rows(['a', 'node1', 1], ['u', 'node1', 1], ['f', 'node1', 1], ['d', 'node2', 2]) },
    });

    expect(result.recovered).toEqual(['u']);
    expect(result.contradicted).toEqual(['f']);
    expect(result.lost).toEqual([]);
  });

  it('fails when no standby was promoted and writes never resumed', () => {
    const history = [...write(0, 'a', 100, 5, 'ok'), ...write(0, 'b', 1500, 5000, 'fail')];
    const result = checkDrill({ history, events: [failoverEvents[0]!], finalRead: null });

    expect(result.verdict).toBe('FAIL');
    expect(result.promotion).toBeNull();
    expect(result.writeUnavailability).toBeNull();
    expect(result.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([
      'a standby was promoted',
      'the endpoint moved to the new primary',
      'writes resumed on the new primary',
      'every acknowledged write is on the new primary',
    ]);
  });

  it('does not count a write acknowledged by the killed node as writes resuming', () => {
    // Completed after the fault, but committed by node1 before it died: not a write on the new primary.
    const history = [...write(0, 'a', 100, 5, 'ok'), ...write(1, 'late', 999, 10, 'ok', 'node1', 1)];
    const result = checkDrill({ history, events: failoverEvents, finalRead: { node: 'node2', rows: rows(['a', 'node1', 1], ['late', 'node1', 1]) } });

    expect(result.writesAfterFault).toEqual({ ok: 1, onNewPrimary: 0 });
    expect(result.writeUnavailability).toBeNull();
    expect(result.verdict).toBe('FAIL');
  });
});
