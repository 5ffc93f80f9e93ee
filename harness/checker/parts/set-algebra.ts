import type { RunFacts, Stamp } from '../facts.ts';
import { idOf, isoOf, refOf } from '../history.ts';
import type { CheckPart, CheckResult, Completed, FinalRow, WriteRef } from '../types.ts';

type SetAlgebra = Pick<CheckResult, 'lost' | 'recovered' | 'unexpected' | 'contradicted' | 'duplicated' | 'writesByDatabase' | 'recoveryPoint'>;

/** Jepsen's set algebra over the mutations' ids, against the final read. */
export function setAlgebraPart(f: RunFacts): CheckPart<SetAlgebra> {
  const { input, expectations, writes, okWrites, present, finalCount } = f;
  const lostPairs = input.finalRead ? okWrites.filter((p) => !present(p)) : [];
  const lost = lostPairs.map(refOf);
  const dbOf = (p: Completed) => (p.invoke.value as { db?: string }).db ?? 'app';
  // Keys come from the history (the db of each write): no prototype to pollute.
  const writesByDatabase = Object.create(null) as Record<string, { ok: number; lost: number }>;
  for (const p of okWrites) (writesByDatabase[dbOf(p)] ??= { ok: 0, lost: 0 }).ok += 1;
  for (const p of lostPairs) writesByDatabase[dbOf(p)]!.lost += 1;
  const recovered = writes.filter((p) => (p.completion === null || p.completion.type === 'info') && present(p)).map(refOf);
  const contradicted = writes.filter((p) => p.completion?.type === 'fail' && present(p)).map(refOf);
  const attempted = new Set(writes.map((p) => idOf(p.invoke)!));
  const unexpected = [...finalCount.keys()].filter((id) => !attempted.has(id));
  const duplicated = [...finalCount.entries()].filter(([, n]) => n > 1).map(([id, count]) => ({ id, count }));
  return {
    checks: [
      {
        id: 'lost-within-budget',
        name: `acknowledged writes lost within budget (${expectations.maxLost})`,
        ok: input.finalRead !== null && lost.length <= expectations.maxLost,
        properties: { maxLost: expectations.maxLost, lost: lost.length, acknowledged: okWrites.length },
        detail: input.finalRead
          ? `${okWrites.length - lost.length} of ${okWrites.length} acknowledged writes found on ${input.finalRead.node}; ${lost.length} lost`
          : 'no final read: nothing can be said about lost writes',
      },
      {
        id: 'no-failed-write-present',
        name: 'no write answered "failed" is present',
        ok: contradicted.length === 0,
        detail: contradicted.length ? `${contradicted.length} writes the app called failed were committed` : 'none',
      },
      { id: 'no-unexpected-value', name: 'no value nobody wrote', ok: unexpected.length === 0, detail: unexpected.length ? `${unexpected.length} unexpected values` : 'none' },
      { id: 'no-duplicate', name: 'no value present twice', ok: duplicated.length === 0, detail: duplicated.length ? `${duplicated.length} duplicated values` : 'none' },
    ],
    result: {
      lost,
      recovered,
      unexpected,
      contradicted,
      duplicated,
      writesByDatabase,
      recoveryPoint: input.finalRead ? recoveryPointOf(lost, input.finalRead.rows, f.stamps) : null,
    },
  };
}

/**
 * How many acknowledged writes a failover cost, and the seconds of writes they span: from the last
 * commit that survived before the first lost one (on the lost writes' node and timeline) to the
 * last lost commit. A surviving commit after the first lost one (a loss in the middle of a run)
 * does not shorten what was lost.
 */
export function recoveryPointOf(lost: readonly WriteRef[], finalRows: readonly FinalRow[], stamps: ReadonlyMap<string, Stamp>): NonNullable<CheckResult['recoveryPoint']> {
  const lostStamps = lost.map((l) => stamps.get(l.id)).filter((s): s is Stamp => s !== undefined);
  const lostNodes = new Set(lostStamps.map((s) => `${s.node}/${s.timeline}`));
  const surviving = finalRows.map((r) => stamps.get(r.id)).filter((s): s is Stamp => s !== undefined && lostNodes.has(`${s.node}/${s.timeline}`));
  const lastLost = lostStamps.length ? lostStamps.reduce((a, b) => (b.atMs > a.atMs ? b : a)) : undefined;
  const firstLostAt = lostStamps.length ? Math.min(...lostStamps.map((s) => s.atMs)) : undefined;
  const before = firstLostAt === undefined ? [] : surviving.filter((s) => s.atMs <= firstLostAt);
  const lastSurviving = before.length ? before.reduce((a, b) => (b.atMs > a.atMs ? b : a)) : undefined;
  return {
    lostWrites: lost.length,
    seconds: lastLost ? Math.round((lastLost.atMs - (lastSurviving?.atMs ?? firstLostAt!)) / 10) / 100 : 0,
    lastSurvivingCommitAt: lastSurviving ? isoOf(lastSurviving.atMs) : null,
    lastLostCommitAt: lastLost ? isoOf(lastLost.atMs) : null,
  };
}
