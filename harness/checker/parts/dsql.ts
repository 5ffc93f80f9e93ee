import type { RunFacts } from '../facts.ts';
import type { CheckPart, CheckResult } from '../types.ts';

/**
 * The Aurora DSQL stand-in's counts (the dsql app): the app's statements must all be ones DSQL
 * takes, failover included; its conflicts are counted, and whether a retried conflict was applied
 * once is the workload's to judge (the bank's conservation and ledger).
 */
export function dsqlPart(f: RunFacts): CheckPart<Pick<CheckResult, 'dsql'>> {
  const e = f.input.events.find((x) => x.type === 'dsql-stand-in');
  if (!e) return { checks: [], result: {} };
  const refused = (typeof e.refused === 'object' && e.refused !== null ? e.refused : {}) as Record<string, number>;
  const conflicts = Number(e.conflicts ?? 0);
  const sessions = Number(e.sessions ?? 0);
  const total = Object.values(refused).reduce((a, n) => a + n, 0);
  return {
    checks: [
      {
        id: 'dsql-rules',
        name: "the DSQL stand-in refused none of the app's statements (what Aurora DSQL refuses)",
        ok: total === 0,
        detail: `${total === 0 ? 'none refused' : `${total} refused: ${Object.entries(refused).map(([rule, n]) => `${rule} ${n}`).join(', ')}`}; ${conflicts} write conflict${conflicts === 1 ? '' : 's'} answered as OC000, ${sessions} session${sessions === 1 ? '' : 's'}`,
        properties: { refused: total, conflicts, sessions },
      },
    ],
    result: { dsql: { refused, conflicts, sessions } },
  };
}
