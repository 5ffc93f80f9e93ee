import { describe, expect, it } from 'vitest';
import { staggered } from './staggered-connect.ts';

/** An attempt that opens (or fails) after `ms`, recording when it started and whether it was closed. */
function attempts(plan: { ms: number; fails?: boolean }[]) {
  const t0 = Date.now();
  const log: { n: number; startedMs: number; closed: boolean }[] = [];
  const open = () => {
    const n = log.length;
    const step = plan[n] ?? plan.at(-1)!;
    log.push({ n, startedMs: Date.now() - t0, closed: false });
    return new Promise<number>((resolve, reject) => setTimeout(() => (step.fails ? reject(new Error(`attempt ${n} failed`)) : resolve(n)), step.ms));
  };
  let onClose: () => void = () => {};
  /** Resolves when an attempt is closed (the loser of a race, once it opens). */
  const closedOne = new Promise<void>((r) => (onClose = r));
  const close = (n: number) => {
    log[n]!.closed = true;
    onClose();
  };
  return { open, close, log, closedOne };
}

describe('staggered', () => {
  it('keeps a quick attempt alone', async () => {
    const a = attempts([{ ms: 5 }]);
    expect(await staggered(a.open, a.close, { staggerMs: 100, most: 3 })).toBe(0);
    expect(a.log).toHaveLength(1);
  });

  it('starts another beside an attempt that hangs, keeps the first to open and closes the slow one when it opens', async () => {
    const a = attempts([{ ms: 400 }, { ms: 10 }]);
    expect(await staggered(a.open, a.close, { staggerMs: 50, most: 3 })).toBe(1);
    expect(a.log).toHaveLength(2);
    expect(a.log[1]!.startedMs).toBeGreaterThanOrEqual(45);
    // The slow one opens at 400 ms and is closed then (the test's own timeout is the deadline).
    await a.closedOne;
    expect(a.log[0]!.closed).toBe(true);
    expect(a.log[1]!.closed).toBe(false);
  });

  it('starts no more than `most`, and lets a slow path that works through', async () => {
    const a = attempts([{ ms: 300 }]);
    expect(await staggered(a.open, a.close, { staggerMs: 40, most: 3 })).toBe(0);
    expect(a.log).toHaveLength(3);
  });

  it('throws once every attempt started has failed, and starts none for a quick failure', async () => {
    const quick = attempts([{ ms: 5, fails: true }]);
    await expect(staggered(quick.open, quick.close, { staggerMs: 100, most: 3 })).rejects.toThrow('attempt 0 failed');
    expect(quick.log).toHaveLength(1);
    const slow = attempts([{ ms: 120, fails: true }, { ms: 150, fails: true }]);
    await expect(staggered(slow.open, slow.close, { staggerMs: 50, most: 2 })).rejects.toThrow('attempt 1 failed');
    expect(slow.log).toHaveLength(2);
  });

  it('with most 1, is the attempt itself', async () => {
    const a = attempts([{ ms: 100 }]);
    expect(await staggered(a.open, a.close, { staggerMs: 10, most: 1 })).toBe(0);
    expect(a.log).toHaveLength(1);
  });
});
