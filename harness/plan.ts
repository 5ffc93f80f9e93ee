/**
 * An iteration's phase plan, as data: what the runner does, in order. The runner
 * (harness/iteration.ts) interprets it step by step and knows no other order. A scenario file
 * states it as `plan`, or leaves it to its `hold`, `heal`, `warmupSecs` and `settleSecs` keys
 * (planOf).
 *
 * The grammar is what one fault per iteration allows:
 *   warm-up, fault, [hold], heal, [switchback], settle, final-read
 * (the checker measures one failover; a fault is always undone, so heal is never left out).
 */
export type PlanStep =
  | { step: 'warm-up'; secs: number }
  | { step: 'fault' }
  | { step: 'hold'; until: 'promotion' | 'time'; maxSecs: number }
  | { step: 'heal'; restart: boolean }
  | { step: 'switchback' }
  | { step: 'settle'; secs: number }
  | { step: 'final-read' };

export type StepName = PlanStep['step'];

export const STEP_ORDER: readonly StepName[] = ['warm-up', 'fault', 'hold', 'heal', 'switchback', 'settle', 'final-read'];
const OPTIONAL: ReadonlySet<StepName> = new Set(['hold', 'switchback']);

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

/** Steps in the order the grammar allows, each once, none of the required ones missing; or what is wrong. */
export function planProblem(steps: readonly StepName[]): string | undefined {
  let at = -1;
  for (const name of steps) {
    const i = STEP_ORDER.indexOf(name);
    if (i === -1) return `unknown step "${name}" (known: ${STEP_ORDER.join(', ')})`;
    if (i === at) return `"${name}" appears twice`;
    if (i < at) return `"${name}" cannot come after "${STEP_ORDER[at]}" (the order is ${STEP_ORDER.join(', ')}; hold and switchback may be left out)`;
    for (const skipped of STEP_ORDER.slice(at + 1, i)) if (!OPTIONAL.has(skipped)) return `"${skipped}" is missing before "${name}"`;
    at = i;
  }
  const missing = STEP_ORDER.slice(at + 1).find((n) => !OPTIONAL.has(n));
  return missing ? `"${missing}" is missing at the end` : undefined;
}

/** The plan with the caller's warm-up and settle overrides (tests keep them short). */
export function withOverrides(plan: readonly PlanStep[], o: { warmupMs?: number; settleMs?: number }): PlanStep[] {
  return plan.map((s) =>
    s.step === 'warm-up' && o.warmupMs !== undefined ? { ...s, secs: o.warmupMs / 1000 } : s.step === 'settle' && o.settleMs !== undefined ? { ...s, secs: o.settleMs / 1000 } : s,
  );
}
