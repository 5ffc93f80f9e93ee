import { describe, expect, it } from 'vitest';
import { lsnOf, SessionPositions, type NodePosition } from './session-positions.ts';

const standby = (lsn: string, timeline: number | null = 1, streaming = true): NodePosition => ({ recovery: true, lsn: lsnOf(lsn), timeline, streaming });
const primary = (lsn: string, timeline = 1): NodePosition => ({ recovery: false, lsn: lsnOf(lsn), timeline, streaming: false });

describe('lsnOf', () => {
  it('reads PostgreSQL positions as bytes, and refuses anything else', () => {
    expect(lsnOf('0/1501250')).toBe(0x1501250n);
    expect(lsnOf('16/B374D848')).toBe((0x16n << 32n) + 0xb374d848n);
    expect(lsnOf('16/B374D848') > lsnOf('15/FFFFFFFF')).toBe(true);
    for (const bad of ['', '1', '0/', 'G/1', '0/1/2', '123456789/0']) expect(() => lsnOf(bad)).toThrow('not a WAL position');
  });
});

describe('SessionPositions', () => {
  it("refuses a standby that has not replayed the session's own write, and takes one that has", () => {
    const p = new SessionPositions();
    p.raise('s1', lsnOf('0/3000'));
    expect(p.refusal('s1', standby('0/2FFF'))).toBe('behind');
    expect(p.refusal('s1', standby('0/3000'))).toBeUndefined();
    // Another session never wrote: any standby does.
    expect(p.refusal('s2', standby('0/1000'))).toBeUndefined();
    expect(p.refusal(undefined, standby('0/1000'))).toBeUndefined();
  });

  it('keeps reads monotonic: what one answer showed, the next must have', () => {
    const p = new SessionPositions();
    p.used('s1', standby('0/5000'));
    expect(p.refusal('s1', standby('0/4000'))).toBe('behind');
    // A read on the primary showed everything up to its position.
    p.used('s1', primary('0/9000'));
    expect(p.refusal('s1', standby('0/5000'))).toBe('behind');
    expect(p.refusal('s1', standby('0/9000'))).toBeUndefined();
    // Never lowered.
    p.raise('s1', lsnOf('0/1'));
    expect(p.need('s1')).toBe(0x9000n);
  });

  it('once a newer timeline is seen, refuses a standby on the old one whatever its position', () => {
    const p = new SessionPositions();
    p.sawPrimary({ lsn: lsnOf('0/5000'), timeline: 1 });
    expect(p.refusal('s1', standby('0/9000', 1))).toBeUndefined();
    p.sawPrimary({ lsn: lsnOf('0/6000'), timeline: 2 });
    // node3 replayed past the fork on timeline 1 (fed by a deposed primary still running).
    expect(p.refusal('s1', standby('0/9000', 1))).toBe('old-timeline');
    expect(p.refusal('s1', standby('0/6100', 2))).toBeUndefined();
    // The new primary's answer is used; the deposed primary's, still answering on timeline 1, is not.
    expect(p.refusal('s1', primary('0/1000', 2))).toBeUndefined();
    expect(p.refusal('s1', primary('0/9000', 1))).toBe('old-timeline');
  });

  it("where a standby cannot say its timeline: after a change, only one streaming and past the change's position", () => {
    const p = new SessionPositions();
    p.sawPrimary({ lsn: lsnOf('0/5000'), timeline: 1 });
    // Before any change, not knowing is fine.
    expect(p.refusal('s1', standby('0/4000', null, false))).toBeUndefined();
    p.sawPrimary({ lsn: lsnOf('0/6000'), timeline: 2 });
    expect(p.refusal('s1', standby('0/5F00', null))).toBe('timeline-unknown');
    expect(p.refusal('s1', standby('0/7000', null, false))).toBe('timeline-unknown');
    expect(p.refusal('s1', standby('0/7000', null, true))).toBeUndefined();
  });

  it('learns a newer timeline from a primary answer, never an older one', () => {
    const p = new SessionPositions();
    p.used('s1', primary('0/6000', 2));
    p.used('s1', primary('0/7000', 1));
    p.sawPrimary({ lsn: lsnOf('0/1'), timeline: 1 });
    expect(p.refusal('s2', standby('0/100', 2))).toBeUndefined();
    expect(p.refusal('s2', standby('0/100', 1))).toBe('old-timeline');
    // The first timeline seen is no change: a standby that cannot say its own may serve.
    expect(p.refusal('s2', standby('0/100', null))).toBeUndefined();
  });

  it("sends a session's reads to the primary from its write until the write's position is known", () => {
    const p = new SessionPositions();
    const w = p.wrote('s1');
    expect(p.refusal('s1', standby('F/0'))).toBe('behind');
    p.settle('s1', w, lsnOf('0/3000'));
    expect(p.refusal('s1', standby('0/2000'))).toBe('behind');
    expect(p.refusal('s1', standby('0/3000'))).toBeUndefined();
  });

  it("an earlier write's position does not cover a later write's", () => {
    const p = new SessionPositions();
    const first = p.wrote('s1');
    const second = p.wrote('s1');
    p.settle('s1', first, lsnOf('0/3000'));
    expect(p.refusal('s1', standby('0/3000'))).toBe('behind');
    p.settle('s1', second, lsnOf('0/4000'));
    expect(p.refusal('s1', standby('0/4000'))).toBeUndefined();
  });

  it('a position that could not be asked is settled by a read on the primary that began after the write, not by one that began before', () => {
    const p = new SessionPositions();
    const before = p.writesOf('s1');
    const w = p.wrote('s1');
    p.settle('s1', w, null);
    // This read began before the write was acknowledged: it proves nothing of it.
    p.used('s1', primary('0/2000'), before);
    expect(p.refusal('s1', standby('0/9000'))).toBe('behind');
    p.used('s1', primary('0/5000'), p.writesOf('s1'));
    expect(p.refusal('s1', standby('0/4FFF'))).toBe('behind');
    expect(p.refusal('s1', standby('0/5000'))).toBeUndefined();
  });

  it('forgets the least recently used session beyond its bound', () => {
    const p = new SessionPositions({ maxSessions: 2 });
    p.raise('a', 5n);
    p.raise('b', 5n);
    p.raise('a', 6n);
    p.raise('c', 5n);
    expect([p.need('a'), p.need('b'), p.need('c')]).toEqual([6n, 0n, 5n]);
  });
});
