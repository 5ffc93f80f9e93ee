/** The summary a person reads at the end of a drill, and of `flipdrill check`. */
import type { CheckResult, StalenessFigures, WriteRef } from '../checker/types.ts';
import type { Aggregate } from './report.ts';

const fmt = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? 'n/a' : Math.abs(ms) >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;

/** At most `limit` items, one per line, with a count of the rest. */
function listed<T>(items: readonly T[], line: (item: T) => string, limit = 10): string[] {
  const lines = items.slice(0, limit).map((i) => `                   ${line(i)}`);
  if (items.length > limit) lines.push(`                   ... and ${items.length - limit} more in report.json`);
  return lines;
}

const writeLine = (w: WriteRef) =>
  `${w.id}  process ${w.process}, invoked at ${fmt(w.invokedAtMs)}${w.completedAtMs !== null ? `, answered at ${fmt(w.completedAtMs)}` : ', never answered'}${w.committedBy ? `, committed by ${w.committedBy} (timeline ${w.committedTimeline})` : ''}`;

export function renderSummary(result: CheckResult, runDir: string, scenario?: string): string {
  const lines: string[] = [];
  const { write, read } = result.counts;
  const open = (n: number) => (n ? `, ${n} cut off` : '');
  // The workload's mutations by their own name (the bank's transfers), in the set's column.
  const writes = !result.workload || result.workload.mutation === 'write' ? 'writes' : `${result.workload.mutation}s`;
  lines.push(`flipdrill: ${scenario ?? result.fault?.kind ?? 'drill'}${result.fault ? ` (${result.fault.kind} on ${result.fault.node})` : ''}, ${result.expectations.replication} replication`);
  lines.push(
    `  promotion        ${result.promotion ? `${result.promotion.node} primary after ${fmt(result.promotion.observedMs)} (asked of the database${result.promotion.reportedMs !== null ? `; repmgr logged its promote event at ${fmt(result.promotion.reportedMs)}` : ''})` : 'none'}`,
  );
  if (result.faults) {
    // A fault still on when the next one came overlapped it.
    const overlapping = result.faults.filter((f, i) => result.faults!.slice(i + 1).some((g) => f.healedAtMs === null || g.atMs < f.healedAtMs)).length;
    const how = overlapping ? `${overlapping} of them still on when the next came` : 'each healed before the next';
    lines.push(`  faults           ${result.faults.length}, ${how} (promotion, endpoint and downtime figures are the first fault's; the checks hold for the whole history):`);
    for (const f of result.faults) lines.push(`                   ${f.kind} on ${f.node} at ${fmt(f.atMs)}, ${f.healedAtMs === null ? 'never healed' : `healed at ${fmt(f.healedAtMs)}`}`);
  }
  lines.push(`  endpoint move    ${result.endpointMove ? `to ${result.endpointMove.node} after ${fmt(result.endpointMove.ms)}` : 'none'}`);
  if (result.floatingIp) {
    const f = result.floatingIp;
    lines.push(
      `  floating IP      ${f.ip} on ${f.holder ?? 'nobody'}; the move took ${fmt(f.moveMs)} at DigitalOcean; the hook's assign requests: ${f.assignRequests.map((r) => r.status).join(', ') || 'none'}`,
    );
  }
  lines.push(`  writes down for  ${result.writeUnavailability ? fmt(result.writeUnavailability.ms) : 'n/a (writes never resumed)'} seen by the clients (last ok write before writes stopped to the first ok write by the primary after the fault)`);
  if (result.longestWriteGap && result.writeUnavailability && result.longestWriteGap.ms > result.writeUnavailability.ms) {
    const g = result.longestWriteGap;
    lines.push(`                   ${fmt(g.ms)} longest gap between acknowledged writes after the fault (from ${fmt(g.fromMs)} to ${fmt(g.toMs)})`);
  }
  if (result.databaseDowntime) {
    const d = result.databaseDowntime;
    lines.push(`                   ${fmt(d.ms)} seen by the database (last commit on timeline ${d.oldTimeline} to first commit on timeline ${d.newTimeline})`);
  } else if (result.expectations.nodeStamps === false) {
    lines.push(`                   not given from the database: the app's commit stamps name no node (Aurora DSQL's profile)`);
  } else if (result.clocks && !result.clocks.trusted) {
    lines.push(`                   not given from the database's commit stamps: the nodes' clocks disagree (see the clocks check)`);
  }
  lines.push(`  ${writes.padEnd(17)}${write.ok} ok, ${write.fail} failed, ${write.info} unknown${open(write.open)}; ${result.writesAfterFault.onNewPrimary} ok on the new primary`);
  const dbs = Object.entries(result.writesByDatabase ?? {});
  if (dbs.length > 1) lines.push(`  databases        ${dbs.map(([db, w]) => `${db}: ${w.ok} acknowledged writes, ${w.lost} lost`).join('; ')}`);
  lines.push(`  reads            ${read.ok} ok, ${read.fail} failed${open(read.open)}; ${result.staleReads.length} stale`);
  lines.push(`  lost             ${result.lost.length} acknowledged ${writes}${result.recoveryPoint && result.lost.length ? `, ${result.recoveryPoint.seconds} s of writes (recovery point)` : ''}${result.lost.length ? ':' : ''}`);
  lines.push(...listed(result.lost, writeLine));
  if (result.recovered.length) lines.push(`  recovered        ${result.recovered.length} writes with an unknown outcome turned out committed (fine: that is what unknown means)`);
  if (result.contradicted.length) {
    lines.push(`  contradicted     ${result.contradicted.length} writes answered "failed" are in the database:`);
    lines.push(...listed(result.contradicted, writeLine));
  }
  if (result.unexpected.length) {
    lines.push(`  unexpected       ${result.unexpected.length} values nobody wrote:`);
    lines.push(...listed(result.unexpected, (id) => id));
  }
  if (result.duplicated.length) {
    lines.push(`  duplicated       ${result.duplicated.length} values present more than once:`);
    lines.push(...listed(result.duplicated, (d) => `${d.id} (${d.count} times)`));
  }
  if (result.staleReads.length) {
    lines.push(`  stale reads      ${result.staleReads.length} reads missed a write acknowledged before they began (replica lag):`);
    lines.push(...listed(result.staleReads, (r) => `${r.id}  read at ${fmt(r.readAtMs)}, ${fmt(r.lagMs)} after its write was acknowledged`, 5));
  }
  if (result.readAnomalies?.length) {
    lines.push(`  read anomalies   ${result.readAnomalies.length} reads saw what cannot exist (a value nobody wrote, a write answered "failed", a write not yet invoked):`);
    lines.push(...listed(result.readAnomalies, (r) => `${r.id}  read at ${fmt(r.readAtMs)}: ${r.kind}`, 5));
  }
  const sessions = result.sessions;
  if (sessions?.readYourWrites.length) {
    lines.push(`  read-your-writes ${sessions.readYourWrites.length} reads missed their own session's acknowledged write:`);
    lines.push(...listed(sessions.readYourWrites, (a) => `${a.id}  session ${a.session}, read at ${fmt(a.readAtMs)} from ${a.servedBy ?? '?'}, its write acknowledged at ${fmt(a.earlierAtMs)}`, 5));
  }
  if (sessions?.monotonicReads.length) {
    lines.push(`  monotonic reads  ${sessions.monotonicReads.length} reads no longer found a row their session had seen:`);
    lines.push(...listed(sessions.monotonicReads, (a) => `${a.id}  session ${a.session}, read at ${fmt(a.readAtMs)} from ${a.servedBy ?? '?'}, seen at ${fmt(a.earlierAtMs)}${a.earlierServedBy ? ` from ${a.earlierServedBy}` : ''}`, 5));
  }
  if (sessions?.deposedReads.length) {
    lines.push(`  deposed reads    ${sessions.deposedReads.length} reads answered on a timeline a newer primary had replaced:`);
    lines.push(...listed(sessions.deposedReads, (d) => `${d.id}  read at ${fmt(d.readAtMs)} from ${d.servedBy} (${d.role}, timeline ${d.timeline}); ${d.newPrimary} primary on ${d.newTimeline}`, 5));
  }
  for (const n of sessions?.staleness ?? []) {
    const phase = (name: string, f: StalenessFigures) => `${name} ${f.misses} of ${f.reads} missed${f.misses ? ` (median ${fmt(f.medianMs!)}, p95 ${fmt(f.p95Ms!)}, worst ${fmt(f.worstMs!)} after the write)` : ''}`;
    lines.push(`  staleness ${n.node.padEnd(7)}${phase('before the fault', n.normal)}; ${phase('from it on', n.failover)}`);
  }
  for (const r of sessions?.refollow ?? []) {
    lines.push(`  re-follow        ${r.node} ${r.refollowMs === null ? 'never received the new timeline while the drill looked' : `received the new timeline ${fmt(r.refollowMs)} after the promotion was seen`}; ${r.readsMeanwhile} reads answered meanwhile`);
  }
  if (result.splitBrain) {
    lines.push(`  split brain      ${result.splitBrain.writes.length} writes acknowledged by another primary after ${result.splitBrain.newPrimary} took over (timeline ${result.splitBrain.newTimeline}):`);
    lines.push(...listed(result.splitBrain.writes, writeLine));
  }
  if (result.degradedReplication) lines.push(`  note             ${result.degradedReplication}`);
  if (result.dsql) {
    const refused = Object.entries(result.dsql.refused);
    lines.push(
      `  DSQL stand-in    ${result.dsql.conflicts} write conflicts answered as OC000 (retried by the app), ${result.dsql.sessions} sessions; refused ${refused.length ? refused.map(([rule, n]) => `${rule} x${n}`).join(', ') : 'nothing'}`,
    );
  }
  for (const line of result.workload?.lines ?? []) lines.push(`  ${line}`);
  lines.push('  checks');
  for (const c of result.checks) lines.push(`    ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  lines.push(`verdict: ${result.verdict}   (run folder: ${runDir})`);
  return lines.join('\n');
}

/** `--repeat`: a line per iteration, then the aggregate. */
export function renderAggregate(agg: Aggregate, runDir: string): string {
  const lines = [`flipdrill: ${agg.scenario} x ${agg.iterations.length}`];
  const rotating = new Set(agg.iterations.map((i) => i.scenario)).size > 1;
  for (const i of agg.iterations) {
    lines.push(
      `  ${String(i.iteration).padStart(3)}  ${i.verdict.padEnd(4)}  ${rotating ? `${i.scenario}: ` : ''}fault on ${i.faultNode ?? '?'}, primary after: ${i.newPrimary ?? '(none)'}, writes down ${fmt(i.writeDownMs)}, lost ${i.lost}`,
    );
  }
  lines.push(`  writes down      median ${fmt(agg.writeDownMs.median)}, worst ${fmt(agg.writeDownMs.worst)}`);
  lines.push(`  lost             ${agg.totalLost} acknowledged writes in all`);
  const own = agg.iterations.map((i) => i.resources).filter((r) => r !== undefined);
  if (own.length > 1) {
    const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
    const first = own[0]!;
    const last = own.at(-1)!;
    lines.push(
      `  flipdrill itself RSS ${mb(first.rssBytes)} after the first iteration, ${mb(last.rssBytes)} after the last (max ${mb(Math.max(...own.map((r) => r.rssBytes)))}); ` +
        `heap ${mb(first.heapUsedBytes)} -> ${mb(last.heapUsedBytes)}; active handles ${first.activeResources} -> ${last.activeResources}`,
    );
  }
  lines.push(`verdict: ${agg.verdict} (${agg.passed} of ${agg.iterations.length} iterations passed)   (run folder: ${runDir}; each iteration has its own, checkable with flipdrill check)`);
  return lines.join('\n');
}

/**
 * Text with every control character but newline and tab removed (terminal escape sequences
 * included), and the bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
 * U+061C), which make a terminal show text in another order than it is.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]|\p{Bidi_Control}/gu, '');
}
