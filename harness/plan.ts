/**
 * An iteration's phase plan, as data: what the runner does, in order. The runner
 * (harness/iteration.ts) interprets it step by step and knows no other order. A scenario file
 * states it as `plan`, or leaves it to its `hold`, `heal`, `warmupSecs` and `settleSecs` keys
 * (planOf).
 *
 * The grammar:
 *   warm-up, ( [quiet], fault, [hold], heal, [switchback] )+, settle, final-read
 * One fault is the usual plan; a seeded random schedule (harness/schedule.ts) is a plan with many,
 * each healed before the next, with quiet time between them. A fault step may name its own fault
 * (the scenario's otherwise), and its targets are who is primary and standby when it comes.
 */
import type { FaultSpec } from './fault-spec.ts';

export type PlanStep =
  | { step: 'warm-up'; secs: number }
  | { step: 'quiet'; secs: number }
  | { step: 'fault'; fault?: FaultSpec }
  | { step: 'hold'; until: 'promotion' | 'time'; maxSecs: number }
  | { step: 'heal'; restart: boolean }
  | { step: 'switchback' }
  | { step: 'settle'; secs: number }
  | { step: 'final-read' };

export type StepName = PlanStep['step'];

export const STEP_ORDER: readonly StepName[] = ['warm-up', 'quiet', 'fault', 'hold', 'heal', 'switchback', 'settle', 'final-read'];

/** After each step, the steps that may follow it; `required` is the one that must come next when another does not fit. */
const FOLLOWS: Record<StepName | 'start', { next: readonly StepName[]; required?: StepName }> = {
  start: { next: ['warm-up'], required: 'warm-up' },
  'warm-up': { next: ['quiet', 'fault'], required: 'fault' },
  quiet: { next: ['fault'], required: 'fault' },
  fault: { next: ['hold', 'heal'], required: 'heal' },
  hold: { next: ['heal'], required: 'heal' },
  heal: { next: ['switchback', 'quiet', 'fault', 'settle'] },
  switchback: { next: ['quiet', 'fault', 'settle'] },
  settle: { next: ['final-read'], required: 'final-read' },
  'final-read': { next: [] },
};

/** The plan the classic keys describe. */
export function planFromKeys(keys: { warmupSecs: number; hold: { until: 'promotion' | 'time'; maxSecs: number }; heal: { restart: boolean; switchback: boolean }; settleSecs: number }): PlanStep[] {
  return [
    { step: 'warm-up', secs: keys.warmupSecs },
    { step: 'fault' },
    { step: 'hold', until: keys.hold.until, maxSecs: keys.hold.maxSecs },
    { step: 'heal', restart: keys.heal.restart },
    ...(keys.heal.switchback ? [{ step: 'switchback' } as const] : []),
    { step: 'settle', secs: keys.settleSecs },
    { step: 'final-read' },
  ];
}

/** Steps in the order the grammar allows, none of the required ones missing; or what is wrong. */
export function planProblem(steps: readonly StepName[]): string | undefined {
  let at: StepName | 'start' = 'start';
  for (const name of steps) {
    if (!STEP_ORDER.includes(name)) return `unknown step "${name}" (known: ${STEP_ORDER.join(', ')})`;
    const follows: { next: readonly StepName[]; required?: StepName } = FOLLOWS[at];
    if (!follows.next.includes(name)) return follows.required ? `"${follows.required}" is missing before "${name}"` : `"${name}" cannot come after "${at}"`;
    at = name;
  }
  if (at === 'final-read') return undefined;
  return `"${FOLLOWS[at].required ?? 'settle'}" is missing at the end`;
}

/** The plan with the caller's warm-up and settle overrides (tests keep them short). */
export function withOverrides(plan: readonly PlanStep[], o: { warmupMs?: number; settleMs?: number }): PlanStep[] {
  return plan.map((s) =>
    s.step === 'warm-up' && o.warmupMs !== undefined ? { ...s, secs: o.warmupMs / 1000 } : s.step === 'settle' && o.settleMs !== undefined ? { ...s, secs: o.settleMs / 1000 } : s,
  );
}
