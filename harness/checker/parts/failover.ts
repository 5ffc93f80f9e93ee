import type { ClusterEvent, WrittenValue } from '../../op.ts';
import type { RunFacts, Stamp } from '../facts.ts';
import { isoOf, nsToMs } from '../history.ts';
import type { CheckPart, CheckResult, Completed } from '../types.ts';

/** The failover's figures, which the expectations are held against. */
export type Failover = Pick<CheckResult, 'fault' | 'faults' | 'promotion' | 'endpointMove' | 'writeUnavailability' | 'longestWriteGap' | 'writesAfterFault' | 'databaseDowntime' | 'floatingIp' | 'degradedReplication'>;

/** What the nemesis said it did (the command, what it leaves), when the run recorded it. */
function faultDetail(f: RunFacts): string {
  const detail = f.input.events.find((e) => e.type === 'fault')?.detail;
  return typeof detail === 'string' && detail ? `: ${detail}` : '';
}

/** The failover's timings: promotion and endpoint move from the events, downtime from the clients and from the commit stamps. */
export function failoverPart(f: RunFacts): CheckPart<Failover> & { newPrimary?: string } {
  const { input, expectations, faultNs, faultWall, primaryAtFault, faultNode, okWrites } = f;
  const events = input.events;
  const repmgrPromote = events.find(
    (e) =>
      e.type === 'repmgr' &&
      (e.event === 'repmgrd_failover_promote' || e.event === 'standby_promote' || e.event === 'standby_switchover') &&
      faultWall !== undefined &&
      e.wall >= faultWall,
  );
  const observed = events.find((e) => e.type === 'promotion-observed' && faultNs !== undefined && (e.time ?? -1) >= faultNs && e.node !== primaryAtFault);
  const newPrimary = (observed?.node as string | undefined) ?? (repmgrPromote?.node as string | undefined);
  const promotion = newPrimary
    ? {
        node: newPrimary,
        observedMs: observed?.time !== undefined && faultNs !== undefined ? nsToMs(observed.time - faultNs) : null,
        // repmgr stamps its event on the promoted node's clock: not against the harness's when the clocks disagree.
        reportedMs: repmgrPromote && faultWall !== undefined && f.stampsTrusted ? Math.round(repmgrPromote.wall - faultWall) : null,
      }
    : null;
  const move = events.find((e) => e.type === 'endpoint' && e.action === 'move' && faultNs !== undefined && (e.time ?? -1) >= faultNs);
  const endpointMove = move && faultNs !== undefined ? { node: String(move.node), ms: nsToMs(move.time! - faultNs) } : null;

  // Client-side window and writes after the fault.
  let writeUnavailability: CheckResult['writeUnavailability'] = null;
  let longestWriteGap: CheckResult['longestWriteGap'] = null;
  let writesAfterFault = { ok: 0, onNewPrimary: 0 };
  if (faultNs !== undefined) {
    const completedNs = (p: Completed) => p.completion!.time;
    const before = okWrites.filter((p) => completedNs(p) <= faultNs);
    const after = okWrites.filter((p) => completedNs(p) > faultNs);
    const by = (p: Completed) => (expectations.nodeStamps === false ? undefined : (p.completion!.value as Partial<WrittenValue>).committed_by);
    const primaryAfter = newPrimary ?? (expectations.promotion === true ? undefined : primaryAtFault);
    // A write acknowledged without stamps (a user's client or app that does not say which node
    // committed it) counts as committed by the primary after the fault: it cannot be told apart.
    const onPrimaryAfter = (p: Completed) => by(p) === undefined || (primaryAfter ? by(p) === primaryAfter : by(p) !== faultNode);
    writesAfterFault = { ok: after.length, onNewPrimary: primaryAfter ? after.filter((p) => by(p) === undefined || by(p) === primaryAfter).length : 0 };
    // Pairs are in invocation order; these want the latest answer.
    const latest = (ps: readonly Completed[]) => ps.reduce<Completed | undefined>((a, p) => (!a || completedNs(p) > completedNs(a) ? p : a), undefined);
    const lastBeforeFault = latest(before);
    // The first write acknowledged by the primary after the fault (by a node other than the one the
    // fault hit, when no primary is known): in a switchover the old primary keeps acknowledging
    // writes for a moment, and those do not end the outage.
    const firstAfter = after.filter(onPrimaryAfter).sort((a, b) => completedNs(a) - completedNs(b))[0];
    // Nor do they start it: a switchover checks the cluster over SSH for seconds before it stops
    // the primary, and the clients' writes go on working meanwhile. The outage starts at the last
    // write acknowledged before the first one on the primary after the fault; an acknowledgement
    // after the fault counts only if the write survived (a lost write is no sign writes worked).
    const survived = (p: Completed) => !input.finalRead || f.present(p);
    const lastBefore = firstAfter
      ? (latest(after.filter((p) => completedNs(p) < completedNs(firstAfter) && survived(p))) ?? lastBeforeFault)
      : lastBeforeFault;
    const acked = [lastBeforeFault, ...after].filter((p): p is Completed => p !== undefined).map(completedNs).sort((a, b) => a - b);
    for (let i = 1; i < acked.length; i++) {
      const gap = acked[i]! - acked[i - 1]!;
      if (!longestWriteGap || nsToMs(gap) > longestWriteGap.ms) longestWriteGap = { ms: nsToMs(gap), fromMs: nsToMs(acked[i - 1]!), toMs: nsToMs(acked[i]!) };
    }
    if (lastBefore && firstAfter) {
      writeUnavailability = {
        ms: nsToMs(completedNs(firstAfter) - completedNs(lastBefore)),
        lastOkBeforeMs: nsToMs(completedNs(lastBefore)),
        firstOkAfterMs: nsToMs(completedNs(firstAfter)),
      };
    }
  }

  const syncNames = input.finalRead?.synchronousStandbyNames;
  const degradedReplication =
    expectations.replication === 'sync' && newPrimary && syncNames !== undefined && syncNames.trim() === ''
      ? `${newPrimary} runs without a synchronous standby after the failover (synchronous_standby_names is empty): writes are acknowledged without a copy until a standby rejoins`
      : null;

  const flipEvent = events.find((e) => e.type === 'floating-ip');
  const floatingIp: CheckResult['floatingIp'] = flipEvent
    ? (() => {
        const actions = (flipEvent.actions as { status: string; startedAt: string; completedAt: string | null }[]) ?? [];
        const done = actions.filter((a) => a.status === 'completed' && a.completedAt).at(-1);
        return {
          ip: String(flipEvent.ip),
          holder: (flipEvent.holder as string | null) ?? null,
          assignRequests: (flipEvent.assignRequests as { status: number; atMs: number }[]) ?? [],
          moveMs: done ? Date.parse(done.completedAt!) - Date.parse(done.startedAt) : null,
        };
      })()
    : null;

  const faults = faultsOf(f.input.events);
  return {
    checks: [{ id: 'fault-injected', name: 'the fault was injected', ok: f.fault !== null, detail: f.fault ? `${f.fault.kind} on ${f.fault.node} at ${f.fault.atMs} ms${faultDetail(f)}` : 'no fault event in the run' }],
    result: {
      fault: f.fault,
      ...(faults.length > 1 ? { faults } : {}),
      promotion,
      endpointMove,
      writeUnavailability,
      longestWriteGap,
      writesAfterFault,
      // Stamps of two nodes on clocks that disagree would give a wrong figure: none rather than that.
      databaseDowntime: f.stampsTrusted ? databaseDowntimeOf([...f.stamps.values()]) : null,
      floatingIp,
      degradedReplication,
    },
    ...(newPrimary ? { newPrimary } : {}),
  };
}

/**
 * Every fault with the time of its heal: a heal heals the fault injected last of those still on
 * (two may overlap: the inner one is healed first). A fault never healed has null.
 */
export function faultsOf(events: readonly ClusterEvent[]): NonNullable<CheckResult['faults']> {
  const timed = events.filter((e) => (e.type === 'fault' || e.type === 'heal') && e.time !== undefined).sort((a, b) => a.time! - b.time!);
  const out: NonNullable<CheckResult['faults']> = [];
  const open: number[] = [];
  for (const e of timed) {
    if (e.type === 'fault') {
      open.push(out.length);
      out.push({ kind: String(e.kind ?? 'fault'), node: String(e.node ?? ''), atMs: nsToMs(e.time!), healedAtMs: null });
    } else {
      const healed = open.pop();
      if (healed !== undefined) out[healed]!.healedAtMs = nsToMs(e.time!);
    }
  }
  return out;
}

/** Database side: last commit on an older timeline to the first on the newest; 0 when they overlap. */
export function databaseDowntimeOf(stamps: readonly Stamp[]): CheckResult['databaseDowntime'] {
  const timelines = [...new Set(stamps.map((s) => s.timeline))].sort((a, b) => a - b);
  if (timelines.length < 2) return null;
  const newTimeline = timelines.at(-1)!;
  const firstNew = stamps.filter((s) => s.timeline === newTimeline).reduce((a, b) => (b.atMs < a.atMs ? b : a));
  const lastOld = stamps.filter((s) => s.timeline < newTimeline).reduce((a, b) => (b.atMs > a.atMs ? b : a));
  return {
    ms: Math.max(0, Math.round((firstNew.atMs - lastOld.atMs) * 100) / 100),
    oldTimeline: lastOld.timeline,
    newTimeline,
    lastOldCommitAt: isoOf(lastOld.atMs),
    firstNewCommitAt: isoOf(firstNew.atMs),
  };
}
