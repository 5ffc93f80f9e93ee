/** Your own operations recorded as a history, and the drill's checker on it. */
import { describe, expect, it } from 'vitest';
import { check, record } from './record.ts';

/** Wait (on the clock, a few microseconds' work) until the wall clock has moved on by 2 ms. */
function nextMillisecond(): void {
  const now = Date.now();
  while (Date.now() < now + 2);
}

const failed = Object.assign(new Error('duplicate key'), { outcome: 'failed', code: '23505' });
const lostConnection = Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });

describe('record()', () => {
  it('records each call as invoke then ok, fail (outcome failed) or info (any other error), and never throws for it', async () => {
    const history = record();
    expect(await history.write('a', async () => ({ committed_by: 'node1' }))).toBe('ok');
    expect(await history.write('b', () => Promise.reject(failed))).toBe('fail');
    expect(await history.write('c', () => Promise.reject(lostConnection))).toBe('info');
    expect(await history.read('a', async () => true)).toBe(true);
    expect(history.history.map((op) => `${op.process} ${op.type} ${op.f} ${(op.value as { id: string }).id}${op.error ? ` ${op.error}` : ''}`)).toEqual([
      '0 invoke write a',
      '0 ok write a',
      '1 invoke write b',
      '1 fail write b 23505',
      '2 invoke write c',
      '2 info write c ECONNRESET',
      '3 invoke read a',
      '3 ok read a',
    ]);
    expect(history.history[1]!.value).toEqual({ id: 'a', committed_by: 'node1' });
  });

  it('check(): without a fault only the history is judged; a lost write, a failed write present and a value nobody wrote are each a FAIL', async () => {
    const history = record();
    await history.write('a', async () => {});
    await history.write('b', async () => {});
    await history.write('c', () => Promise.reject(failed));
    await history.write('d', () => Promise.reject(lostConnection));

    const good = check(history, { final: ['a', 'b', 'd'] });
    expect(good.checks.map((c) => c.id)).toEqual(['writes-acknowledged', 'lost-within-budget', 'no-failed-write-present', 'no-unexpected-value', 'no-duplicate', 'no-impossible-read', 'no-split-brain']);
    expect(good.verdict).toBe('PASS');
    expect(good.recovered.map((w) => w.id)).toEqual(['d']);

    const bad = check(history, { final: ['a', 'c', 'x'] });
    expect(bad.verdict).toBe('FAIL');
    expect(bad.lost.map((w) => w.id)).toEqual(['b']);
    expect(bad.contradicted.map((w) => w.id)).toEqual(['c']);
    expect(bad.unexpected).toEqual(['x']);
  });

  it('check(): with a fault recorded, the failover is judged too (a promotion nobody saw is a FAIL)', async () => {
    const history = record();
    await history.write('a', async () => ({ committed_by: 'node1' }));
    // The fault in a millisecond of its own (wall clock): a before it, b after it.
    nextMillisecond();
    history.fault({ kind: 'freeze', node: 'node1', at: Date.now(), confirmedAt: Date.now(), detail: 'docker pause', primary: 'node1', standby: 'node2' });
    nextMillisecond();
    await history.write('b', async () => ({ committed_by: 'node1' }));
    const result = check(history, { final: ['a', 'b'], node: 'node1' });
    expect(result.fault).toMatchObject({ kind: 'freeze', node: 'node1' });
    expect(result.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['standby-promoted', 'endpoint-moved', 'writes-resumed', 'final-primary']);
    // Expectations of your own: the frozen node stays primary.
    const stays = check(history, { final: ['a', 'b'], node: 'node1', expect: { promotion: false, finalPrimary: 'primary' } });
    expect(stays.verdict).toBe('PASS');
  });
});
