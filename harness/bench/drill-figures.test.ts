import { describe, expect, it } from 'vitest';
import type { Op } from '../op.ts';
import { writesPerSecBefore } from './drill-figures.ts';

const op = (type: Op['type'], f: Op['f'], ms: number): Op => ({ process: 0, type, f, value: null, time: ms * 1e6 });

describe('writes per second before the fault', () => {
  it('counts the writes acknowledged from the first invocation to the fault, not reads, failures or what came after', () => {
    const ops = [op('invoke', 'write', 1000), op('ok', 'write', 1500), op('ok', 'read', 1600), op('fail', 'write', 2000), op('ok', 'write', 2900), op('ok', 'write', 3100)];
    // Two acknowledged writes in the 2 s from 1 s to the fault at 3 s.
    expect(writesPerSecBefore(ops, 3000)).toBe(1);
  });

  it('has none without an invocation before the fault', () => {
    expect(writesPerSecBefore([], 3000)).toBeNull();
    expect(writesPerSecBefore([op('invoke', 'write', 4000)], 3000)).toBeNull();
  });
});
