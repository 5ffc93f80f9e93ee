import { describe, expect, it } from 'vitest';
import { settledLookup, writeGapMs } from './front-probe.ts';

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

describe('when the endpoint name settled, from the loop\'s own look-ups', () => {
  const look = (at: number, ...addresses: string[]) => ({ at, addresses });

  it('is the first look from which on it gave the new address alone', () => {
    const lookups = [look(900, '10.0.0.11'), look(1200, '10.0.0.11'), look(2100, '10.0.0.11', '10.0.0.12'), look(2300, '10.0.0.12'), look(2500, '10.0.0.12')];
    expect(settledLookup(lookups, 1000, '10.0.0.11')).toEqual({ at: 2300, address: '10.0.0.12' });
  });
  it('is not fooled by a look that gave the new address once, before it flapped back', () => {
    const lookups = [look(1500, '10.0.0.12'), look(1700, ''), look(1900), look(2300, '10.0.0.12'), look(2400, '10.0.0.12')];
    expect(settledLookup(lookups, 1000, '10.0.0.11')).toEqual({ at: 2300, address: '10.0.0.12' });
  });
  it('is undefined while the name still leads to the killed node, or to two', () => {
    expect(settledLookup([look(1500, '10.0.0.12'), look(1700, '10.0.0.11')], 1000, '10.0.0.11')).toBeUndefined();
    expect(settledLookup([look(1500, '10.0.0.11', '10.0.0.12')], 1000, '10.0.0.11')).toBeUndefined();
    expect(settledLookup([look(900, '10.0.0.12')], 1000, '10.0.0.11')).toBeUndefined();
  });
});
