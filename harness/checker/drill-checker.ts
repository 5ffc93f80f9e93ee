/**
 * The drill's checker: a pure function from what was recorded (the history, the cluster events,
 * the final read of the new primary) to a verdict. It never touches the cluster, so it can be run
 * again on a stored run, and it is tested with literal histories.
 *
 * Set algebra, as in Jepsen's set checker:
 *   lost       acknowledged (ok) writes missing from the final read
 *   recovered  unknown (info) writes present in the final read
 *   contradicted  writes answered `fail` that are present anyway: the error classification is wrong
 */
import type { ClusterEvent, Op, WrittenValue } from '../op.ts';

export interface FinalRow {
  id: string;
  committed_by: string;
  committed_timeline: number;
}

export interface CheckInput {
  history: readonly Op[];
  events: readonly ClusterEvent[];
  finalRead: { node: string; rows: readonly FinalRow[] } | null;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface OpCounts {
  ok: number;
  fail: number;
  info: number;
}

export interface LostWrite {
  id: string;
  /** Milliseconds since the drill started, when the write was acknowledged. */
  ackedAtMs: number;
  committedBy: string;
  committedTimeline: number;
}

export interface DrillResult {
  verdict: 'PASS' | 'FAIL';
  checks: Check[];
  fault: { kind: string; node: string; atMs: number } | null;
  counts: { write: OpCounts; read: OpCounts };
  lost: LostWrite[];
  recovered: string[];
  contradicted: string[];
  /** Fault to promotion, as repmgr recorded it (its event's timestamp), and as flipdrill first observed it. */
  promotion: { node: string; reportedMs: number | null; observedMs: number | null } | null;
  /** Fault to the end of the endpoint move. */
  endpointMove: { node: string; ms: number } | null;
  /** Last acknowledged write before the fault to the first acknowledged write after it. */
  writeUnavailability: { ms: number; lastOkBeforeMs: number; firstOkAfterMs: number } | null;
  writesAfterFault: { ok: number; onNewPrimary: number };
  staleReads: number;
}

const ms = (ns: number) => Math.round(ns / 1e4) / 100;

function countsOf(history: readonly Op[], f: Op['f']): OpCounts {
  const counts: OpCounts = { ok: 0, fail: 0, info: 0 };
  for (const op of history) if (op.f === f && op.type !== 'invoke') counts[op.type] += 1;
  return counts;
}

function idOf(op: Op): string | undefined {
  const v = op.value as { id?: unknown } | null;
  return typeof v?.id === 'string' ? v.id : undefined;
}

export function checkDrill(input: CheckInput): DrillResult {
  const { history, events } = input;
  const faultEvent = events.find((e) => e.type === 'fault');
  const faultNs = faultEvent?.time;
  const faultNode = typeof faultEvent?.node === 'string' ? faultEvent.node : undefined;
  const fault = faultEvent && faultNs !== undefined && faultNode
    ? { kind: String(faultEvent.kind ?? 'fault'), node: faultNode, atMs: ms(faultNs) }
    : null;

  const writes = history.filter((op) => op.f === 'write');
  const okWrites = writes.filter((op) => op.type === 'ok');
  const finalIds = new Set(input.finalRead?.rows.map((r) => r.id) ?? []);

  const lost: LostWrite[] = input.finalRead
    ? okWrites
        .filter((op) => !finalIds.has(idOf(op) ?? ''))
        .map((op) => {
          const v = op.value as WrittenValue;
          return { id: v.id, ackedAtMs: ms(op.time), committedBy: v.committed_by, committedTimeline: v.committed_timeline };
        })
    : [];
  const recovered = writes.filter((op) => op.type === 'info' && finalIds.has(idOf(op) ?? '')).map((op) => idOf(op)!);
  const contradicted = writes.filter((op) => op.type === 'fail' && finalIds.has(idOf(op) ?? '')).map((op) => idOf(op)!);

  // Promotion: repmgr's own record first, flipdrill's observation next to it.
  const faultWall = typeof faultEvent?.wall === 'number' ? faultEvent.wall : undefined;
  const repmgrPromote = events.find(
    (e) => e.type === 'repmgr' && (e.event === 'repmgrd_failover_promote' || e.event === 'standby_promote') && faultWall !== undefined && e.wall >= faultWall,
  );
  const observed = events.find((e) => e.type === 'promotion-observed' && faultNs !== undefined && (e.time ?? -1) >= faultNs);
  const newPrimary = (repmgrPromote?.node as string | undefined) ?? (observed?.node as string | undefined);
  const promotion = newPrimary
    ? {
        node: newPrimary,
        reportedMs: repmgrPromote && faultWall !== undefined ? Math.round(repmgrPromote.wall - faultWall) : null,
        observedMs: observed?.time !== undefined && faultNs !== undefined ? ms(observed.time - faultNs) : null,
      }
    : null;

  const move = events.find((e) => e.type === 'endpoint' && e.action === 'move' && faultNs !== undefined && (e.time ?? -1) >= faultNs);
  const endpointMove = move && faultNs !== undefined ? { node: String(move.node), ms: ms(move.time! - faultNs) } : null;

  let writeUnavailability: DrillResult['writeUnavailability'] = null;
  let writesAfterFault = { ok: 0, onNewPrimary: 0 };
  if (faultNs !== undefined) {
    const before = okWrites.filter((op) => op.time <= faultNs);
    const after = okWrites.filter((op) => op.time > faultNs);
    // The first write acknowledged by a node other than the one the fault hit.
    const resumed = after.filter((op) => (op.value as WrittenValue).committed_by !== faultNode);
    writesAfterFault = {
      ok: after.length,
      onNewPrimary: newPrimary ? after.filter((op) => (op.value as WrittenValue).committed_by === newPrimary).length : 0,
    };
    const lastBefore = before.at(-1);
    const firstAfter = resumed[0];
    if (lastBefore && firstAfter) {
      writeUnavailability = { ms: ms(firstAfter.time - lastBefore.time), lastOkBeforeMs: ms(lastBefore.time), firstOkAfterMs: ms(firstAfter.time) };
    }
  }

  const staleReads = history.filter((op) => op.f === 'read' && op.type === 'ok' && (op.value as { found?: boolean }).found === false).length;

  const checks: Check[] = [
    {
      name: 'the fault was injected',
      ok: fault !== null,
      detail: fault ? `${fault.kind} on ${fault.node} at ${fault.atMs} ms` : 'no fault event in the run',
    },
    {
      name: 'a standby was promoted',
      ok: promotion !== null && promotion.node !== faultNode,
      detail: promotion
        ? `${promotion.node} promoted (repmgr: ${promotion.reportedMs ?? '?'} ms, observed: ${promotion.observedMs ?? '?'} ms after the fault)`
        : 'no promotion reported by repmgr or observed',
    },
    {
      name: 'the endpoint moved to the new primary',
      ok: endpointMove !== null && endpointMove.node === newPrimary,
      detail: endpointMove ? `moved to ${endpointMove.node} ${endpointMove.ms} ms after the fault` : 'the endpoint never moved',
    },
    {
      name: 'writes resumed on the new primary',
      ok: writesAfterFault.onNewPrimary > 0,
      detail: `${writesAfterFault.onNewPrimary} acknowledged writes committed by ${newPrimary ?? 'no new primary'} after the fault`,
    },
    {
      name: 'every acknowledged write is on the new primary',
      ok: input.finalRead !== null && lost.length === 0 && (newPrimary === undefined || input.finalRead.node === newPrimary),
      detail: input.finalRead
        ? `${okWrites.length - lost.length} of ${okWrites.length} acknowledged writes found on ${input.finalRead.node}${lost.length ? `; ${lost.length} lost` : ''}`
        : 'no final read',
    },
  ];

  return {
    verdict: checks.every((c) => c.ok) ? 'PASS' : 'FAIL',
    checks,
    fault,
    counts: { write: countsOf(history, 'write'), read: countsOf(history, 'read') },
    lost,
    recovered,
    contradicted,
    promotion,
    endpointMove,
    writeUnavailability,
    writesAfterFault,
    staleReads,
  };
}
