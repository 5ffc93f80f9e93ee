import { CLOCK_TOLERANCE_MS, clockSkewsOf } from '../clocks.ts';
import { faultKind } from '../../faults/index.ts';
import type { RunFacts } from '../facts.ts';
import type { CheckPart, CheckResult } from '../types.ts';

/**
 * The clocks: commit stamps of two nodes compare only if their clocks agree. A node off by more
 * than the tolerance fails the run, unless the scenario set it off (a fault that sets clocks, the clock-skew fault): then the
 * check says which figures are not given, and why.
 */
export function clocksPart(f: RunFacts): CheckPart<Pick<CheckResult, 'clocks'>> {
  const skews = clockSkewsOf(f.input.events);
  if (skews.length === 0) return { checks: [], result: {} };
  // A fault whose kind sets clocks off on purpose (harness/faults/: clock-skew).
  const skewFault = f.input.events.find((e) => e.type === 'fault' && faultKind(String(e.kind))?.setsClocks === true);
  const worst = skews.reduce((a, b) => (Math.abs(b.offsetMs) > Math.abs(a.offsetMs) ? b : a));
  return {
    checks: [
      {
        id: 'clocks-agree',
        name: `the data nodes' clocks agree with the harness's (within ${CLOCK_TOLERANCE_MS} ms), or the scenario set one off`,
        ok: f.stampsTrusted || skewFault !== undefined,
        detail: f.stampsTrusted
          ? `at most ${Math.abs(worst.offsetMs)} ms off (${worst.node}, ±${worst.errorMs} ms)`
          : `${f.untrustedBecause}${skewFault ? ` (the ${String(skewFault.kind)} fault set it)` : ''}: commit stamps of different nodes do not compare, so the database downtime and repmgr's promotion time are not given, and split brain is judged on the harness's clock alone`,
      },
    ],
    result: { clocks: { trusted: f.stampsTrusted, skews } },
  };
}
