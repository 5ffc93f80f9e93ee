/**
 * The history as the checker reads it: every invocation paired with its completion, the write ids
 * they carry, and times in the units the result gives.
 */
import type { Op, WrittenValue } from '../op.ts';
import type { Completed, WorkloadCheck, WriteRef } from './types.ts';

/** The set workload's part: its set algebra is the checker's own, so it adds nothing. */
export const SET: WorkloadCheck = { name: 'set', mutation: 'write', fs: ['write', 'read'], check: () => ({ checks: [], details: {}, lines: [] }) };

/** Nanoseconds since the drill started to milliseconds, to two decimals. */
export const nsToMs = (ns: number) => Math.round(ns / 1e4) / 100;

/** A history that cannot be checked: it is never reported as PASS. */
export class MalformedHistoryError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`history line ${line}: ${message}`);
    this.name = 'MalformedHistoryError';
  }
}

/** The id an operation's value carries (a write's), if any. */
export function idOf(op: Op): string | undefined {
  const v = op.value as { id?: unknown } | null;
  return typeof v?.id === 'string' ? v.id : undefined;
}

/**
 * Pair every invocation with its completion. A completion with no open invocation, a process that
 * invokes twice, or a completion that goes back in time is malformed; an invocation the history
 * ends before completing is kept open (the operation's outcome is unknown).
 * `lines[i]` is the file line of `history[i]` (defaults to i + 1).
 */
export function pairOperations(history: readonly Op[], lines?: readonly number[], workload: Pick<WorkloadCheck, 'name' | 'mutation' | 'fs'> = SET): Completed[] {
  const open = new Map<number, { op: Op; index: number }>();
  const pairs: Completed[] = [];
  const line = (i: number) => lines?.[i] ?? i + 1;
  history.forEach((op, i) => {
    if (!workload.fs.includes(op.f)) throw new MalformedHistoryError(line(i), `f must be ${workload.fs.join(' or ')} (the ${workload.name} workload's), not ${JSON.stringify(op.f)}`);
    if (op.type === 'invoke') {
      if (open.has(op.process)) {
        throw new MalformedHistoryError(line(i), `process ${op.process} invokes again before its operation at line ${line(open.get(op.process)!.index)} completed`);
      }
      if (op.f === workload.mutation && !idOf(op)) throw new MalformedHistoryError(line(i), `a ${op.f} must have a value with an id`);
      open.set(op.process, { op, index: i });
      return;
    }
    const pending = open.get(op.process);
    if (!pending) throw new MalformedHistoryError(line(i), `${op.type} for process ${op.process}, which has no operation in progress`);
    if (pending.op.f !== op.f) throw new MalformedHistoryError(line(i), `completes a ${op.f} but process ${op.process} invoked a ${pending.op.f}`);
    if (op.time < pending.op.time) throw new MalformedHistoryError(line(i), 'completes before it was invoked (time goes backwards)');
    if (op.f === workload.mutation && idOf(op) !== idOf(pending.op)) {
      throw new MalformedHistoryError(line(i), `completes ${op.f} ${idOf(op) ?? '(no id)'} but the invocation wrote ${idOf(pending.op)}`);
    }
    open.delete(op.process);
    pairs.push({ invoke: pending.op, completion: op });
  });
  for (const { op } of open.values()) pairs.push({ invoke: op, completion: null });
  return pairs.sort((a, b) => a.invoke.time - b.invoke.time);
}

/** A write as the result reports it, from its invocation and completion. */
export function refOf(pair: Completed): WriteRef {
  const v = pair.completion?.type === 'ok' ? (pair.completion.value as Partial<WrittenValue>) : undefined;
  return {
    id: idOf(pair.invoke)!,
    process: pair.invoke.process,
    invokedAtMs: nsToMs(pair.invoke.time),
    completedAtMs: pair.completion ? nsToMs(pair.completion.time) : null,
    ...(v?.committed_by !== undefined ? { committedBy: v.committed_by, committedTimeline: v.committed_timeline } : {}),
  };
}

/** Milliseconds since the epoch (with fractions) to ISO 8601 with microseconds. */
export function isoOf(ms: number): string {
  return new Date(ms).toISOString().replace('Z', `${String(Math.round((ms % 1) * 1000)).padStart(3, '0')}Z`);
}
