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
 *
 * Faults may overlap, two at most: a fault that is still on (after its fault or hold step) may
 * have another come on top of it, `[quiet], fault, [hold], heal`; each heal heals the fault
 * injected last of those still on, so the outer one is healed after the inner one.
 */
import type { FaultSpec } from './faults/types.ts';

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

/** How many faults may be on at once (an overlap is two). */
export const MAX_OPEN_FAULTS = 2;

/** What may follow `at` while `open` faults are on (not yet healed). */
function follows(at: StepName | 'start', open: number): { next: readonly StepName[]; required?: StepName } {
  if (open === 0) return FOLLOWS[at];
  const another: StepName[] = open < MAX_OPEN_FAULTS ? ['quiet', 'fault'] : [];
  // Still on: another fault may come on top, the outer one may be held on its own, and each is healed.
  if (at === 'fault') return { next: ['hold', 'heal', ...another], required: 'heal' };
  if (at === 'hold') return { next: ['heal', ...another], required: 'heal' };
  if (at === 'heal') return { next: ['hold', 'heal', ...another], required: 'heal' };
  return FOLLOWS[at];
}

/** Steps in the order the grammar allows, none of the required ones missing; or what is wrong. */
export function planProblem(steps: readonly StepName[]): string | undefined {
  let at: StepName | 'start' = 'start';
  let open = 0;
  for (const name of steps) {
    if (!STEP_ORDER.includes(name)) return `unknown step "${name}" (known: ${STEP_ORDER.join(', ')})`;
    const allowed = follows(at, open);
    if (!allowed.next.includes(name)) {
      if (name === 'fault' && open >= MAX_OPEN_FAULTS) return `at most ${MAX_OPEN_FAULTS} faults may be on at once: "heal" is missing before the next "fault"`;
      return allowed.required ? `"${allowed.required}" is missing before "${name}"` : `"${name}" cannot come after "${at}"`;
    }
    if (name === 'fault') open += 1;
    if (name === 'heal') open -= 1;
    at = name;
  }
  if (at === 'final-read') return undefined;
  return `"${follows(at, open).required ?? 'settle'}" is missing at the end`;
}

/** The plan with the caller's warm-up and settle overrides (tests keep them short). */
export function withOverrides(plan: readonly PlanStep[], o: { warmupMs?: number; settleMs?: number }): PlanStep[] {
  return plan.map((s) =>
    s.step === 'warm-up' && o.warmupMs !== undefined ? { ...s, secs: o.warmupMs / 1000 } : s.step === 'settle' && o.settleMs !== undefined ? { ...s, secs: o.settleMs / 1000 } : s,
  );
}
