import { describe, expect, it } from 'vitest';
import { ProgressRenderer, progressMode } from './progress.ts';

function capture() {
  const chunks: string[] = [];
  return { out: { write: (s: string) => chunks.push(s) }, text: () => chunks.join('') };
}

const counts = { write: { ok: 12, fail: 1, info: 2 }, read: { ok: 5, fail: 0, info: 0 } };

describe('live progress', () => {
  it('picks tty only on an interactive terminal outside CI', () => {
    expect(progressMode({ isTTY: true }, {}, false)).toBe('tty');
    expect(progressMode({ isTTY: true }, { CI: 'true' }, false)).toBe('plain');
    expect(progressMode({ isTTY: false }, {}, false)).toBe('plain');
    expect(progressMode({ isTTY: true }, {}, true)).toBe('json');
  });

  it('plain: step lines with the time and the counts so far, no escape codes', () => {
    let now = 1000;
    const c = capture();
    const p = new ProgressRenderer(c.out, 'plain', () => now);
    p.step('warming up', 'warm-up');
    now = 4200;
    p.counts(counts);
    p.step('fault: kill', 'fault');
    p.end();
    expect(c.text()).toBe('[   0.0s] warming up\n[   3.2s] fault: kill  (writes 12 ok, 1 failed, 2 unknown; reads 5 ok, 0 failed, 0 unknown)\n');
  });

  it('tty: a status line with the phase, its duration and the counts, cleared before each step line and at the end', () => {
    let now = 0;
    const c = capture();
    const p = new ProgressRenderer(c.out, 'tty', () => now);
    p.step('fault: kill', 'fault');
    now = 1500;
    p.counts(counts);
    now = 2000;
    p.step('waiting for repmgrd', 'promotion');
    p.end();
    const text = c.text();
    expect(text).toContain('\r\x1b[2K  fault for 1.5s · writes 12 ok, 1 failed, 2 unknown');
    expect(text).toContain('\r\x1b[2K[   2.0s] waiting for repmgrd\n\r\x1b[2K  promotion for 0.0s');
    expect(text.endsWith('\r\x1b[2K')).toBe(true);
  });

  it("once the drill's clock runs, each line also gives t: the time on the drill's clock, report.html's axis", () => {
    let now = 1000;
    const c = capture();
    const p = new ProgressRenderer(c.out, 'plain', () => now);
    p.step('bringing up the cluster', 'cluster');
    now = 10_000;
    p.drillClock(10_000);
    p.step('warming up', 'warm-up');
    now = 13_210;
    p.step('fault: kill', 'fault');
    expect(c.text()).toBe('[   0.0s] bringing up the cluster\n[   9.0s t=0.00s] warming up\n[  12.2s t=3.21s] fault: kill\n');
    const j = capture();
    const q = new ProgressRenderer(j.out, 'json', () => now);
    q.drillClock(now - 3210);
    q.step('fault: kill', 'fault');
    expect(JSON.parse(j.text())).toEqual({ atMs: 0, tMs: 3210, phase: 'fault', step: 'fault: kill' });
  });

  it('json: one parseable object per line', () => {
    let now = 0;
    const c = capture();
    const p = new ProgressRenderer(c.out, 'json', () => now);
    p.step('fault: kill', 'fault');
    now = 700;
    p.counts(counts);
    const lines = c.text().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([{ atMs: 0, phase: 'fault', step: 'fault: kill' }, { atMs: 700, counts }]);
  });
});
