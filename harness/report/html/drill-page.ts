/**
 * report.html: one self-contained page per drill run, for the engineer reading the result: the
 * verdict, the figures, a timeline of what the clients saw against what the cluster did, the
 * checks, every anomaly with the operations behind it, and the cluster's events.
 *
 * Everything is rendered in this folder: inline CSS, inline SVG, no script, no external URL, so the page
 * opens as it is from a CI artifact, a mail attachment or a copied run folder.
 *
 * One time axis for the whole page: 0 is the drill's start, the origin of `time` in the history
 * and the events (the drill's clock); events that carry only a wall-clock time (repmgr's, read
 * back from its table) are placed by the wall clock of that start (report.json's startedAt).
 *
 * What the chart draws is also in its attributes, so a test can check in a real browser that the
 * page shows what the history holds:
 *   <svg data-testid="timeline-chart" data-end-ms data-plot-left data-plot-right data-wall-origin>  the x axis: ms 0..end-ms over plot-left..plot-right
 *   <g data-x-tick-ms><title>ISO wall time</title>                                         each time tick
 *   <rect data-f="write|read" data-type="ok|fail|info" data-bucket-start-ms data-count>   one per bar segment
 *   <rect data-lost-bucket-start-ms data-lost-count>                                      the lost ones among the ok writes
 *   <rect data-no-reads-from-ms data-no-reads-to-ms>                                      a stretch in which no read was sent
 *   <rect data-inflight-start-ms data-inflight>                                           most operations in flight at once, per bucket
 *   <g data-panel="start-latency" data-y-low-ms data-y-high-ms data-top data-height>      latency by start time (log scale)
 *     <g data-outcome="ok|fail|info|open|lost" data-count><circle>                        one dot per operation (class "read" for a read)
 *   <circle data-latency="median|max" data-bucket-start-ms data-ms>                       write latency by answer time
 *   <line data-marker="fault|promotion|endpoint-move|heal|switchback" data-at-ms>         cluster events
 *   <path data-lane-marker="repmgr|endpoint-agent" data-at-ms data-event|data-action>     repmgr's events, the endpoint agent's actions
 *   <rect data-band="write-unavailability" data-from-ms data-to-ms>                       writes down
 *   <rect data-band="fault" data-kind data-node data-from-ms data-to-ms data-healed>      each fault, injected to healed
 * Sections carry data-testid (verdict, figures, timeline, timeline-chart, checks, anomalies,
 * anomaly-<kind>, events, settings).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { writeFileSafely } from '../../../cluster/lib/safe-write.ts';
import { pairOperations } from '../../checker/history.ts';
import type { DrillReport } from '../report.ts';
import { parseEvents, parseHistoryLines } from '../../history.ts';
import type { ClusterEvent, Op } from '../../op.ts';
import { readRunFile, readRunJson, RunFolderError } from '../stored-run.ts';
import { html } from './markup.ts';
import { at, duration, nsToMs } from './format.ts';
import { page } from './page.ts';
import { bucketsOf, faultBandsOf, historyEndNs, inFlightPeaks, laneMarkerOf, markerOf, noReadStretches, opKey, runTimeOf, startLatencyDots, type LaneMarker, type Marker } from './timeline.ts';
import { legend, timelineChart, type ChartData } from './chart.ts';
import { anomaliesSection, checksSection, eventsSection, figures, settingsSection, stalenessSection } from './sections.ts';

export interface HtmlReportInput {
  report: DrillReport;
  history: readonly Op[];
  events: readonly ClusterEvent[];
}

/** The page, from what a run folder holds. Pure: the same input gives the same page. */
export function renderHtmlReport({ report, history, events }: HtmlReportInput): string {
  const { result } = report;
  const mutation = result.workload?.mutation ?? 'write';
  const pairs = pairOperations(history, undefined, { name: result.workload?.name ?? 'set', mutation, fs: [...new Set(history.map((op) => op.f))] });
  const pairsById = new Map(pairs.filter((p) => p.invoke.f === mutation).map((p) => [(p.invoke.value as { id: string }).id, p]));
  const time = runTimeOf(report.startedAt, events);
  const markers = events.map((e) => markerOf(e, time)).filter((m): m is Marker => m !== null);
  const lostIds = new Set(result.lost.map((l) => l.id));
  const buckets = bucketsOf(pairs, lostIds, mutation);
  const endNs = historyEndNs(history);
  // The end of the run: the last thing it recorded, an operation or an event. A fault never healed lasts to here.
  const endMs = events.reduce((end, e) => Math.max(end, time.msOf(e) ?? 0), nsToMs(endNs));
  const chart: ChartData = {
    buckets,
    markers,
    laneMarkers: events.map((e) => laneMarkerOf(e, time)).filter((m): m is LaneMarker => m !== null),
    outage: result.writeUnavailability,
    bands: faultBandsOf(events, time, endMs),
    dots: startLatencyDots(pairs, lostIds, mutation, endNs, sessionReadsOf(result)),
    inFlight: inFlightPeaks(pairs, endNs),
    noReads: noReadStretches(pairs, mutation, endNs),
    endMs,
    time,
  };
  const failed = result.checks.filter((c) => !c.ok);
  const gist = [
    result.fault ? `${result.fault.kind} on ${result.fault.node} at ${at(result.fault.atMs)}` : 'no fault recorded',
    result.promotion ? `${result.promotion.node} promoted after ${duration(result.promotion.observedMs)}` : 'no promotion',
    result.writeUnavailability ? `writes down ${duration(result.writeUnavailability.ms)}` : 'writes never resumed',
    `${result.lost.length} of ${result.counts.write.ok} acknowledged writes lost`,
  ].join(' · ');

  return page(
    `flipdrill ${result.verdict}: ${report.scenario} (${report.runId})`,
    html`
  <header class="run ${result.verdict}">
    <div class="verdict" data-testid="verdict" data-verdict="${result.verdict}">${result.verdict}</div>
    <div>
      <h1 data-testid="scenario">${report.scenario}</h1>
      <p class="meta">run <code data-testid="run-id">${report.runId}</code> · started ${report.startedAt} · ${report.cluster.replication} replication${report.cluster.app ? ` · app ${report.cluster.app}` : ''} · cluster ${report.cluster.name}</p>
      <p class="gist">${gist}</p>
      ${failed.length > 0 && html`<ul class="failed-checks">${failed.map((c) => html`<li><strong>${c.name}</strong>: ${c.detail}</li>`)}</ul>`}
    </div>
  </header>
  ${figures(result)}
  <section data-testid="timeline"><h2>Timeline</h2>
    <section class="chart">
      ${legend(result.lost.length > 0)}
      ${pairs.length > 0 ? timelineChart(chart) : html`<p class="muted">The history holds no operation.</p>`}
    </section>
  </section>
  ${checksSection(result)}
  ${anomaliesSection(result, pairsById)}
  ${stalenessSection(result)}
  ${eventsSection(events, time)}
  ${settingsSection(report)}
  <footer>flipdrill report (${report.schema}). The bars count operations by when their answer came, the dots place each by when it was invoked; times are seconds since the drill started. report.json, history.jsonl and events.jsonl in this folder hold everything shown here.</footer>`,
  );
}

/** The reads against their session (and from replaced timelines), keyed for their dots, with why. */
function sessionReadsOf(result: DrillReport['result']): Map<string, string> {
  const s = result.sessions;
  const out = new Map<string, string>();
  for (const a of s?.readYourWrites ?? []) out.set(opKey(a.process, a.readAtMs), `missed ${a.id}, which session ${a.session} had written (acknowledged at ${at(a.earlierAtMs)})`);
  for (const a of s?.monotonicReads ?? []) out.set(opKey(a.process, a.readAtMs), `missed ${a.id}, which session ${a.session} had read${a.earlierServedBy ? ` from ${a.earlierServedBy}` : ''} (answered at ${at(a.earlierAtMs)})`);
  for (const d of s?.deposedReads ?? []) out.set(opKey(d.process, d.readAtMs), `${d.servedBy} was on timeline ${d.timeline}; ${d.newPrimary} was already primary on ${d.newTimeline}`);
  return out;
}

/** Write report.html into a finished run folder, from its report.json, history.jsonl and events.jsonl. */
export function writeHtmlReport(runDir: string): string {
  const file = (name: string) => path.join(runDir, name);
  if (!existsSync(file('report.json'))) throw new RunFolderError(`${runDir} has no report.json: the drill has not finished`);
  // Read as every run file is: never through a link, never a FIFO, nothing of a bad file quoted.
  const report = readRunJson<DrillReport>(file('report.json'));
  const { ops } = parseHistoryLines(readRunFile(file('history.jsonl')));
  const events = existsSync(file('events.jsonl')) ? parseEvents(readRunFile(file('events.jsonl'))) : [];
  const out = file('report.html');
  writeFileSafely(out, renderHtmlReport({ report, history: ops, events }));
  return out;
}
