import type { WrittenValue } from '../op.ts';
import { trustOfStamps } from './clocks.ts';
import { idOf, nsToMs, pairOperations, SET } from './history.ts';
import type { CheckInput, CheckResult, Completed, Expectations } from './types.ts';

/** Commit stamps known for a write id: from its acknowledgement, or from the final read (µs precision). */
export interface Stamp {
  id: string;
  node: string;
  timeline: number;
  atMs: number;
}

/**
 * What every part of the checker reads: the run's operations paired, its mutations (the
 * workload's writes) and which of them the final read holds, the fault as recorded, and the commit
 * stamps. Derived once from the input, never changed.
 */
export interface RunFacts {
  input: CheckInput;
  expectations: Expectations;
  /** The workload's `f` that changes the database: what every part calls writes. */
  mutation: string;
  pairs: readonly Completed[];
  /** The workload's mutations, and those acknowledged. */
  writes: readonly Completed[];
  okWrites: readonly Completed[];
  /** Is the mutation's row in the final read? (false without one) */
  present(p: Completed): boolean;
  /** How many times each id is in the final read. */
  finalCount: ReadonlyMap<string, number>;
  /** When each acknowledged mutation was acknowledged (ns since the drill started). */
  ackNsById: ReadonlyMap<string, number>;
  /** Commit stamps by id: from the final read (µs) where the row survived, else from the acknowledgement (ms). */
  stamps: ReadonlyMap<string, Stamp>;
  fault: CheckResult['fault'];
  faultNs?: number;
  faultWall?: number;
  faultNode?: string;
  primaryAtFault?: string;
  standbyAtFault?: string;
  standbysAtFault: readonly string[];
  /** Do commit stamps of different nodes compare (no clock was off beyond the tolerance)? Why not, if not. */
  stampsTrusted: boolean;
  untrustedBecause?: string;
}

/** The run's facts, derived from the checker's input (`lines`: the history's file lines, for errors). */
export function factsOf(input: CheckInput, lines?: readonly number[]): RunFacts {
  const expectations: Expectations = { maxLost: 0, replication: 'sync', promotion: true, finalPrimary: 'standby', ...input.expectations };
  const workload = input.workload ?? SET;
  const pairs = pairOperations(input.history, lines, workload);
  const faultEvent = input.events.find((e) => e.type === 'fault');
  const faultNs = faultEvent?.time;
  const faultNode = typeof faultEvent?.node === 'string' ? faultEvent.node : undefined;
  // Who was primary and standby when the fault hit (older runs only name the faulted node, the primary).
  const standbyAtFault = typeof faultEvent?.standby === 'string' ? faultEvent.standby : undefined;
  const writes = pairs.filter((p) => p.invoke.f === workload.mutation);
  const okWrites = writes.filter((p) => p.completion?.type === 'ok');
  const finalCount = new Map<string, number>();
  for (const row of input.finalRead?.rows ?? []) finalCount.set(row.id, (finalCount.get(row.id) ?? 0) + 1);
  const ackNsById = new Map<string, number>();
  for (const p of okWrites) ackNsById.set(idOf(p.invoke)!, p.completion!.time);
  const stamps = new Map<string, Stamp>();
  const nodeStamps = expectations.nodeStamps !== false;
  for (const p of nodeStamps ? okWrites : []) {
    const v = p.completion!.value as Partial<WrittenValue>;
    const at = v.committed_at ? Date.parse(v.committed_at) : NaN;
    if (v.committed_by && v.committed_timeline !== undefined && !Number.isNaN(at)) {
      stamps.set(idOf(p.invoke)!, { id: idOf(p.invoke)!, node: v.committed_by, timeline: v.committed_timeline, atMs: at });
    }
  }
  for (const row of nodeStamps ? (input.finalRead?.rows ?? []) : []) {
    if (row.committed_at_us !== undefined) stamps.set(row.id, { id: row.id, node: row.committed_by, timeline: row.committed_timeline, atMs: row.committed_at_us / 1000 });
  }
  return {
    input,
    expectations,
    mutation: workload.mutation,
    pairs,
    writes,
    okWrites,
    present: (p) => finalCount.has(idOf(p.invoke)!),
    finalCount,
    ackNsById,
    stamps,
    fault: faultEvent && faultNs !== undefined && faultNode ? { kind: String(faultEvent.kind ?? 'fault'), node: faultNode, atMs: nsToMs(faultNs) } : null,
    ...(faultNs !== undefined ? { faultNs } : {}),
    ...(typeof faultEvent?.wall === 'number' ? { faultWall: faultEvent.wall } : {}),
    ...(faultNode ? { faultNode } : {}),
    ...((typeof faultEvent?.primary === 'string' ? faultEvent.primary : faultNode) ? { primaryAtFault: typeof faultEvent?.primary === 'string' ? faultEvent.primary : faultNode } : {}),
    ...(standbyAtFault ? { standbyAtFault } : {}),
    // With several standbys, repmgr elects one of them (the most advanced): any of them will do.
    standbysAtFault: Array.isArray(faultEvent?.standbys) ? (faultEvent.standbys as string[]) : standbyAtFault ? [standbyAtFault] : [],
    ...trustOfStamps(input.events),
  };
}
