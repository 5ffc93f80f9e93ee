/**
 * report.html: one self-contained page per drill run, for the engineer reading the result: the
 * verdict, the figures, a timeline of what the clients saw against what the cluster did, the
 * checks, every anomaly with the operations behind it, and the cluster's events.
 *
 * Everything is rendered here: inline CSS, inline SVG, no script, no external URL, so the page
 * opens as it is from a CI artifact, a mail attachment or a copied run folder.
 *
 * What the chart draws is also in its attributes, so a test can check in a real browser that the
 * page shows what the history holds:
 *   <rect data-f="write|read" data-type="ok|fail|info" data-bucket-start-ms data-count>   one per bar segment
 *   <rect data-lost-bucket-start-ms data-lost-count>                                      the lost ones among the ok writes
 *   <circle data-latency="median|max" data-bucket-start-ms data-ms>                       write latency
 *   <line data-marker="fault|promotion|endpoint-move|heal|switchback" data-at-ms>         cluster events
 *   <rect data-band="write-unavailability" data-from-ms data-to-ms>                       writes down
 *   <rect data-band="fault" data-kind data-node data-from-ms data-to-ms>                  each fault, injected to healed
 * Sections carry data-testid (verdict, figures, timeline, timeline-chart, checks, anomalies,
 * anomaly-<kind>, events, settings).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pairOperations, type CheckResult, type ReadAnomaly, type WriteRef } from '../checker/checker.ts';
import type { Aggregate, DrillReport } from './report.ts';
import { parseHistoryLines, readEvents } from '../history.ts';
import type { ClusterEvent, Op, WrittenValue } from '../op.ts';
import { RunFolderError } from './stored-run.ts';

/** The chart counts operations by the 100 ms in which their answer came. */
export const BUCKET_MS = 100;
/** Anomaly lists stop here; report.json has them all. */
export const LIST_LIMIT = 50;

export type Outcome = 'ok' | 'fail' | 'info';
export type MarkerKind = 'fault' | 'promotion' | 'endpoint-move' | 'heal' | 'switchback';

export interface HtmlReportInput {
  report: DrillReport;
  history: readonly Op[];
  events: readonly ClusterEvent[];
}

// ---------------------------------------------------------------------------------------------
// Markup that escapes by default: every interpolated string is escaped unless it is itself Markup
// made by `html`, so a node name or an error message can never become markup.

class Markup {
  constructor(readonly text: string) {}
}

type Interpolation = Markup | string | number | boolean | null | undefined | readonly Interpolation[];

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function renderInterpolation(value: Interpolation): string {
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(renderInterpolation).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

function html(strings: TemplateStringsArray, ...values: Interpolation[]): Markup {
  let text = strings[0]!;
  values.forEach((value, i) => {
    text += renderInterpolation(value) + strings[i + 1]!;
  });
  return new Markup(text);
}

// ---------------------------------------------------------------------------------------------
// Numbers as a person reads them.

/** Milliseconds since the drill started, as the checker rounds them (two decimals). */
const nsToMs = (ns: number) => Math.round(ns / 1e4) / 100;
const duration = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? 'n/a' : Math.abs(ms) >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
/** A moment of the drill: seconds since it started, to the millisecond. */
const at = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const wallClock = (epochMs: number) => new Date(epochMs).toISOString().slice(11, 23);
/** The time of day of a database timestamp, as written (an unparsable one is shown as it is). */
const timeOfDay = (iso: string) => (Number.isNaN(Date.parse(iso)) ? iso : `${wallClock(Date.parse(iso))} UTC`);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** One decimal is enough for SVG coordinates, and keeps the page small. */
const px = (n: number) => Math.round(n * 10) / 10;
const humanKey = (key: string) => key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${humanKey(k)} ${describeValue(v)}`)
      .join(', ');
  }
  return String(value);
}

const textOf = (value: unknown) => (value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));

// ---------------------------------------------------------------------------------------------
// What the chart is drawn from.

type Counts = Record<Outcome, number>;

interface Bucket {
  startMs: number;
  write: Counts;
  read: Counts;
  /** Of the ok writes, how many the checker found lost. */
  lostWrites: number;
  /** Latency of the writes answered in this bucket, whatever the answer: a timeout is what its user waited. */
  writeLatencyMs: number[];
}

type Pair = ReturnType<typeof pairOperations>[number];

/** The workload's mutations (its `write`, the bank's `transfer`) are the chart's writes; the rest its reads. */
function bucketsOf(pairs: readonly Pair[], lostIds: ReadonlySet<string>, mutation: string): Bucket[] {
  const byIndex = new Map<number, Bucket>();
  for (const { invoke, completion } of pairs) {
    if (!completion) continue;
    const index = Math.floor(completion.time / (BUCKET_MS * 1e6));
    let bucket = byIndex.get(index);
    if (!bucket) {
      bucket = { startMs: index * BUCKET_MS, write: { ok: 0, fail: 0, info: 0 }, read: { ok: 0, fail: 0, info: 0 }, lostWrites: 0, writeLatencyMs: [] };
      byIndex.set(index, bucket);
    }
    const isMutation = invoke.f === mutation;
    bucket[isMutation ? 'write' : 'read'][completion.type as Outcome] += 1;
    if (!isMutation) continue;
    bucket.writeLatencyMs.push((completion.time - invoke.time) / 1e6);
    if (completion.type === 'ok' && lostIds.has((invoke.value as { id: string }).id)) bucket.lostWrites += 1;
  }
  return [...byIndex.values()].sort((a, b) => a.startMs - b.startMs);
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Marker {
  kind: MarkerKind;
  atMs: number;
  label: string;
  /** The event in full, for the tooltip. */
  title: string;
}

function markerOf(event: ClusterEvent): Marker | null {
  if (event.time === undefined) return null;
  const atMs = nsToMs(event.time);
  const node = textOf(event.node);
  const make = (kind: MarkerKind, label: string, detail: unknown) => ({ kind, atMs, label, title: `${label} at ${at(atMs)}${detail ? `: ${textOf(detail)}` : ''}` });
  if (event.type === 'fault') return make('fault', `fault: ${textOf(event.kind)} ${node}`, event.detail);
  if (event.type === 'promotion-observed') return make('promotion', `${node} promoted`, `primary on timeline ${textOf(event.timeline)}`);
  if (event.type === 'endpoint' && event.action === 'move') return make('endpoint-move', `endpoint → ${node}`, event.reason);
  if (event.type === 'heal') return make('heal', `heal ${node}`, event.restarted ? `restarted, ${textOf(event.role)} after ${textOf(event.ms)} ms` : 'nothing to restart');
  if (event.type === 'switchback') return make('switchback', `switchback to ${node}`, event.ok === false ? `failed: ${textOf(event.error)}` : `done in ${textOf(event.ms)} ms`);
  return null;
}

// ---------------------------------------------------------------------------------------------
// The timeline chart: three panels sharing one time axis (writes, reads, write latency), with the
// cluster's events as vertical lines across all three and the write outage as a shaded band.

const CHART_WIDTH = 1200;
const PLOT_LEFT = 64;
const PLOT_RIGHT = CHART_WIDTH - 20;
const LABEL_ROW_HEIGHT = 15;
const MAX_LABEL_ROWS = 4;
const LABEL_CHAR_WIDTH = 7;
const OUTCOMES: readonly Outcome[] = ['ok', 'info', 'fail'];
const OUTCOME_NAMES: Record<Outcome, string> = { ok: 'ok', fail: 'failed', info: 'unknown' };

/** A round step that divides `span` into at most `maxSteps` parts: 1, 2 or 5 times a power of ten. */
function niceStep(span: number, maxSteps: number): number {
  const raw = span / maxSteps;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw) ?? 10 * power;
}

/**
 * Labels of the markers placed in rows above the plot so that they do not overlap. Markers of
 * one kind with the same label (a controller moving the endpoint again and again) share one
 * label, on the first of them, with their count.
 */
function placeLabels(markers: readonly Marker[], x: (ms: number) => number): { marker: Marker; text: string; row: number; x: number; anchor: 'start' | 'end' }[] {
  const groups = new Map<string, Marker[]>();
  for (const m of markers) {
    const key = `${m.kind}\u0000${m.label}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const rowEnds: number[] = [];
  return [...groups.values()]
    .map((group) => ({ marker: group[0]!, text: group.length > 1 ? `${group[0]!.label} (×${group.length})` : group[0]!.label }))
    .sort((a, b) => a.marker.atMs - b.marker.atMs)
    .map(({ marker, text }) => {
      const width = text.length * LABEL_CHAR_WIDTH;
      const lineX = x(marker.atMs);
      const anchor: 'start' | 'end' = lineX + width + 4 > CHART_WIDTH ? 'end' : 'start';
      const from = anchor === 'start' ? lineX : lineX - width - 4;
      let row = rowEnds.findIndex((end) => end + 8 <= from);
      if (row === -1) row = rowEnds.length < MAX_LABEL_ROWS ? rowEnds.length : rowEnds.indexOf(Math.min(...rowEnds));
      rowEnds[row] = Math.max(rowEnds[row] ?? -Infinity, from + width + 4);
      return { marker, text, row, x: anchor === 'start' ? lineX + 3 : lineX - 3, anchor };
    });
}

interface Panel {
  title: string;
  top: number;
  height: number;
}

function barsPanel(panel: Panel, f: 'write' | 'read', buckets: readonly Bucket[], x: (ms: number) => number): Markup {
  const totals = buckets.map((b) => b[f].ok + b[f].fail + b[f].info);
  const step = niceStep(Math.max(...totals, 1), 4);
  const yMax = Math.max(step, Math.ceil(Math.max(...totals, 1) / step) * step);
  const y = (count: number) => panel.top + panel.height - (count / yMax) * panel.height;
  const barWidth = Math.max(x(BUCKET_MS) - x(0) - 1, 0.6);
  const ticks = Array.from({ length: Math.round(yMax / step) + 1 }, (_, i) => i * step);
  const noun = f === 'write' ? 'writes' : 'reads';
  return html`
    <text class="panel-title" x="${PLOT_LEFT}" y="${panel.top - 8}">${panel.title}</text>
    ${ticks.map(
      (t) => html`<line class="grid" x1="${PLOT_LEFT}" x2="${PLOT_RIGHT}" y1="${px(y(t))}" y2="${px(y(t))}"/><text class="tick" x="${PLOT_LEFT - 6}" y="${px(y(t)) + 4}" text-anchor="end">${t}</text>`,
    )}
    ${buckets.map((b) => {
      let stacked = 0;
      return OUTCOMES.map((outcome) => {
        const count = b[f][outcome];
        if (count === 0) return null;
        const bottom = y(stacked);
        stacked += count;
        const top = y(stacked);
        const bar = html`<rect class="bar ${outcome}" x="${px(x(b.startMs) + 0.5)}" y="${px(top)}" width="${px(barWidth)}" height="${px(bottom - top)}" data-f="${f}" data-type="${outcome}" data-bucket-start-ms="${b.startMs}" data-count="${count}"><title>${at(b.startMs)}–${at(b.startMs + BUCKET_MS)}: ${count} ${OUTCOME_NAMES[outcome]} ${noun}</title></rect>`;
        if (f !== 'write' || outcome !== 'ok' || b.lostWrites === 0) return bar;
        // The lost writes were acknowledged: they stay in the ok bar, and are hatched over its foot.
        const lostTop = y(b.lostWrites);
        return html`${bar}<rect class="lost" x="${px(x(b.startMs) + 0.5)}" y="${px(lostTop)}" width="${px(barWidth)}" height="${px(bottom - lostTop)}" data-lost-bucket-start-ms="${b.startMs}" data-lost-count="${b.lostWrites}"><title>${at(b.startMs)}–${at(b.startMs + BUCKET_MS)}: ${b.lostWrites} of the ${count} ok writes lost</title></rect>`;
      });
    })}`;
}

function latencyPanel(panel: Panel, buckets: readonly Bucket[], x: (ms: number) => number): Markup {
  const stats = buckets
    .filter((b) => b.writeLatencyMs.length > 0)
    .map((b) => {
      const sorted = [...b.writeLatencyMs].sort((p, q) => p - q);
      return { startMs: b.startMs, median: median(sorted), max: sorted.at(-1)!, n: sorted.length };
    });
  // A log scale: a normal write takes milliseconds, one caught by the failover can take seconds.
  const lowPower = Math.floor(Math.log10(Math.max(1, Math.min(...stats.map((s) => s.median), 1000))));
  const highPower = Math.max(lowPower + 1, Math.ceil(Math.log10(Math.max(...stats.map((s) => s.max), 10))));
  const y = (ms: number) => panel.top + panel.height - ((Math.log10(Math.max(ms, 10 ** lowPower)) - lowPower) / (highPower - lowPower)) * panel.height;
  const center = (b: { startMs: number }) => x(b.startMs + BUCKET_MS / 2);
  // Lines join neighbouring buckets only: a gap in the answers is a gap in the line.
  const path = (series: 'median' | 'max') =>
    stats.map((s, i) => `${i > 0 && stats[i - 1]!.startMs === s.startMs - BUCKET_MS ? 'L' : 'M'}${px(center(s))},${px(y(s[series]))}`).join('');
  const ticks = Array.from({ length: highPower - lowPower + 1 }, (_, i) => 10 ** (lowPower + i));
  return html`
    <text class="panel-title" x="${PLOT_LEFT}" y="${panel.top - 8}">${panel.title}</text>
    ${ticks.map(
      (t) => html`<line class="grid" x1="${PLOT_LEFT}" x2="${PLOT_RIGHT}" y1="${px(y(t))}" y2="${px(y(t))}"/><text class="tick" x="${PLOT_LEFT - 6}" y="${px(y(t)) + 4}" text-anchor="end">${t >= 1000 ? `${t / 1000} s` : `${t} ms`}</text>`,
    )}
    <path class="latency max" d="${path('max')}"/>
    <path class="latency median" d="${path('median')}"/>
    ${stats.map(
      (s) => html`<circle class="latency max" cx="${px(center(s))}" cy="${px(y(s.max))}" r="1.6" data-latency="max" data-bucket-start-ms="${s.startMs}" data-ms="${px(s.max)}"><title>${at(s.startMs)}: slowest of ${s.n} writes answered ${duration(s.max)}</title></circle><circle class="latency median" cx="${px(center(s))}" cy="${px(y(s.median))}" r="1.6" data-latency="median" data-bucket-start-ms="${s.startMs}" data-ms="${px(s.median)}"><title>${at(s.startMs)}: median of ${s.n} writes ${duration(s.median)}</title></circle>`,
    )}`;
}

type FaultBand = NonNullable<CheckResult['faults']>[number];

/** Every fault of the run as a band from its injection to its heal (to the end when it was never healed). */
function faultBands(result: CheckResult, markers: readonly Marker[]): FaultBand[] {
  if (result.faults) return result.faults;
  if (!result.fault) return [];
  const fault = result.fault;
  const heal = markers.find((m) => m.kind === 'heal' && m.atMs >= fault.atMs);
  return [{ ...fault, healedAtMs: heal?.atMs ?? null }];
}

function timelineChart(buckets: readonly Bucket[], markers: readonly Marker[], outage: CheckResult['writeUnavailability'], bands: readonly FaultBand[] = []): Markup {
  const lastMs = Math.max(BUCKET_MS, ...buckets.map((b) => b.startMs + BUCKET_MS), ...markers.map((m) => m.atMs), outage?.firstOkAfterMs ?? 0);
  const tickMs = niceStep(lastMs, 16);
  const endMs = Math.ceil(lastMs / tickMs) * tickMs;
  const x = (ms: number) => PLOT_LEFT + (Math.min(Math.max(ms, 0), endMs) / endMs) * (PLOT_RIGHT - PLOT_LEFT);

  const labels = placeLabels(markers, x);
  const labelRows = Math.max(1, ...labels.map((l) => l.row + 1));
  const writes: Panel = { title: `writes answered per ${BUCKET_MS} ms`, top: 8 + labelRows * LABEL_ROW_HEIGHT + 26, height: 190 };
  const reads: Panel = { title: `reads answered per ${BUCKET_MS} ms`, top: writes.top + writes.height + 34, height: 70 };
  const latency: Panel = { title: `write latency per ${BUCKET_MS} ms (median and slowest, log scale)`, top: reads.top + reads.height + 34, height: 110 };
  const plotTop = writes.top - 4;
  const plotBottom = latency.top + latency.height;
  const height = plotBottom + 40;
  const xTicks = Array.from({ length: Math.round(endMs / tickMs) + 1 }, (_, i) => i * tickMs);
  const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`;

  return html`<svg data-testid="timeline-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${CHART_WIDTH} ${height}" width="100%" role="img" aria-label="operations, write latency and cluster events over the drill" data-bucket-ms="${BUCKET_MS}" data-end-ms="${endMs}">
    <defs><pattern id="lost-hatch" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="4" height="4" fill="#7f0000"/><line x1="0" y1="0" x2="0" y2="4" stroke="#ffb4a9" stroke-width="1.6"/></pattern></defs>
    ${xTicks.map((t) => html`<line class="grid vertical" x1="${px(x(t))}" x2="${px(x(t))}" y1="${plotTop}" y2="${plotBottom}"/><text class="tick" x="${px(x(t))}" y="${plotBottom + 16}" text-anchor="middle">${seconds(t)}</text>`)}
    <text class="axis-title" x="${PLOT_RIGHT}" y="${plotBottom + 34}" text-anchor="end">seconds since the drill started</text>
    ${
      outage &&
      html`<rect class="outage" x="${px(x(outage.lastOkBeforeMs))}" y="${plotTop}" width="${px(Math.max(x(outage.firstOkAfterMs) - x(outage.lastOkBeforeMs), 1))}" height="${plotBottom - plotTop}" data-band="write-unavailability" data-from-ms="${outage.lastOkBeforeMs}" data-to-ms="${outage.firstOkAfterMs}"><title>writes down for ${duration(outage.ms)}: last ok write before writes stopped at ${at(outage.lastOkBeforeMs)}, first ok write by the primary after the fault at ${at(outage.firstOkAfterMs)}</title></rect><text class="outage-label" x="${px((x(outage.lastOkBeforeMs) + x(outage.firstOkAfterMs)) / 2)}" y="${writes.top + 14}" text-anchor="middle">writes down ${duration(outage.ms)}</text>`
    }
    ${bands.map(
      (b) =>
        html`<rect class="fault-band" x="${px(x(b.atMs))}" y="${plotTop}" width="${px(Math.max(x(b.healedAtMs ?? endMs) - x(b.atMs), 1))}" height="${plotBottom - plotTop}" data-band="fault" data-kind="${b.kind}" data-node="${b.node}" data-from-ms="${b.atMs}" data-to-ms="${b.healedAtMs ?? endMs}"><title>${b.kind} on ${b.node} from ${at(b.atMs)} ${b.healedAtMs === null ? 'to the end (never healed)' : `until its heal at ${at(b.healedAtMs)}`}</title></rect>`,
    )}
    ${barsPanel(writes, 'write', buckets, x)}
    ${barsPanel(reads, 'read', buckets, x)}
    ${latencyPanel(latency, buckets, x)}
    ${[writes, reads, latency].map((p) => html`<line class="axis" x1="${PLOT_LEFT}" x2="${PLOT_RIGHT}" y1="${p.top + p.height}" y2="${p.top + p.height}"/>`)}
    ${markers.map(
      (m) => html`<line class="marker ${m.kind}" x1="${px(x(m.atMs))}" x2="${px(x(m.atMs))}" y1="${8 + labelRows * LABEL_ROW_HEIGHT}" y2="${plotBottom}" data-marker="${m.kind}" data-at-ms="${m.atMs}"><title>${m.title}</title></line>`,
    )}
    ${labels.map((l) => html`<text class="marker-label ${l.marker.kind}" x="${px(l.x)}" y="${8 + (l.row + 1) * LABEL_ROW_HEIGHT - 3}" text-anchor="${l.anchor}">${l.text}</text>`)}
  </svg>`;
}

// ---------------------------------------------------------------------------------------------
// The sections of the page.

function figure(testid: string, label: string, value: string, note: string, tone: 'good' | 'bad' | 'plain' = 'plain'): Markup {
  return html`<div class="figure ${tone}" data-testid="figure-${testid}"><div class="figure-label">${label}</div><div class="figure-value">${value}</div><div class="figure-note">${note}</div></div>`;
}

function figures(result: CheckResult): Markup {
  const { write, read } = result.counts;
  const outage = result.writeUnavailability;
  const gap = result.longestWriteGap;
  const db = result.databaseDowntime;
  const errors = [
    ...Object.entries(write.errors ?? {}).map(([code, n]) => `${code} ×${n}`),
    ...Object.entries(read.errors ?? {}).map(([code, n]) => `${code} ×${n} (reads)`),
  ];
  const databases = Object.entries(result.writesByDatabase ?? {});
  const lostTone = result.lost.length > result.expectations.maxLost ? 'bad' : result.lost.length > 0 ? 'plain' : 'good';
  return html`<section data-testid="figures">
    <div class="figures">
      ${figure(
        'writes-down',
        'writes down (clients)',
        outage ? duration(outage.ms) : 'never resumed',
        outage
          ? `last ok write before writes stopped at ${at(outage.lastOkBeforeMs)}, first ok write by the primary after the fault at ${at(outage.firstOkAfterMs)}${gap && gap.ms > outage.ms ? `; longest gap ${duration(gap.ms)} (${at(gap.fromMs)} to ${at(gap.toMs)})` : ''}`
          : 'no write was acknowledged by a primary after the fault',
        outage ? 'plain' : 'bad',
      )}
      ${figure(
        'database-downtime',
        'writes down (database)',
        db ? duration(db.ms) : 'n/a',
        db ? `last commit on timeline ${db.oldTimeline} to first commit on timeline ${db.newTimeline}` : 'the commits span one timeline',
      )}
      ${figure(
        'promotion',
        'promotion',
        result.promotion ? duration(result.promotion.observedMs) : 'none',
        result.promotion ? `${result.promotion.node} primary, asked of the database; repmgr logged its promote event at ${duration(result.promotion.reportedMs)}` : 'no standby was promoted',
      )}
      ${figure('endpoint-move', 'endpoint move', result.endpointMove ? duration(result.endpointMove.ms) : 'none', result.endpointMove ? `to ${result.endpointMove.node}, after the fault` : 'the endpoint did not move after the fault')}
      ${figure(
        'writes',
        'writes',
        `${write.ok} ok`,
        `${write.fail} failed, ${write.info} unknown${write.open ? `, ${write.open} cut off` : ''}; ${result.writesAfterFault.onNewPrimary} ok on the new primary`,
      )}
      ${figure('reads', 'reads', `${read.ok} ok`, `${read.fail} failed, ${read.info} unknown${read.open ? `, ${read.open} cut off` : ''}; ${result.staleReads.length} stale`)}
      ${figure(
        'lost',
        'lost',
        plural(result.lost.length, 'write'),
        `acknowledged writes missing from the new primary (budget ${result.expectations.maxLost})${result.recoveryPoint && result.lost.length ? `; ${result.recoveryPoint.seconds} s of writes` : ''}`,
        lostTone,
      )}
    </div>
    <dl class="facts">
      ${databases.length > 0 && html`<dt>databases</dt><dd>${databases.map(([name, w]) => `${name}: ${w.ok} acknowledged, ${w.lost} lost`).join('; ')}</dd>`}
      ${errors.length > 0 && html`<dt>errors by kind</dt><dd>${errors.join(', ')}</dd>`}
      ${result.recovered.length > 0 && html`<dt>recovered</dt><dd>${plural(result.recovered.length, 'write')} with an unknown outcome turned out committed (not an anomaly: that is what unknown means)</dd>`}
      ${
        result.floatingIp &&
        html`<dt>floating IP</dt><dd>${result.floatingIp.ip} on ${result.floatingIp.holder ?? 'nobody'}; the move took ${duration(result.floatingIp.moveMs)} at DigitalOcean; the hook's assign requests: ${result.floatingIp.assignRequests.map((r) => r.status).join(', ') || 'none'}</dd>`
      }
      ${result.degradedReplication && html`<dt>note</dt><dd>${result.degradedReplication}</dd>`}
      ${(result.workload?.lines.length ?? 0) > 0 && html`<dt>${result.workload!.name} workload</dt><dd data-testid="workload-lines">${result.workload!.lines.map((l) => html`<div>${l.trim()}</div>`)}</dd>`}
    </dl>
  </section>`;
}

function checksSection(result: CheckResult): Markup {
  return html`<section data-testid="checks"><h2>Checks</h2>
    <table class="checks"><tbody>
      ${result.checks.map(
        (c) => html`<tr class="${c.ok ? 'ok' : 'fail'}" data-check-ok="${String(c.ok)}"><td class="status">${c.ok ? 'ok' : 'FAIL'}</td><td class="check-name">${c.name}</td><td>${c.detail}</td></tr>`,
      )}
    </tbody></table></section>`;
}

/** The history's side of a write the checker names: its invocation and its answer. */
type PairsById = ReadonlyMap<string, Pair>;

function operationLines(pair: Pair | undefined, ref: WriteRef): Markup {
  if (!pair) return html`<span class="muted">not in the history</span>`;
  const { invoke, completion } = pair;
  const written = completion?.type === 'ok' ? (completion.value as Partial<WrittenValue>) : undefined;
  const answer = completion
    ? html`<div class="op"><span class="op-type ${completion.type}">${completion.type}</span> ${at(nsToMs(completion.time))} <span class="muted">after ${duration((completion.time - invoke.time) / 1e6)}</span>${completion.error ? html` · <span class="error">${completion.error}</span>` : ''}</div>`
    : html`<div class="op"><span class="op-type info">no answer</span> <span class="muted">the history ends first</span></div>`;
  const commit =
    written?.committed_by &&
    html`<div class="op commit">committed by ${written.committed_by} on timeline ${written.committed_timeline ?? '?'}${written.committed_at ? html` at <span title="${written.committed_at}">${timeOfDay(written.committed_at)}</span>` : ''}</div>`;
  return html`<div class="op"><span class="op-type invoke">invoke</span> ${at(nsToMs(invoke.time))} <span class="muted">process ${ref.process}</span></div>${answer}${commit}`;
}

function writeRows<T extends WriteRef>(refs: readonly T[], pairs: PairsById, extra?: { header: string; cell: (ref: T) => string }): Markup {
  return html`<table class="anomaly-table"><thead><tr><th>write id</th><th>name</th><th>database</th><th>operations</th>${extra && html`<th>${extra.header}</th>`}</tr></thead><tbody>
    ${refs.slice(0, LIST_LIMIT).map((ref) => {
      const value = pairs.get(ref.id)?.invoke.value as { name?: string; db?: string } | undefined;
      return html`<tr data-write-id="${ref.id}"><td class="nowrap"><code>${ref.id}</code></td><td class="nowrap">${value?.name ?? ''}</td><td>${value?.db ?? 'app'}</td><td>${operationLines(pairs.get(ref.id), ref)}</td>${extra && html`<td>${extra.cell(ref)}</td>`}</tr>`;
    })}
  </tbody></table>${more(refs.length)}`;
}

function more(total: number): Markup | null {
  return total > LIST_LIMIT ? html`<p class="more" data-more="${total - LIST_LIMIT}">and ${total - LIST_LIMIT} more in report.json</p>` : null;
}

function anomaly(kind: string, title: string, count: number, meaning: string, body: () => Markup): Markup {
  return html`<section class="anomaly ${count > 0 ? 'found' : 'none'}" data-testid="anomaly-${kind}" data-count="${count}">
    <h3>${title} <span class="count">${count}</span></h3>
    ${count > 0 ? html`<p class="meaning">${meaning}</p>${body()}` : null}
  </section>`;
}

function anomaliesSection(result: CheckResult, pairs: PairsById): Markup {
  const split = result.splitBrain;
  return html`<section data-testid="anomalies"><h2>Anomalies</h2>
    ${anomaly('lost', 'Lost writes', result.lost.length, 'Acknowledged to the client, missing from the new primary: a user was told "saved" and the data is gone.', () => writeRows(result.lost, pairs))}
    ${anomaly('contradicted', 'Answered "failed" but present', result.contradicted.length, 'The app said the write failed, yet it is in the database: a client that trusted "failed" and retried wrote twice.', () =>
      writeRows(result.contradicted, pairs),
    )}
    ${anomaly('duplicated', 'Present more than once', result.duplicated.length, 'A value the final read holds several times: a retry that was not idempotent.', () =>
      html`<ul class="ids">${result.duplicated.slice(0, LIST_LIMIT).map((d) => html`<li data-write-id="${d.id}"><code>${d.id}</code> ×${d.count}</li>`)}</ul>${more(result.duplicated.length)}`,
    )}
    ${anomaly('unexpected', 'Nobody wrote these', result.unexpected.length, 'Values in the database that no client tried to write: corruption, or something else writing to the table.', () =>
      html`<ul class="ids">${result.unexpected.slice(0, LIST_LIMIT).map((id) => html`<li data-write-id="${id}"><code>${id}</code></li>`)}</ul>${more(result.unexpected.length)}`,
    )}
    ${anomaly('split-brain', 'Split brain', split?.writes.length ?? 0, split ? `Writes acknowledged by another primary after ${split.newPrimary} started committing on timeline ${split.newTimeline} (at ${new Date(split.newPrimaryFirstCommitAt).toISOString()}).` : '', () =>
      writeRows(split!.writes, pairs, { header: 'committed at', cell: (ref) => new Date(ref.committedAtMs).toISOString() }),
    )}
    ${anomaly('read-anomalies', 'Reads of what cannot exist', result.readAnomalies?.length ?? 0, 'Reads that found a value nobody wrote, a write the app answered "failed", or a write not yet invoked when the read was answered.', () =>
      html`<table class="anomaly-table"><thead><tr><th>write id</th><th>process</th><th>read at</th><th>answered at</th><th>what it saw</th></tr></thead><tbody>
        ${result.readAnomalies.slice(0, LIST_LIMIT).map((r) => html`<tr data-write-id="${r.id}"><td><code>${r.id}</code></td><td>${r.process}</td><td>${at(r.readAtMs)}</td><td>${at(r.answeredAtMs)}</td><td>${READ_ANOMALY[r.kind]}</td></tr>`)}
      </tbody></table>${more(result.readAnomalies.length)}`,
    )}
    ${anomaly('stale-reads', 'Stale reads', result.staleReads.length, 'Reads from a replica that missed a write acknowledged before the read began (replica lag). Reported, not a FAIL.', () =>
      html`<table class="anomaly-table"><thead><tr><th>write id</th><th>process</th><th>read at</th><th>write acknowledged at</th><th>lag at least</th></tr></thead><tbody>
        ${result.staleReads.slice(0, LIST_LIMIT).map((r) => html`<tr data-write-id="${r.id}"><td><code>${r.id}</code></td><td>${r.process}</td><td>${at(r.readAtMs)}</td><td>${at(r.ackedAtMs)}</td><td>${duration(r.lagMs)}</td></tr>`)}
      </tbody></table>${more(result.staleReads.length)}`,
    )}
  </section>`;
}

const READ_ANOMALY: Record<ReadAnomaly['kind'], string> = {
  'never-written': 'a value nobody wrote',
  'failed-write': 'a write answered "failed"',
  'before-invoke': 'a write not yet invoked',
};

function eventDetail(e: ClusterEvent): string {
  const ms = (value: unknown) => (typeof value === 'number' ? ` (${duration(value)})` : '');
  switch (e.type) {
    case 'phase':
      return `${textOf(e.phase)}${e.detail ? `: ${textOf(e.detail)}` : ''}${ms(e.ms)}`;
    case 'fault':
      return `${textOf(e.kind)}${e.detail ? `: ${textOf(e.detail)}` : ''}${e.primary ? ` (primary ${textOf(e.primary)}, standby ${textOf(e.standby)})` : ''}`;
    case 'promotion-observed':
      return `primary on timeline ${textOf(e.timeline)}`;
    case 'endpoint':
      return `${textOf(e.action)} (seen): ${textOf(e.reason)}`;
    case 'endpoint-agent':
      return `the endpoint agent: ${textOf(e.action)}: ${textOf(e.reason)}${ms(e.durationMs)}`;
    case 'heal':
      return e.restarted ? `restarted, reported ${textOf(e.role)}${ms(e.ms)}` : 'nothing to restart';
    case 'repmgr':
      return `${textOf(e.event)}${e.successful === false ? ' (unsuccessful)' : ''}${e.details ? `: ${textOf(e.details)}` : ''}`;
    case 'switchback':
      return `${e.ok === false ? 'failed' : 'done'}${ms(e.ms)}${e.error ? `: ${textOf(e.error)}` : ''}`;
    case 'clock':
      return `clock ${typeof e.offsetMs === 'number' ? `${e.offsetMs >= 0 ? '+' : ''}${e.offsetMs} ms` : '?'} against the harness's (±${textOf(e.errorMs)} ms)`;
    case 'dsql-stand-in':
      return `the DSQL stand-in: ${textOf(e.conflicts)} write conflicts answered as OC000, ${textOf(e.sessions)} sessions, refused: ${Object.entries((e.refused ?? {}) as Record<string, unknown>).map(([rule, n]) => `${rule} ${textOf(n)}`).join(', ') || 'nothing'}`;
    case 'floating-ip':
      return `${textOf(e.ip)} on ${textOf(e.holder) || 'nobody'}; assign requests: ${Array.isArray(e.assignRequests) ? e.assignRequests.map((r: { status?: unknown }) => textOf(r.status)).join(', ') : 'none'}`;
    default: {
      const { type: _type, time: _time, wall: _wall, node: _node, ...rest } = e;
      return JSON.stringify(rest);
    }
  }
}

function eventsSection(events: readonly ClusterEvent[]): Markup {
  // Events read back from repmgr may lack a monotonic time: place them by the wall clock.
  const anchor = events.find((e) => e.time !== undefined);
  const wallOrigin = anchor ? anchor.wall - anchor.time! / 1e6 : undefined;
  const rows = events
    .map((e) => ({ e, atMs: e.time !== undefined ? nsToMs(e.time) : wallOrigin !== undefined ? Math.round((e.wall - wallOrigin) * 100) / 100 : null }))
    .sort((a, b) => (a.atMs ?? Infinity) - (b.atMs ?? Infinity));
  return html`<section data-testid="events"><h2>Cluster events</h2>
    <table class="events"><thead><tr><th class="num">since start</th><th>wall clock (UTC)</th><th>type</th><th>node</th><th>detail</th></tr></thead><tbody>
      ${rows.map(
        ({ e, atMs }) =>
          html`<tr class="event ${e.type}" data-event-type="${e.type}"><td class="num">${atMs === null ? '' : at(atMs)}</td><td>${typeof e.wall === 'number' ? wallClock(e.wall) : ''}</td><td>${e.type}</td><td>${textOf(e.node)}</td><td>${eventDetail(e)}</td></tr>`,
      )}
    </tbody></table></section>`;
}

function settingsSection(report: DrillReport): Markup {
  const { cluster } = report;
  const rows: [string, string][] = [
    ['scenario', report.scenario],
    ['run id', report.runId],
    ['started', report.startedAt],
    ['finished', report.finishedAt],
    ['seed', String(report.seed)],
    ['cluster', `${cluster.name}${cluster.reused ? ' (reused, already running)' : ''}`],
    ['replication', cluster.replication],
    ['repmgrd timing', describeValue(cluster.timing)],
    // Reports written before the drill recorded TLS and the app profile lack them.
    ['TLS', cluster.tls === undefined ? 'not recorded' : cluster.tls ? 'on' : 'off'],
    ['app', cluster.app ?? 'not recorded'],
    // Machines provisioned with ansible/ run no images of ours.
    ['images', cluster.images ? describeValue(cluster.images) : 'none (machines)'],
    ['workload', describeValue(report.workload)],
    ['expectations', describeValue(report.result.expectations)],
  ];
  return html`<section data-testid="settings"><h2>Settings</h2><dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl></section>`;
}

const STYLE = `
:root { --ok: #2e7d32; --fail: #c62828; --info: #ef8f00; --ink: #1d2330; --muted: #5f6b7a; --line: #d9dee5; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1260px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 22px; margin: 0; }
h2 { font-size: 17px; margin: 28px 0 10px; }
h3 { font-size: 15px; margin: 0; }
code, .num, .op { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
header.run { display: flex; gap: 20px; align-items: center; padding: 18px 20px; border-radius: 8px; background: #fff; border: 1px solid var(--line); border-left: 10px solid var(--ok); }
header.run.FAIL { border-left-color: var(--fail); }
.verdict { font-size: 38px; font-weight: 800; letter-spacing: 1px; color: var(--ok); min-width: 120px; }
.FAIL .verdict { color: var(--fail); }
.meta { color: var(--muted); margin: 4px 0 0; }
.gist { margin: 6px 0 0; }
.failed-checks { margin: 6px 0 0; padding-left: 18px; color: var(--fail); }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; margin-top: 16px; }
.figure { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.figure.bad { border-color: var(--fail); background: #fff5f5; }
.figure.good .figure-value { color: var(--ok); }
.figure.bad .figure-value { color: var(--fail); }
.figure-label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .4px; }
.figure-value { font-size: 22px; font-weight: 700; margin: 2px 0; }
.figure-note { color: var(--muted); font-size: 12px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 14px 0 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
section.chart, table, section.anomaly, dl.facts { background: #fff; border: 1px solid var(--line); border-radius: 6px; }
dl.facts { padding: 10px 14px; }
section.chart { padding: 10px 12px 4px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 18px; color: var(--muted); font-size: 12.5px; margin-bottom: 4px; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; vertical-align: -1px; margin-right: 5px; }
.swatch.lost-swatch { background: repeating-linear-gradient(45deg, #7f0000 0 2px, #ffb4a9 2px 3px); }
.swatch.line { height: 3px; vertical-align: 3px; border-radius: 0; }
svg { display: block; font: 11px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
svg .grid { stroke: #eef0f3; }
svg .grid.vertical { stroke: #f1f3f5; }
svg .axis { stroke: #9aa4b1; }
svg .tick { fill: var(--muted); }
svg .axis-title, svg .panel-title { fill: var(--ink); font-weight: 600; }
svg .axis-title { font-weight: 400; fill: var(--muted); }
svg .lost { fill: url(#lost-hatch); }
svg .bar.ok { fill: var(--ok); } svg .bar.fail { fill: var(--fail); } svg .bar.info { fill: var(--info); }
svg .outage { fill: var(--fail); fill-opacity: .09; }
svg .fault-band { fill: #8e0000; fill-opacity: .05; stroke: #8e0000; stroke-opacity: .25; stroke-dasharray: 3 3; }
svg .outage-label { fill: var(--fail); font-weight: 600; }
svg path.latency { fill: none; stroke-width: 1.4; }
svg .latency.median { stroke: #1f5fa8; fill: #1f5fa8; }
svg .latency.max { stroke: #b0bac6; fill: #b0bac6; }
svg path.latency.max { fill: none; stroke-dasharray: 3 2; }
svg path.latency.median { fill: none; }
svg .marker { stroke-width: 1.6; }
svg .marker.fault { stroke: #8e0000; stroke-width: 2.2; } svg .marker-label.fault { fill: #8e0000; }
svg .marker.promotion { stroke: #1565c0; } svg .marker-label.promotion { fill: #1565c0; }
svg .marker.endpoint-move { stroke: #7b1fa2; stroke-dasharray: 5 3; } svg .marker-label.endpoint-move { fill: #7b1fa2; }
svg .marker.heal { stroke: #00838f; stroke-dasharray: 2 2; } svg .marker-label.heal { fill: #00838f; }
svg .marker.switchback { stroke: #6d4c41; stroke-dasharray: 8 3; } svg .marker-label.switchback { fill: #6d4c41; }
svg .marker-label { font-weight: 600; }
table { border-collapse: separate; border-spacing: 0; width: 100%; overflow: hidden; }
th, td { text-align: left; vertical-align: top; padding: 5px 10px; border-bottom: 1px solid #eef0f3; }
th { color: var(--muted); font-weight: 600; font-size: 12.5px; background: #fafbfc; }
tr:last-child td { border-bottom: none; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.nowrap { white-space: nowrap; }
table.checks td.status { font-weight: 700; width: 48px; color: var(--ok); }
table.checks tr.fail td { background: #fff5f5; }
table.checks tr.fail td.status { color: var(--fail); }
table.checks td.check-name { width: 38%; }
section.anomaly { padding: 10px 14px; margin-bottom: 8px; }
section.anomaly.none { color: var(--muted); padding: 6px 14px; }
section.anomaly.none h3 { font-weight: 500; }
section.anomaly.found { border-color: var(--fail); }
section.anomaly .count { display: inline-block; min-width: 22px; padding: 0 6px; border-radius: 10px; background: #eef0f3; text-align: center; font-size: 12px; }
section.anomaly.found .count { background: var(--fail); color: #fff; }
section.anomaly table { border: none; margin-top: 6px; }
.meaning { margin: 4px 0 0; color: var(--muted); }
.op-type { display: inline-block; min-width: 52px; font-weight: 700; }
.op.commit { padding-left: 56px; color: var(--muted); }
.op-type.ok { color: var(--ok); } .op-type.fail { color: var(--fail); } .op-type.info { color: var(--info); } .op-type.invoke { color: var(--muted); }
.muted { color: var(--muted); }
.error { color: var(--fail); }
.more { color: var(--muted); font-style: italic; margin: 6px 0 0; }
ul.ids { margin: 6px 0 0; padding-left: 20px; }
table.events td { font-size: 13px; }
table.events tr.fault td, table.events tr.promotion-observed td { font-weight: 600; }
footer { margin-top: 28px; color: var(--muted); font-size: 12px; }
`;

function legend(anyLost: boolean): Markup {
  const swatch = (color: string, text: string, line = false) => html`<span><span class="swatch${line ? ' line' : ''}" style="background:${color}"></span>${text}</span>`;
  return html`<div class="legend">
    ${swatch('var(--ok)', 'ok')}${anyLost && html`<span><span class="swatch lost-swatch"></span>ok, then lost</span>`}${swatch('var(--info)', 'unknown (may or may not have happened)')}${swatch('var(--fail)', 'failed')}
    ${swatch('#1f5fa8', 'median write latency', true)}${swatch('#b0bac6', 'slowest write', true)}
    ${swatch('rgba(198,40,40,.15)', 'writes down (clients)')}
    ${swatch('#8e0000', 'fault', true)}${swatch('#1565c0', 'promotion observed', true)}${swatch('#7b1fa2', 'endpoint move', true)}${swatch('#00838f', 'heal', true)}
  </div>`;
}

/** A whole self-contained page: our style inline, nothing fetched from anywhere. */
function page(title: string, body: Markup): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${new Markup(STYLE)}</style>
</head>
<body>
<main>${body}
</main>
</body>
</html>
`.text;
}

/** The page, from what a run folder holds. Pure: the same input gives the same page. */
export function renderHtmlReport({ report, history, events }: HtmlReportInput): string {
  const { result } = report;
  const mutation = result.workload?.mutation ?? 'write';
  const pairs = pairOperations(history, undefined, { name: result.workload?.name ?? 'set', mutation, fs: [...new Set(history.map((op) => op.f))] });
  const pairsById = new Map(pairs.filter((p) => p.invoke.f === mutation).map((p) => [(p.invoke.value as { id: string }).id, p]));
  const markers = events.map(markerOf).filter((m): m is Marker => m !== null);
  const buckets = bucketsOf(pairs, new Set(result.lost.map((l) => l.id)), mutation);
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
      ${buckets.length > 0 ? timelineChart(buckets, markers, result.writeUnavailability, faultBands(result, markers)) : html`<p class="muted">The history holds no answered operation.</p>`}
    </section>
  </section>
  ${checksSection(result)}
  ${anomaliesSection(result, pairsById)}
  ${eventsSection(events)}
  ${settingsSection(report)}
  <footer>flipdrill report (${report.schema}). Operations are counted by when their answer came; report.json, history.jsonl and events.jsonl in this folder hold everything shown here.</footer>`,
  );
}

/**
 * A --repeat run's own page, at the top of its folder: the verdict of the whole run, its figures,
 * and one row per iteration linking to that iteration's report.html. Pure: the same input gives
 * the same page.
 */
export function renderRepeatHtmlReport(aggregate: Aggregate, runId: string, runDir: string): string {
  const failed = aggregate.iterations.filter((i) => i.verdict !== 'PASS');
  return page(
    `flipdrill ${aggregate.verdict}: ${aggregate.scenario} × ${aggregate.iterations.length} (${runId})`,
    html`
  <header class="run ${aggregate.verdict}">
    <div class="verdict" data-testid="verdict" data-verdict="${aggregate.verdict}">${aggregate.verdict}</div>
    <div>
      <h1 data-testid="scenario">${aggregate.scenario} × ${aggregate.iterations.length}</h1>
      <p class="meta">run <code data-testid="run-id">${runId}</code> · one cluster, ${aggregate.iterations.length} iterations</p>
      <p class="gist" data-testid="gist">${aggregate.passed} of ${aggregate.iterations.length} passed · writes down ${duration(aggregate.writeDownMs.median)} median, ${duration(aggregate.writeDownMs.worst)} worst · ${aggregate.totalLost} acknowledged writes lost</p>
      ${failed.length > 0 && html`<ul class="failed-checks">${failed.map((i) => html`<li>iteration ${i.iteration} (${i.scenario}) failed</li>`)}</ul>`}
    </div>
  </header>
  <section data-testid="iterations"><h2>Iterations</h2>
    <table class="checks"><thead><tr><th>iteration</th><th>verdict</th><th>scenario</th><th>fault on</th><th>new primary</th><th>writes down</th><th>lost</th><th>report</th></tr></thead><tbody>
      ${aggregate.iterations.map((i) => {
        const link = `${path.relative(runDir, i.dir).split(path.sep).join('/')}/report.html`;
        return html`<tr class="${i.verdict === 'PASS' ? 'pass' : 'fail'}" data-iteration="${i.iteration}" data-verdict="${i.verdict}"><td>${i.iteration}</td><td class="status">${i.verdict}</td><td>${i.scenario}</td><td>${i.faultNode ?? 'n/a'}</td><td>${i.newPrimary ?? 'none'}</td><td>${duration(i.writeDownMs)}</td><td>${i.lost}</td><td><a href="${link}">${link}</a></td></tr>`;
      })}
    </tbody></table>
  </section>
  <footer>flipdrill report of a --repeat run (${aggregate.schema}). aggregate.json and junit.xml in this folder, and each iteration's own folder, hold everything shown here.</footer>`,
  );
}

/** Write the --repeat run's report.html at the top of its folder. */
export function writeRepeatHtmlReport(runDir: string, runId: string, aggregate: Aggregate): string {
  const out = path.join(runDir, 'report.html');
  writeFileSync(out, renderRepeatHtmlReport(aggregate, runId, runDir));
  return out;
}

/** Write report.html into a finished run folder, from its report.json, history.jsonl and events.jsonl. */
export function writeHtmlReport(runDir: string): string {
  const file = (name: string) => path.join(runDir, name);
  if (!existsSync(file('report.json'))) throw new RunFolderError(`${runDir} has no report.json: the drill has not finished`);
  let report: DrillReport;
  try {
    report = JSON.parse(readFileSync(file('report.json'), 'utf8')) as DrillReport;
  } catch (error) {
    throw new RunFolderError(`report.json in ${runDir} is not valid JSON: ${(error as Error).message}`);
  }
  const { ops } = parseHistoryLines(readFileSync(file('history.jsonl'), 'utf8'));
  const events = existsSync(file('events.jsonl')) ? readEvents(file('events.jsonl')) : [];
  const out = file('report.html');
  writeFileSync(out, renderHtmlReport({ report, history: ops, events }));
  return out;
}
