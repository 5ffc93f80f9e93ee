import { describe, expect, it } from 'vitest';
import { TIMING_PROFILES } from '../../cluster/index.ts';
import { resolveScenario } from '../scenario.ts';
import { fastestRidingOut, stallPlot, stallScenario, stallTable, windowTable, type StallRun, type TuningProfile } from './tuning.ts';

const profiles: TuningProfile[] = [
  { name: 'repmgr-defaults', timing: TIMING_PROFILES['repmgr-defaults'] },
  { name: 'fast', timing: TIMING_PROFILES.fast },
];
const run = (profile: string, stallSecs: number, failedOver: boolean, writeGapMs = stallSecs * 1000): StallRun => ({ profile, stallSecs, verdict: 'PASS', failedOver, writeGapMs });

describe('the detection-tuning study', () => {
  it('a stall is a freeze of the primary held for its length, judged failover or not', () => {
    const s = stallScenario(resolveScenario('freeze-primary'), 2);
    expect(s).toMatchObject({ name: 'stall-2s', fault: { type: 'freeze', target: 'primary' }, hold: { until: 'time', maxSecs: 2 }, heal: { restart: false }, expect: { promotion: 'either', primary: 'either' } });
    expect(s.plan).toBeUndefined();
  });

  it('names, per stall, the fastest profile that never failed over on it', () => {
    const runs = [run('fast', 1, false), run('fast', 1, false), run('fast', 5, true), run('fast', 5, false), run('repmgr-defaults', 1, false), run('repmgr-defaults', 5, false), run('repmgr-defaults', 20, true)];
    // By their kill windows: fast first.
    const windows = new Map([['fast', 1900], ['repmgr-defaults', 62_000]]);
    expect(fastestRidingOut(runs, profiles, [1, 5, 20], windows)).toEqual([
      { stallSecs: 1, profile: 'fast' },
      { stallSecs: 5, profile: 'repmgr-defaults' },
      { stallSecs: 20, profile: null },
    ]);
    // Without measured windows, by each profile's detection budget: fast is still first.
    expect(fastestRidingOut(runs, profiles, [1], new Map())[0]).toEqual({ stallSecs: 1, profile: 'fast' });
  });

  it('tabulates failovers of runs and the writes stopped, per profile and stall', () => {
    const table = stallTable([run('fast', 2, false, 2100), run('fast', 2, true, 9000), run('fast', 2, false, 2300)], profiles, [2]);
    expect(table.split('\n')).toEqual([
      '| profile | stall | failed over | writes stopped, median | worst | PASS |',
      '| --- | --- | --- | --- | --- | --- |',
      '| fast | 2 s | 1 of 3 | 2.30 s | 9.00 s | 3 of 3 |',
    ]);
    expect(windowTable([{ profile: 'fast', fault: 'kill', verdict: 'PASS', writeDownMs: 1800 }], profiles).split('\n')[3]).toBe('| fast | 1 s, 2, 0 s | 1.80 s (1.80 s) | n/a (n/a) |');
  });

  it('draws one line a profile, each point the share that failed over', () => {
    const svg = stallPlot([run('fast', 1, false), run('fast', 5, true), run('repmgr-defaults', 1, false), run('repmgr-defaults', 5, false)], profiles, [1, 5]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(4);
    // fast failed over at 5 s: its second point is at the top (100%), repmgr-defaults' at the bottom (0%).
    expect(svg).toContain('<path d="M126.8,256.0 L410.0,256.0" fill="none" stroke="#1f77b4"');
    expect(svg).toContain('<path d="M126.8,256.0 L410.0,20.0" fill="none" stroke="#d62728"');
    expect(svg).toContain('font-size="12">fast</text>');
  });
});
