import type { RunFacts } from '../facts.ts';
import type { CheckPart, CheckResult, Completed, OpCounts } from '../types.ts';

/** Each operation's outcomes, and the failed and unknown ones by error code. */
function countsOf(pairs: readonly Completed[], f: string): OpCounts {
  // Keys come from the history (error codes): a map with no prototype, so "__proto__" is just a key.
  const counts: OpCounts = { ok: 0, fail: 0, info: 0, open: 0, errors: Object.create(null) as Record<string, number> };
  for (const p of pairs) {
    if (p.invoke.f !== f) continue;
    if (!p.completion) counts.open += 1;
    else counts[p.completion.type as 'ok' | 'fail' | 'info'] += 1;
    if (p.completion && p.completion.type !== 'ok') {
      const code = p.completion.error ?? 'unknown';
      counts.errors[code] = (counts.errors[code] ?? 0) + 1;
    }
  }
  return counts;
}

/** The workload ran at all: without acknowledged writes nothing below means anything. */
export function workloadRanPart(f: RunFacts): CheckPart<Pick<CheckResult, 'counts'>> {
  return {
    checks: [{ id: 'writes-acknowledged', name: 'the workload got writes acknowledged', ok: f.okWrites.length > 0, detail: `${f.okWrites.length} acknowledged writes` }],
    result: { counts: { write: countsOf(f.pairs, f.mutation), read: countsOf(f.pairs, 'read') } },
  };
}
