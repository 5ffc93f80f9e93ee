/** The summary a person reads at the end of a drill. */
import type { DrillResult } from '../checker/drill-checker.ts';

const fmt = (ms: number | null | undefined) => (ms === null || ms === undefined ? 'n/a' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

export function renderSummary(result: DrillResult, runDir: string): string {
  const lines: string[] = [];
  const { write, read } = result.counts;
  lines.push(`flipdrill: ${result.fault?.kind ?? 'drill'}${result.fault ? ` (${result.fault.node})` : ''}`);
  lines.push(
    `  promotion        ${result.promotion ? `${result.promotion.node} primary after ${fmt(result.promotion.observedMs)} (asked of the database; repmgr logged its promote event at ${fmt(result.promotion.reportedMs)})` : 'none'}`,
  );
  lines.push(`  endpoint move    ${result.endpointMove ? `to ${result.endpointMove.node} after ${fmt(result.endpointMove.ms)}` : 'none'}`);
  lines.push(`  writes down for  ${result.writeUnavailability ? fmt(result.writeUnavailability.ms) : 'n/a (writes never resumed)'} (last ok write before the fault to first ok write after it)`);
  lines.push(`  writes           ${write.ok} ok, ${write.fail} failed, ${write.info} unknown; ${result.writesAfterFault.onNewPrimary} ok on the new primary`);
  lines.push(`  reads            ${read.ok} ok (${result.staleReads} did not see their write yet), ${read.fail} failed`);
  lines.push(`  lost             ${result.lost.length} acknowledged writes${result.lost.length ? ':' : ''}`);
  for (const l of result.lost.slice(0, 20)) lines.push(`                   ${l.id} acked at ${fmt(l.ackedAtMs)} by ${l.committedBy} (timeline ${l.committedTimeline})`);
  if (result.lost.length > 20) lines.push(`                   ... and ${result.lost.length - 20} more in report.json`);
  if (result.recovered.length) lines.push(`  recovered        ${result.recovered.length} unknown-outcome writes turned out to be committed`);
  if (result.contradicted.length) lines.push(`  contradicted     ${result.contradicted.length} writes answered "failed" are present: ${result.contradicted.slice(0, 5).join(', ')}`);
  lines.push('  checks');
  for (const c of result.checks) lines.push(`    ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  lines.push(`verdict: ${result.verdict}   (run folder: ${runDir})`);
  return lines.join('\n');
}
