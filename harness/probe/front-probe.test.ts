import { describe, expect, it } from 'vitest';
import { writeGapMs } from './front-probe.ts';

const ok = (...ats: number[]) => ats.map((at) => ({ at, ok: true }));

describe('how long writes stopped, from a psql loop', () => {
  it('is the gap across the fault', () => {
    expect(writeGapMs([...ok(900, 950), { at: 1500, ok: false }, ...ok(3000, 3020)], 1000)).toBe(2050);
  });
  it('is not fooled by a commit that landed on the old primary just after the kill was sent', () => {
    expect(writeGapMs(ok(950, 1010, 3500, 3520), 1000)).toBe(2490);
  });
  it('is undefined when nothing committed after the fault', () => {
    expect(writeGapMs(ok(900, 950), 1000)).toBeUndefined();
  });
  it('with no commit before the fault, counts from the fault', () => {
    expect(writeGapMs(ok(2500, 2520), 1000)).toBe(1500);
  });
});
