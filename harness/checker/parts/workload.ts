import type { RunFacts } from '../facts.ts';
import { SET } from '../history.ts';
import type { CheckPart, CheckResult } from '../types.ts';

/** The workload's own checker, composed in. */
export function workloadPart(f: RunFacts): CheckPart<Pick<CheckResult, 'workload'>> {
  const workload = f.input.workload ?? SET;
  const own = workload.check(f.pairs, f.input.finalRead);
  return { checks: own.checks, result: { workload: { name: workload.name, mutation: workload.mutation, ...own.details, lines: own.lines } } };
}
