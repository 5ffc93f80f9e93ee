/**
 * What the runner learns by watching, never by acting: from the watcher's looks, each node's clock
 * against the harness's and the promotion after a fault; from the workload's completions, the
 * live counts and the first write acknowledged by the primary while settling.
 */
import { chooseTarget, type ClusterSnapshot } from '../../cluster/index.ts';
import { CLOCK_TOLERANCE_MS } from '../checker/clocks.ts';
import type { DrillClock } from '../history.ts';
import type { Op, WrittenValue } from '../op.ts';
import type { LiveCounts } from '../report/report.ts';
import type { RecordEvent } from './context.ts';
import type { FaultStack } from './open-faults.ts';
import type { Seen } from './state.ts';

/**
 * The watcher's looks: the first one after the fault that shows another primary is the promotion.
 * Each node's clock against the harness's: a sample when it moved by more than the tolerance's
 * half since the last one recorded (the checker judges commit stamps by them).
 */
export function snapshotObserver(seen: Seen, faults: FaultStack, clock: DrillClock, recordEvent: RecordEvent): (s: ClusterSnapshot) => void {
  const clocks = new Map<string, number>();
  const states = new Map<string, { key: string; seenNs: number }>();
  return (s) => {
    // Each data node's role and timeline as they change, with the last look that still saw the
    // old ones: the checker judges which timeline answered a read by them (no-deposed-read).
    const now = clock.nsOf(s.takenAt);
    for (const n of s.nodes) {
      if (n.role === 'witness') continue;
      const key = `${n.role}/${n.timeline ?? ''}`;
      const last = states.get(n.name);
      if (last?.key !== key) {
        recordEvent({ type: 'node-state', node: n.name, role: n.role, ...(n.timeline !== undefined ? { timeline: n.timeline } : {}), lastSeenBeforeNs: last?.seenNs ?? now, wall: s.takenAt, time: now });
      }
      states.set(n.name, { key, seenNs: now });
    }
    for (const n of s.nodes) {
      if (!n.clock || n.role === 'witness' || n.role === 'down') continue;
      const last = clocks.get(n.name);
      if (last !== undefined && Math.abs(n.clock.offsetMs - last) < CLOCK_TOLERANCE_MS / 2) continue;
      clocks.set(n.name, n.clock.offsetMs);
      recordEvent({ type: 'clock', node: n.name, offsetMs: n.clock.offsetMs, errorMs: n.clock.errorMs, wall: s.takenAt, time: clock.nsOf(s.takenAt) });
    }
    const target = chooseTarget(s);
    if (seen.faultSentAt !== undefined && seen.promotedTo === undefined && target && target.name !== faults.current.targets.primary && s.takenAt >= seen.faultSentAt) {
      seen.promotedTo = target.name;
      recordEvent({ type: 'promotion-observed', node: target.name, timeline: target.timeline, wall: s.takenAt, time: now });
    }
  };
}

/**
 * Each completed operation: the live counts (sent a few times a second), acknowledged writes, and
 * the first write the settle's primary acknowledged. `nodeStamps`: the app's rows name the node
 * that committed them (a write with no stamps counts as the primary's).
 */
export function completionObserver(seen: Seen, live: LiveCounts, mutation: string, nodeStamps: boolean, onCounts?: (counts: LiveCounts) => void): (op: Op) => void {
  let countsSentAt = 0;
  return (op) => {
    const isMutation = op.f === mutation;
    if (op.type === 'ok' || op.type === 'fail' || op.type === 'info') live[isMutation ? 'write' : 'read'][op.type] += 1;
    if (onCounts && Date.now() - countsSentAt >= 250) {
      countsSentAt = Date.now();
      onCounts(structuredClone(live));
    }
    if (!isMutation || op.type !== 'ok') return;
    seen.okWrites += 1;
    const by = nodeStamps ? (op.value as WrittenValue).committed_by : undefined;
    if (seen.settleFrom && seen.firstOkSettlingNs === undefined && op.time > seen.settleFrom.ns && (by === undefined || by === seen.settleFrom.primary)) seen.firstOkSettlingNs = op.time;
  };
}
