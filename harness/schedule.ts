/**
 * Seeded random fault schedules, as Jepsen finds its bugs: faults of several kinds, one after
 * another, with quiet time between them, the workload running throughout, and the whole history
 * checked at the end. The schedule is a pure function of its settings and seed (the same seed
 * gives the same schedule), and it becomes an ordinary phase plan (harness/plan.ts): the runner
 * knows no schedules, only plans.
 *
 * Each fault is healed before the next one comes, and the next one waits for the cluster to be
 * whole again (one primary holding the endpoint, a standby streaming, the witness). A fault hits
 * whoever holds its role when it comes: after a failover, "the primary" is the new one.
 *
 * With `overlap`, a fault the cluster rides out on its own (slow or lossy links, a skewed clock)
 * stays on while the next fault comes, is held and healed, and is healed after it: a failover
 * through a slow network, a promotion on a wrong clock.
 */
import { ConfigError } from '../cluster/index.ts';
import { faultKind, scheduledSpec, SCHEDULE_FAULTS, type FaultSpec, type ScheduleEntry } from './faults/index.ts';
import type { PlanStep } from './plan.ts';
import type { Scenario } from './scenario.ts';
import { seededRandom } from './workloads/workload.ts';

/** The kinds a random schedule draws from: those whose module says how (harness/faults/). */
export { SCHEDULE_FAULTS } from './faults/index.ts';
export type ScheduleFault = string;

export interface ScheduleSettings {
  seed: number;
  faults: readonly ScheduleFault[];
  /** About how long the faults go on, in seconds (the schedule is planned to fill it). */
  forSecs: number;
  /** Quiet time before each fault, and the hold of a fault the cluster rides out, drawn from this range (seconds). */
  intervalSecs: readonly [number, number];
  /** Let a fault the cluster rides out stay on through the next fault (default false: each healed before the next). */
  overlap?: boolean;
}

export interface ScheduledFault {
  kind: ScheduleFault;
  fault: FaultSpec;
  quietSecs: number;
  hold: { until: 'promotion' | 'time'; maxSecs: number } | null;
  restart: boolean;
  /** Stays on through the next fault, and is healed after it. */
  overlapsNext?: boolean;
}

/** The schedule the settings and seed give: always the same for the same ones. */
export function randomSchedule(settings: ScheduleSettings): ScheduledFault[] {
  if (settings.faults.length === 0) throw new ConfigError('a random schedule needs at least one fault kind');
  const random = seededRandom(settings.seed);
  const [low, high] = settings.intervalSecs;
  const draw = () => Math.round((low + random() * (high - low)) * 10) / 10;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const schedule: ScheduledFault[] = [];
  let planned = 0;
  while (schedule.length === 0 || planned < settings.forSecs) {
    const kind = pick(settings.faults);
    const entry: ScheduleEntry = faultKind(kind)!.schedule!;
    const target = pick(entry.roles);
    const quietSecs = draw();
    const holdSecs = draw();
    const hold = entry.hold(target);
    // Drawn only with --overlap, so a seed gives the schedule it always gave without it.
    const overlapDraw = settings.overlap && entry.background ? random() : 1;
    const previous = schedule.at(-1);
    schedule.push({
      kind,
      fault: scheduledSpec(kind, target),
      quietSecs,
      hold: hold === 'promotion' ? { until: 'promotion', maxSecs: 60 } : hold === 'time' ? { until: 'time', maxSecs: holdSecs } : null,
      restart: entry.restart(target),
      // Half of the faults that can, and never one already inside another's overlap.
      ...(overlapDraw < 0.5 && !previous?.overlapsNext ? { overlapsNext: true } : {}),
    });
    planned += quietSecs + entry.estimateSecs(target, holdSecs);
  }
  // The last fault has nothing to overlap.
  const last = schedule.at(-1)!;
  if (last.overlapsNext) delete last.overlapsNext;
  return schedule;
}

/** The schedule as a plan: warm-up, then each fault with its quiet time, hold and heal, then settle and final read. */
export function scheduleToPlan(schedule: readonly ScheduledFault[], warmupSecs = 3, settleSecs = 3): PlanStep[] {
  const steps: PlanStep[] = [{ step: 'warm-up', secs: warmupSecs }];
  // An overlapping fault's heal waits for the next fault's.
  let pendingHeal: PlanStep | undefined;
  for (const s of schedule) {
    steps.push({ step: 'quiet', secs: s.quietSecs }, { step: 'fault', fault: s.fault });
    if (s.hold) steps.push({ step: 'hold', ...s.hold });
    if (s.overlapsNext) {
      pendingHeal = { step: 'heal', restart: s.restart };
      continue;
    }
    steps.push({ step: 'heal', restart: s.restart });
    if (pendingHeal) steps.push(pendingHeal);
    pendingHeal = undefined;
  }
  steps.push({ step: 'settle', secs: settleSecs }, { step: 'final-read' });
  return steps;
}

/** A scenario that runs the schedule: the whole history must hold, whichever way each fault went. */
export function scheduleScenario(settings: ScheduleSettings, schedule = randomSchedule(settings)): Scenario {
  const counts = new Map<string, number>();
  for (const s of schedule) counts.set(s.kind, (counts.get(s.kind) ?? 0) + 1);
  const plan = scheduleToPlan(schedule);
  const overlaps = schedule.filter((s) => s.overlapsNext).length;
  return {
    name: `random-${settings.seed}`,
    description: `a random schedule (seed ${settings.seed}) of ${schedule.length} faults over about ${settings.forSecs} s: ${[...counts].map(([k, n]) => `${k} ×${n}`).join(', ')}${overlaps ? `; ${overlaps} of them on through the next` : ''}`,
    plan,
    fault: schedule[0]!.fault,
    hold: schedule[0]!.hold ?? { until: 'time', maxSecs: 0 },
    heal: { restart: schedule[0]!.restart, switchback: false },
    warmupSecs: 3,
    settleSecs: 3,
    workload: { concurrency: 4, readFraction: 0.3, pauseMs: 20, analyticsFraction: 0.2 },
    // Each fault on its own has the budget of the slowest built-in scenario (a partition).
    expect: { promotion: 'either', primary: 'either', maxWriteDownSecs: 60 },
  };
}

/** "5m", "90s", "300": seconds. */
export function parseDuration(flag: string, raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  if (!m) throw new ConfigError(`--${flag} must be a duration like 90s, 5m or 1h, not "${raw}"`);
  const value = Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? 's']!;
  return value;
}

/** "10-30s": a range of seconds. */
export function parseInterval(raw: string): [number, number] {
  const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?(ms|s|m)?$/.exec(raw.trim());
  if (!m) throw new ConfigError(`--interval must be a range like 10-30s, not "${raw}"`);
  const unit = { ms: 0.001, s: 1, m: 60 }[m[3] ?? 's']!;
  const low = Number(m[1]) * unit;
  const high = Number(m[2] ?? m[1]) * unit;
  if (low < 1 || high > 600 || low > high) throw new ConfigError(`--interval must lie between 1 s and 600 s, its low end first, not "${raw}"`);
  return [low, high];
}

/** --faults kill,freeze,...: the kinds a random schedule draws from. */
export function parseFaultKinds(raw: string): ScheduleFault[] {
  const kinds = raw.split(',').map((k) => k.trim()).filter(Boolean);
  if (kinds.length === 0) throw new ConfigError('--faults needs at least one fault kind');
  for (const k of kinds) {
    if (!SCHEDULE_FAULTS.includes(k)) throw new ConfigError(`--faults: "${k}" is not a fault a random schedule can draw`, { hint: `it takes: ${SCHEDULE_FAULTS.join(', ')}` });
  }
  return [...new Set(kinds)] as ScheduleFault[];
}
