import type { RunFacts } from '../facts.ts';
import { idOf, nsToMs } from '../history.ts';
import type { CheckPart, CheckResult, Completed, ReadAnomaly, StaleRead } from '../types.ts';

/** Reads judged against the writes: stale ones reported, impossible ones an anomaly. */
export function readsPart(f: RunFacts): CheckPart<Pick<CheckResult, 'staleReads' | 'readAnomalies'>> {
  const readAnomalies = readAnomaliesOf(f.pairs, f.mutation);
  return {
    checks: [
      {
        id: 'no-impossible-read',
        name: 'no read saw a value it could not have seen',
        ok: readAnomalies.length === 0,
        detail: readAnomalies.length
          ? (
              [
                ['never-written', 'of values nobody wrote'],
                ['failed-write', 'of writes answered "failed"'],
                ['before-invoke', 'answered before their write was invoked'],
              ] as const
            )
              .map(([kind, what]) => [readAnomalies.filter((a) => a.kind === kind).length, what] as const)
              .filter(([n]) => n > 0)
              .map(([n, what]) => `${n} reads ${what}`)
              .join('; ')
          : 'none',
      },
    ],
    result: { staleReads: staleReadsOf(f.pairs, f.ackNsById), readAnomalies },
  };
}

/** Reads that did not find a write acknowledged before the read was invoked (replica lag): reported, not a FAIL. */
export function staleReadsOf(pairs: readonly Completed[], ackNsById: ReadonlyMap<string, number>): StaleRead[] {
  const staleReads: StaleRead[] = [];
  for (const p of pairs) {
    if (p.invoke.f !== 'read' || p.completion?.type !== 'ok') continue;
    const value = p.completion.value as { id?: string; found?: boolean };
    const ackNs = value.id ? ackNsById.get(value.id) : undefined;
    if (value.found === false && ackNs !== undefined && ackNs < p.invoke.time) {
      staleReads.push({ id: value.id!, process: p.invoke.process, readAtMs: nsToMs(p.invoke.time), ackedAtMs: nsToMs(ackNs), lagMs: nsToMs(p.invoke.time - ackNs) });
    }
  }
  return staleReads;
}

/** Reads that saw what they could not have: judged against the writes, whatever the final state. */
export function readAnomaliesOf(pairs: readonly Completed[], mutation = 'write'): ReadAnomaly[] {
  const writeById = new Map<string, Completed>();
  for (const p of pairs) if (p.invoke.f === mutation && !writeById.has(idOf(p.invoke)!)) writeById.set(idOf(p.invoke)!, p);
  const readAnomalies: ReadAnomaly[] = [];
  for (const p of pairs) {
    if (p.invoke.f !== 'read' || p.completion?.type !== 'ok') continue;
    const value = p.completion.value as { id?: string; found?: boolean };
    if (value.found !== true || !value.id) continue;
    const write = writeById.get(value.id);
    const kind: ReadAnomaly['kind'] | undefined = !write
      ? 'never-written'
      : write.completion?.type === 'fail'
        ? 'failed-write'
        : p.completion.time < write.invoke.time
          ? 'before-invoke'
          : undefined;
    if (kind) readAnomalies.push({ id: value.id, process: p.invoke.process, readAtMs: nsToMs(p.invoke.time), answeredAtMs: nsToMs(p.completion.time), kind });
  }
  return readAnomalies;
}
