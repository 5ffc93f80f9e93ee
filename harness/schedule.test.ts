import { describe, expect, it } from 'vitest';
import { planProblem } from './plan.ts';
import { parseDuration, parseFaultKinds, parseInterval, randomSchedule, scheduleScenario, scheduleToPlan, SCHEDULE_FAULTS } from './schedule.ts';

const settings = { seed: 42, faults: ['kill', 'freeze', 'partition', 'latency', 'loss', 'restart', 'switchover'] as const, forSecs: 300, intervalSecs: [10, 30] as const };

describe('random fault schedules', () => {
  it('the same seed gives the same schedule; another seed another one', () => {
    const a = randomSchedule(settings);
    const b = randomSchedule({ ...settings, faults: [...settings.faults] });
    expect(b).toEqual(a);
    expect(randomSchedule({ ...settings, seed: 43 })).not.toEqual(a);
    // And the scenario built on it is the same, plan and all.
    expect(scheduleScenario(settings)).toEqual(scheduleScenario({ ...settings }));
  });

  it('five minutes of 10-30 s intervals: faults of at least five kinds, each on a role it can hit, quiet times in the range', () => {
    const schedule = randomSchedule(settings);
    expect(schedule.length).toBeGreaterThanOrEqual(6);
    expect(new Set(schedule.map((s) => s.kind)).size).toBeGreaterThanOrEqual(5);
    for (const s of schedule) {
      expect(settings.faults).toContain(s.kind);
      expect(s.fault.type).toBe(s.kind);
      expect(s.quietSecs).toBeGreaterThanOrEqual(10);
      expect(s.quietSecs).toBeLessThanOrEqual(30);
      if (s.kind === 'switchover') expect(s.fault.target).toBe('standby');
      if (s.kind === 'restart') expect(s.fault.target).toBe('primary');
      // A primary that dies is waited on until a standby takes over, and restarted to rejoin.
      if ((s.kind === 'kill' || s.kind === 'freeze' || s.kind === 'partition') && s.fault.target === 'primary') {
        expect(s.hold).toEqual({ until: 'promotion', maxSecs: 60 });
        expect(s.restart).toBe(true);
      }
      if (s.kind === 'latency' || s.kind === 'loss') expect(s.hold?.until).toBe('time');
    }
  });

  it('becomes a plan the runner takes: warm-up, then each fault with its quiet time, hold and heal, then settle and final read', () => {
    const schedule = randomSchedule({ ...settings, forSecs: 60 });
    const plan = scheduleToPlan(schedule);
    expect(planProblem(plan.map((s) => s.step))).toBeUndefined();
    expect(plan.filter((s) => s.step === 'fault')).toHaveLength(schedule.length);
    expect(plan[0]).toEqual({ step: 'warm-up', secs: 3 });
    expect(plan.at(-1)).toEqual({ step: 'final-read' });
    const scenario = scheduleScenario({ ...settings, forSecs: 60 });
    expect(scenario.name).toBe('random-42');
    expect(scenario.expect).toMatchObject({ promotion: 'either', primary: 'either' });
    expect(scenario.description).toContain('seed 42');
  });

  it('without --overlap a seed gives the schedule it always gave (seed 42, as docs/benchmarks.md ran it)', () => {
    expect(randomSchedule(settings).map((s) => `${s.kind} ${s.fault.target}`)).toEqual([
      'loss primary', 'freeze standby', 'switchover standby', 'restart primary', 'loss standby', 'restart primary', 'freeze primary', 'latency primary', 'latency standby',
    ]);
  });

  it('--overlap: a fault the cluster rides out stays on through the next one, healed after it; never three at once', () => {
    const overlapping = { ...settings, faults: ['kill', 'freeze', 'latency', 'loss', 'clock-skew'] as const, overlap: true, forSecs: 600 };
    const schedule = randomSchedule(overlapping);
    expect(randomSchedule({ ...overlapping })).toEqual(schedule);
    const outer = schedule.filter((s) => s.overlapsNext);
    expect(outer.length).toBeGreaterThan(0);
    for (const [i, s] of schedule.entries()) {
      if (!s.overlapsNext) continue;
      expect(['latency', 'loss', 'clock-skew']).toContain(s.kind);
      expect(schedule[i + 1]).toBeDefined();
      expect(schedule[i + 1]!.overlapsNext).toBeUndefined();
    }
    const plan = scheduleToPlan(schedule);
    expect(planProblem(plan.map((s) => s.step))).toBeUndefined();
    // The first overlap, step by step: the outer fault, the inner one with its hold and heal, then the outer's heal.
    const i = schedule.findIndex((s) => s.overlapsNext);
    const faultSteps = plan.flatMap((s, at) => (s.step === 'fault' ? [at] : []));
    const from = faultSteps[i]!;
    const inner = schedule[i + 1]!;
    expect(plan.slice(from, from + 7).map((s) => s.step)).toEqual(['fault', 'hold', 'quiet', 'fault', ...(inner.hold ? ['hold'] : []), 'heal', 'heal'].slice(0, 7));
    expect(plan[from]).toEqual({ step: 'fault', fault: schedule[i]!.fault });
    // Without --overlap, the same kinds: each healed before the next.
    expect(randomSchedule({ ...overlapping, overlap: false }).some((s) => s.overlapsNext)).toBe(false);
  });

  it('the grammar takes two faults on at once, healed last first, and refuses a third', () => {
    const steps = (...names: string[]) => ['warm-up', ...names, 'settle', 'final-read'] as never[];
    expect(planProblem(steps('fault', 'hold', 'quiet', 'fault', 'hold', 'heal', 'hold', 'heal'))).toBeUndefined();
    expect(planProblem(steps('fault', 'fault', 'fault', 'heal', 'heal', 'heal'))).toBe('at most 2 faults may be on at once: "heal" is missing before the next "fault"');
    expect(planProblem(steps('fault', 'fault', 'heal'))).toBe('"heal" is missing before "settle"');
    expect(planProblem(['warm-up', 'fault', 'fault', 'heal', 'switchback', 'heal', 'settle', 'final-read'] as never[])).toBe('"heal" is missing before "switchback"');
  });

  it('a single kind and a short time still make one fault at least', () => {
    const schedule = randomSchedule({ seed: 1, faults: ['restart'], forSecs: 1, intervalSecs: [1, 1] });
    expect(schedule).toHaveLength(1);
    expect(schedule[0]).toMatchObject({ kind: 'restart', quietSecs: 1, hold: null, restart: false });
  });

  it('reads its settings, and refuses bad ones with one line each', () => {
    expect(parseDuration('for', '5m')).toBe(300);
    expect(parseDuration('for', '90s')).toBe(90);
    expect(parseDuration('for', '120')).toBe(120);
    expect(() => parseDuration('for', 'soon')).toThrow('--for must be a duration like 90s, 5m or 1h, not "soon"');
    expect(parseInterval('10-30s')).toEqual([10, 30]);
    expect(parseInterval('15')).toEqual([15, 15]);
    expect(() => parseInterval('30-10s')).toThrow('its low end first');
    expect(() => parseInterval('0.5-2s')).toThrow('between 1 s and 600 s');
    expect(parseFaultKinds('kill, freeze,kill')).toEqual(['kill', 'freeze']);
    expect(() => parseFaultKinds('kill,meteor')).toThrow('--faults: "meteor" is not a fault a random schedule can draw');
    expect(SCHEDULE_FAULTS).not.toContain('flapping');
  });
});
