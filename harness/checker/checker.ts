/**
 * The checker: a pure function from what a drill recorded (the history, the cluster events, the
 * final read of the new primary) to a verdict. It never touches the cluster, so `flipdrill check`
 * re-runs it on a stored run, and its tests are literal histories.
 *
 * It is composed of small pure parts, each with its checks (stable ids) and its figures:
 *   workloadRanPart    the workload got writes acknowledged
 *   failoverPart       the fault, promotion, endpoint move, downtime (clients and database)
 *   expectationsPart   what the scenario says must have happened, against those figures
 *   setAlgebraPart     lost, recovered, unexpected, contradicted, duplicated; the recovery point
 *   readsPart          stale reads (reported) and impossible reads
 *   splitBrainPart     overlapping tenures of two primaries
 *   workloadPart       the workload's own checker (the bank's balances)
 * all reading one RunFacts (factsOf). The workload's `mutation` is what they call writes.
 *
 * Set algebra over write ids, as in Jepsen's set checker, and more:
 *   lost          acknowledged (ok) writes missing from the final state
 *   recovered     unknown (info) writes present in the final state (not an anomaly)
 *   unexpected    values in the final state that nobody tried to write
 *   contradicted  writes answered `fail` that are present anyway: the error classification is wrong
 *   duplicated    a value present more than once in the final state
 *   stale reads   a read that missed a write acknowledged before the read began (reported: replicas lag)
 *   read anomalies a read that found a value nobody wrote, a value whose write was answered
 *                 `fail`, or a value whose write had not been invoked when the read was answered
 *   split brain   two primaries committing acknowledged writes at overlapping times: a node on
 *                 one timeline still committing after another node (on any timeline, the same
 *                 one included: two standbys promoted together) began to
 * Times derived from them are never negative: the database downtime is 0 when the old primary
 * went on committing after the new one began (that overlap is the split brain), and the recovery
 * point of a loss in the middle of a run counts from the last surviving commit before the first
 * lost one.
 * Downtime is measured twice: by the clients (the last ok write before writes stopped to the first
 * ok write by the primary after the fault) and by the database (CloudNativePG's way: last commit on the old timeline to first
 * commit on the new one, from the rows' own clock_timestamp() and timeline stamps).
 */

import type { ClusterEvent, WrittenValue } from '../op.ts';
import { CLOCK_TOLERANCE_MS, clockSkewsOf } from './clocks.ts';
import { factsOf, type RunFacts, type Stamp } from './facts.ts';
import { idOf, isoOf, nsToMs, refOf, SET } from './history.ts';
import type { Check, CheckInput, CheckPart, CheckResult, Completed, FinalRow, OpCounts, ReadAnomaly, SplitBrain, StaleRead, WriteRef } from './types.ts';

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

/**
 * Two primaries at once, from the commit stamps: each node's run of commits on one timeline is one
 * primary's tenure (first to last commit); two tenures of different nodes that overlap are a split
 * brain, whatever their timelines (two standbys promoted together share one). Only acknowledged
 * writes of the earlier tenure, committed after the later one began, are evidence. A node that is
 * primary twice (fail-back) has two timelines, so two tenures that do not overlap.
 */
export function splitBrainOf(stamps: readonly Stamp[], acknowledged: (id: string) => boolean, ref: (id: string) => WriteRef): SplitBrain | null {
  const tenures = new Map<string, { node: string; timeline: number; first: number; last: number; stamps: Stamp[] }>();
  for (const s of stamps) {
    const key = `${s.node}\u0000${s.timeline}`;
    const t = tenures.get(key) ?? { node: s.node, timeline: s.timeline, first: s.atMs, last: s.atMs, stamps: [] };
    t.first = Math.min(t.first, s.atMs);
    t.last = Math.max(t.last, s.atMs);
    t.stamps.push(s);
    tenures.set(key, t);
  }
  const ordered = [...tenures.values()].sort((a, b) => a.first - b.first || a.timeline - b.timeline);
  for (let j = 1; j < ordered.length; j++) {
    const later = ordered[j]!;
    for (let i = 0; i < j; i++) {
      const earlier = ordered[i]!;
      if (earlier.node === later.node || earlier.last <= later.first) continue;
      const evidence = earlier.stamps.filter((s) => s.atMs > later.first && acknowledged(s.id)).sort((a, b) => a.atMs - b.atMs);
      if (evidence.length === 0) continue;
      return {
        newPrimary: later.node,
        newTimeline: later.timeline,
        newPrimaryFirstCommitAt: later.first,
        writes: evidence.map((s) => ({ ...ref(s.id), committedAtMs: s.atMs })),
      };
    }
  }
  return null;
}

/**
 * The clocks: commit stamps of two nodes compare only if their clocks agree. A node off by more
 * than the tolerance fails the run, unless the scenario set it off (the clock-skew fault): then the
 * check says which figures are not given, and why.
 */
export function clocksPart(f: RunFacts): CheckPart<Pick<CheckResult, 'clocks'>> {
  const skews = clockSkewsOf(f.input.events);
  if (skews.length === 0) return { checks: [], result: {} };
  const skewFault = f.input.events.some((e) => e.type === 'fault' && e.kind === 'clock-skew');
  const worst = skews.reduce((a, b) => (Math.abs(b.offsetMs) > Math.abs(a.offsetMs) ? b : a));
  return {
    checks: [
      {
        id: 'clocks-agree',
        name: `the data nodes' clocks agree with the harness's (within ${CLOCK_TOLERANCE_MS} ms), or the scenario set one off`,
        ok: f.stampsTrusted || skewFault,
        detail: f.stampsTrusted
          ? `at most ${Math.abs(worst.offsetMs)} ms off (${worst.node}, ±${worst.errorMs} ms)`
          : `${f.untrustedBecause}${skewFault ? ' (the clock-skew fault set it)' : ''}: commit stamps of different nodes do not compare, so the database downtime and repmgr's promotion time are not given, and split brain is judged on the harness's clock alone`,
      },
    ],
    result: { clocks: { trusted: f.stampsTrusted, skews } },
  };
}

/** The workload ran at all: without acknowledged writes nothing below means anything. */
export function workloadRanPart(f: RunFacts): CheckPart<Pick<CheckResult, 'counts'>> {
  return {
    checks: [{ id: 'writes-acknowledged', name: 'the workload got writes acknowledged', ok: f.okWrites.length > 0, detail: `${f.okWrites.length} acknowledged writes` }],
    result: { counts: { write: countsOf(f.pairs, f.mutation), read: countsOf(f.pairs, 'read') } },
  };
}

type Failover = Pick<CheckResult, 'fault' | 'faults' | 'promotion' | 'endpointMove' | 'writeUnavailability' | 'longestWriteGap' | 'writesAfterFault' | 'databaseDowntime' | 'floatingIp' | 'degradedReplication'>;

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

/** What the scenario says must have happened, held against the failover's figures. */
export function expectationsPart(f: RunFacts, failover: Failover): CheckPart<Pick<CheckResult, 'expectations'>> {
  const { input, expectations, faultNs, faultNode, primaryAtFault, standbyAtFault, standbysAtFault } = f;
  const { promotion, endpointMove, writesAfterFault, writeUnavailability, longestWriteGap, floatingIp } = failover;
  const events = input.events;
  const newPrimary = promotion?.node;
  const out: Check[] = [];
  if (expectations.promotion === 'either') {
    out.push({
      id: 'promotion-either',
      name: 'a failover or none: either is fine, the history must hold',
      ok: true,
      detail: promotion ? `${promotion.node} was promoted ${promotion.observedMs ?? promotion.reportedMs ?? '?'} ms after the fault` : `no promotion: ${primaryAtFault ?? 'the primary'} stayed primary`,
    });
    if (promotion) {
      out.push({
        id: 'endpoint-moved',
        name: 'the endpoint moved to the new primary',
        ok: endpointMove !== null && endpointMove.node === newPrimary,
        detail: endpointMove ? `moved to ${endpointMove.node} ${endpointMove.ms} ms after the fault` : 'the endpoint never moved',
      });
    }
  } else if (expectations.promotion) {
    out.push(
      {
        id: 'standby-promoted',
        name: 'a standby was promoted',
        ok: promotion !== null && promotion.node !== primaryAtFault,
        detail: promotion
          ? `${promotion.node} promoted (observed ${promotion.observedMs ?? '?'} ms, repmgr event ${promotion.reportedMs ?? '?'} ms after the fault)`
          : 'no promotion observed or reported by repmgr',
      },
      {
        id: 'endpoint-moved',
        name: 'the endpoint moved to the new primary',
        ok: endpointMove !== null && endpointMove.node === newPrimary,
        detail: endpointMove ? `moved to ${endpointMove.node} ${endpointMove.ms} ms after the fault` : 'the endpoint never moved',
      },
      {
        id: 'writes-resumed',
        name: 'writes resumed on the new primary',
        ok: writesAfterFault.onNewPrimary > 0,
        detail:
          expectations.nodeStamps === false
            ? `${writesAfterFault.onNewPrimary} acknowledged writes after the fault (the app's stamps name no node: each counts as ${newPrimary ?? 'the new primary'}'s)`
            : `${writesAfterFault.onNewPrimary} acknowledged writes committed by ${newPrimary ?? 'no new primary'} after the fault`,
      },
    );
  } else {
    out.push(
      {
        id: 'no-promotion',
        name: 'no standby was promoted',
        ok: promotion === null,
        detail: promotion ? `${promotion.node} was promoted although ${primaryAtFault} was healthy` : `${primaryAtFault ?? 'the primary'} stayed primary`,
      },
      {
        id: 'endpoint-stayed',
        name: 'the endpoint stayed on the primary',
        ok: endpointMove === null,
        detail: endpointMove ? `moved to ${endpointMove.node} ${endpointMove.ms} ms after the fault` : `stayed on ${primaryAtFault ?? 'the primary'}`,
      },
      {
        id: 'writes-went-on',
        name: 'writes went on',
        ok: writesAfterFault.onNewPrimary > 0,
        detail: `${writesAfterFault.onNewPrimary} acknowledged writes committed by ${primaryAtFault ?? 'the primary'} after the fault`,
      },
    );
  }
  const expectedPrimary = expectations.finalPrimary === 'primary' ? primaryAtFault : standbyAtFault;
  const expected =
    expectations.finalPrimary === 'either'
      ? [primaryAtFault, ...standbysAtFault].filter((n): n is string => n !== undefined)
      : expectations.finalPrimary === 'standby' && standbysAtFault.length > 1
        ? standbysAtFault
        : expectedPrimary !== undefined
          ? [expectedPrimary]
          : [];
  out.push({
    id: 'final-primary',
    name: expectations.finalPrimary === 'either' ? 'a data node of the cluster is primary at the end' : `the ${expectations.finalPrimary} at the fault is primary at the end`,
    ok: input.finalRead !== null && expected.includes(input.finalRead.node),
    detail: `expected ${expected.length ? expected.join(' or ') : '(unknown)'}, found ${input.finalRead?.node ?? 'no primary'}`,
  });
  if (expectations.maxWriteDownMs !== undefined) {
    const max = expectations.maxWriteDownMs;
    const down = writeUnavailability ? Math.max(writeUnavailability.ms, longestWriteGap?.ms ?? 0) : null;
    out.push({
      id: 'write-downtime',
      name: `writes were down at most ${max / 1000} s`,
      ok: down !== null && down <= max,
      detail: down !== null ? `down for ${(down / 1000).toFixed(2)} s at most` : 'writes never resumed',
      properties: { maxWriteDownMs: max, ...(down !== null ? { writeDownMs: down } : {}) },
    });
  }
  if (floatingIp) {
    out.push({
      id: 'floating-ip-on-primary',
      name: `the floating IP ${floatingIp.ip} is on the primary at the end`,
      ok: input.finalRead !== null && floatingIp.holder === input.finalRead.node,
      detail: `DigitalOcean assigns it to ${floatingIp.holder ?? 'nobody'}; the primary is ${input.finalRead?.node ?? 'unknown'}; the hook sent ${floatingIp.assignRequests.length} assign requests (${floatingIp.assignRequests.map((r) => r.status).join(', ') || 'none'})`,
    });
  }
  if (expectations.rejoin) {
    const heal = events.find((e) => e.type === 'heal' && faultNs !== undefined && (e.time ?? -1) >= faultNs);
    const rejoined = heal ? String(heal.node) : (faultNode ?? 'the faulted node');
    out.push({
      id: 'rejoined',
      name: `${rejoined} is back as a standby`,
      ok: heal?.role === 'standby',
      detail: heal ? `${heal.restarted ? 'restarted; ' : ''}it reported ${String(heal.role)} after ${String(heal.ms ?? '?')} ms` : 'it was not restarted',
    });
  }
  if (expectations.switchback) {
    const back = events.find((e) => e.type === 'switchback');
    const moved = back ? events.find((e) => e.type === 'endpoint' && e.action === 'move' && e.node === back.node && (e.time ?? -1) >= (back.time ?? Infinity)) : undefined;
    out.push({
      id: 'switched-back',
      name: `switched back: ${primaryAtFault ?? 'the old primary'} is primary again and holds the endpoint`,
      ok: back?.ok === true && moved !== undefined,
      detail: back
        ? back.ok
          ? `repmgr standby switchover on ${String(back.node)}; the endpoint followed ${moved && back.time !== undefined ? `${nsToMs(moved.time! - back.time)} ms after it was asked for` : 'never'}`
          : String(back.error ?? 'the endpoint did not follow')
        : 'no switchback was attempted',
    });
  }
  return { checks: out, result: { expectations } };
}

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

/** Two primaries committing acknowledged writes at overlapping times, from the commit stamps. */
export function splitBrainPart(f: RunFacts): CheckPart<Pick<CheckResult, 'splitBrain'>> {
  const ref = (id: string) => refOf(f.okWrites.find((p) => idOf(p.invoke) === id)!);
  const splitBrain = f.stampsTrusted ? splitBrainOf([...f.stamps.values()], (id) => f.ackNsById.has(id), ref) : splitBrainByHarnessClock(f, ref);
  const how = f.stampsTrusted ? '' : ` (judged on the harness's clock alone: ${f.untrustedBecause})`;
  return {
    checks: [
      {
        id: 'no-split-brain',
        name: 'no split brain',
        ok: splitBrain === null,
        detail: splitBrain
          ? `${splitBrain.writes.length} acknowledged writes committed by another primary after ${splitBrain.newPrimary} took over${how}`
          : f.stampsTrusted
            ? 'one primary at a time'
            : `no acknowledged write sent after the harness saw a new primary was committed by an older one${how}`,
      },
    ],
    result: { splitBrain },
  };
}

/**
 * Split brain when the nodes' clocks cannot be compared: an acknowledged write sent after the
 * harness saw the new primary (its own clock, both ends), yet committed by another node on an older
 * timeline. Weaker than the stamps' judgement (a write sent just before the look is not counted),
 * never wrong for a clock.
 */
export function splitBrainByHarnessClock(f: RunFacts, ref: (id: string) => WriteRef): SplitBrain | null {
  const seen = f.input.events.find((e) => e.type === 'promotion-observed' && typeof e.time === 'number' && typeof e.node === 'string');
  if (!seen || typeof seen.timeline !== 'number') return null;
  const evidence = f.okWrites
    .filter((p) => p.invoke.time > seen.time!)
    .map((p) => f.stamps.get(idOf(p.invoke)!))
    .filter((s): s is Stamp => s !== undefined && s.node !== seen.node && s.timeline < (seen.timeline as number));
  if (evidence.length === 0) return null;
  return {
    newPrimary: String(seen.node),
    newTimeline: seen.timeline,
    newPrimaryFirstCommitAt: typeof seen.wall === 'number' ? seen.wall : nsToMs(seen.time!),
    writes: evidence.map((s) => ({ ...ref(s.id), committedAtMs: s.atMs })),
  };
}

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

/** The workload's own checker, composed in. */
export function workloadPart(f: RunFacts): CheckPart<Pick<CheckResult, 'workload'>> {
  const workload = f.input.workload ?? SET;
  const own = workload.check(f.pairs, f.input.finalRead);
  return { checks: own.checks, result: { workload: { name: workload.name, mutation: workload.mutation, ...own.details, lines: own.lines } } };
}

/**
 * The checker: the parts above, composed. Each part is a small pure function of the run's facts
 * (the failover's expectations also of the failover's figures); the verdict is PASS when every
 * check of every part holds.
 */
export function check(input: CheckInput, lines?: readonly number[]): CheckResult {
  const facts = factsOf(input, lines);
  const ran = workloadRanPart(facts);
  const failover = failoverPart(facts);
  const expected = expectationsPart(facts, failover.result);
  const set = setAlgebraPart(facts);
  const reads = readsPart(facts);
  const splitBrain = splitBrainPart(facts);
  const clocks = clocksPart(facts);
  const own = workloadPart(facts);
  const dsql = dsqlPart(facts);
  const checks = [ran, failover, expected, set, reads, splitBrain, clocks, own, dsql].flatMap((p) => p.checks);
  return {
    verdict: checks.every((c) => c.ok) ? 'PASS' : 'FAIL',
    checks,
    ...ran.result,
    ...failover.result,
    ...expected.result,
    ...set.result,
    ...reads.result,
    ...splitBrain.result,
    ...clocks.result,
    ...own.result,
    ...dsql.result,
  };
}
