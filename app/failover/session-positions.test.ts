import { describe, expect, it } from 'vitest';
import { lsnOf, SessionPositions, UNKNOWN, type NodePosition } from './session-positions.ts';

/** A standby's answer: replayed to `lsn` before the read and `after` after it; its received timeline if its role may say, and the timeline its control data proves. */
const standby = (lsn: string, timeline: number | null = 1, atLeast = timeline ?? 1, after = lsn): NodePosition => ({ recovery: true, lsn: lsnOf(lsn), seenUpTo: lsnOf(after), timeline, timelineAtLeast: atLeast });
const primary = (lsn: string, timeline = 1, after = lsn): NodePosition => ({ recovery: false, lsn: lsnOf(lsn), seenUpTo: lsnOf(after), timeline, timelineAtLeast: timeline });
const at = (lsn: string, timeline = 1) => ({ lsn: lsnOf(lsn), timeline });

/** A session that wrote once, its write's position settled at `lsn`. */
function wroteAt(p: SessionPositions, session: string, lsn: string, timeline = 1): void {
  p.settle(session, p.wrote(session, timeline), at(lsn, timeline));
}

describe('lsnOf', () => {
  it('reads PostgreSQL positions as bytes, and refuses anything else', () => {
    expect(lsnOf('0/1501250')).toBe(0x1501250n);
    expect(lsnOf('16/B374D848')).toBe((0x16n << 32n) + 0xb374d848n);
    expect(lsnOf('16/B374D848') > lsnOf('15/FFFFFFFF')).toBe(true);
    for (const bad of ['', '1', '0/', 'G/1', '0/1/2', '123456789/0']) expect(() => lsnOf(bad)).toThrow('not a WAL position');
  });
});

describe('SessionPositions', () => {
  it("refuses a standby that had not replayed the session's own write when the read began, and takes one that had", () => {
    const p = new SessionPositions();
    wroteAt(p, 's1', '0/3000');
    expect(p.refusal('s1', standby('0/2FFF', 1, 1, '0/3100'))).toBe('behind');
    expect(p.refusal('s1', standby('0/3000'))).toBeUndefined();
    // Another session never wrote: any standby does.
    expect(p.refusal('s2', standby('0/1000'))).toBeUndefined();
    expect(p.refusal(undefined, standby('0/1000'))).toBeUndefined();
  });

  it('keeps reads monotonic: what one answer may have shown (its position after the read), the next must have', () => {
    const p = new SessionPositions();
    p.used('s1', standby('0/4000', 1, 1, '0/5000'));
    expect(p.refusal('s1', standby('0/4FFF'))).toBe('behind');
    // A read on the primary may have shown everything up to its position after the read.
    p.used('s1', primary('0/8000', 1, '0/9000'));
    expect(p.refusal('s1', standby('0/8FFF'))).toBe('behind');
    expect(p.refusal('s1', standby('0/9000'))).toBeUndefined();
    // Never lowered.
    p.used('s1', standby('0/1', 1, 1, '0/1'));
    expect(p.need('s1')).toBe(0x9000n);
  });

  it("sends a session's reads to the primary from its write until the write's position is known", () => {
    const p = new SessionPositions();
    const w = p.wrote('s1', 1);
    expect(p.need('s1')).toBe(UNKNOWN);
    expect(p.refusal('s1', standby('F/0'))).toBe('behind');
    // The primary is where such a session reads: never refused for it.
    expect(p.refusal('s1', primary('0/1000'))).toBeUndefined();
    p.settle('s1', w, at('0/3000'));
    expect(p.refusal('s1', standby('0/2000'))).toBe('behind');
    expect(p.refusal('s1', standby('0/3000'))).toBeUndefined();
  });

  it("an earlier write's position does not cover a later write's", () => {
    const p = new SessionPositions();
    const first = p.wrote('s1', 1);
    const second = p.wrote('s1', 1);
    p.settle('s1', first, at('0/3000'));
    expect(p.refusal('s1', standby('0/3000'))).toBe('behind');
    p.settle('s1', second, at('0/4000'));
    expect(p.refusal('s1', standby('0/4000'))).toBeUndefined();
  });

  it('a position that could not be asked is settled by a read on the primary that began after the write, not by one that began before', () => {
    const p = new SessionPositions();
    const before = p.writesOf('s1');
    const w = p.wrote('s1', 1);
    p.settle('s1', w, null);
    // This read began before the write was acknowledged: it proves nothing of it.
    p.used('s1', primary('0/2000'), before);
    expect(p.refusal('s1', standby('0/9000'))).toBe('behind');
    p.used('s1', primary('0/5000'), p.writesOf('s1'));
    expect(p.refusal('s1', standby('0/4FFF'))).toBe('behind');
    expect(p.refusal('s1', standby('0/5000'))).toBeUndefined();
  });

  it("refuses the deposed primary's answer: on an older timeline, or behind what the session needs", () => {
    const p = new SessionPositions();
    wroteAt(p, 's1', '0/6000', 2);
    expect(p.refusal('s1', primary('0/9000', 1))).toBe('old-timeline');
    expect(p.refusal('s1', primary('0/6100', 2))).toBeUndefined();
    // A session that never saw timeline 2 itself: the node's position says it is behind.
    const q = new SessionPositions();
    q.used('s2', primary('0/7000', 1));
    expect(q.refusal('s2', primary('0/6000', 1))).toBe('behind');
  });

  it('learns a newer timeline from a write the moment it is acknowledged, before its position is known', () => {
    const p = new SessionPositions();
    wroteAt(p, 's1', '0/5000', 1);
    p.wrote('s2', 2);
    // s1 needs 0/5000, which node3 passed on timeline 1, fed by a deposed primary.
    expect(p.refusal('s1', standby('0/9000', 1))).toBe('old-timeline');
  });

  it("never takes a write's position from a node on an older timeline than the newest seen", () => {
    const p = new SessionPositions();
    const w = p.wrote('s1', 2);
    p.settle('s1', w, at('0/2000', 1));
    expect(p.need('s1')).toBe(UNKNOWN);
  });

  it('where a standby cannot say the timeline it receives, takes it only once its control data shows the newest', () => {
    const p = new SessionPositions();
    // Before any timeline is known, not knowing is fine.
    expect(p.refusal('s1', standby('0/4000', null, 1))).toBeUndefined();
    wroteAt(p, 's9', '0/5000', 1);
    expect(p.refusal('s1', standby('0/4000', null, 1))).toBeUndefined();
    p.sawPrimary(at('0/6000', 2));
    expect(p.refusal('s1', standby('0/9000', null, 1))).toBe('timeline-unknown');
    expect(p.refusal('s1', standby('0/9000', null, 2))).toBeUndefined();
    // A standby that says it receives timeline 2 shows it exists.
    const q = new SessionPositions();
    q.used('s1', standby('0/100', 2));
    expect(q.refusal('s1', standby('0/100', 1))).toBe('old-timeline');
  });

  it('keeps what a forgotten session needed as a floor for every session it does not remember', () => {
    const p = new SessionPositions({ maxSessions: 2 });
    wroteAt(p, 'a', '0/5000');
    wroteAt(p, 'b', '0/6000');
    wroteAt(p, 'a', '0/7000');
    // c pushes out b, the least recently used: b, if it comes back, needs what it needed.
    wroteAt(p, 'c', '0/5500');
    expect([p.need('a'), p.need('b'), p.need('c')]).toEqual([0x7000n, 0x6000n, 0x5500n]);
    expect(p.refusal('b', standby('0/5FFF'))).toBe('behind');
    expect(p.need('someone-new')).toBe(0x6000n);
  });
});
