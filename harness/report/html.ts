/**
 * report.html: one self-contained page per drill run, for the engineer reading the result: the
 * verdict, the figures, a timeline of what the clients saw against what the cluster did, the
 * checks, every anomaly with the operations behind it, and the cluster's events.
 *
 * Everything is rendered here: inline CSS, inline SVG, no script, no external URL, so the page
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
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pairOperations } from '../checker/history.ts';
import type { CheckResult, ReadAnomaly, WriteRef } from '../checker/types.ts';
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
// made by `html`, so a node name or an error message can never become markup. The runs index
// (runs-index.ts) writes its page with the same helper.

export class Markup {
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

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Markup {
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
export const duration = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? 'n/a' : Math.abs(ms) >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
/** A moment of the drill: seconds since it started, to the millisecond. */
const at = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const wallClock = (epochMs: number) => new Date(epochMs).toISOString().slice(11, 23);
/** The time of day of a database timestamp, as written (an unparsable one is shown as it is). */
const timeOfDay = (iso: string) => (Number.isNaN(Date.parse(iso)) ? iso : `${wallClock(Date.parse(iso))} UTC`);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** One decimal is enough for SVG coordinates, and keeps the page small. */
export const px = (n: number) => Math.round(n * 10) / 10;
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

// ---------------------------------------------------------------------------------------------
// The run's time: one origin for the history, the events and the axis.

/** Where the run's times are: ms since the drill's start, and the wall clock of that start. */
export interface RunTime {
  /** Wall-clock ms since the epoch at time 0; null when neither report.json nor the events say. */
  wallOrigin: number | null;
  /** An event's moment on the run's axis; null for one with no `time` when the origin is unknown. */
  msOf(event: ClusterEvent): number | null;
  /** A moment of the run as an ISO wall-clock time, for tooltips ('' when the origin is unknown). */
  isoOf(ms: number): string;
}

/**
 * The drill's clock starts at report.json's startedAt (both read from the same Date.now()), so an
 * event with only a wall-clock time goes where that wall time falls. Reports that lack a usable
 * startedAt fall back to an event that carries both clocks.
 */
export function runTimeOf(startedAt: string | undefined, events: readonly ClusterEvent[]): RunTime {
  const started = startedAt === undefined ? Number.NaN : Date.parse(startedAt);
  const anchor = events.find((e) => e.time !== undefined && typeof e.wall === 'number');
  const wallOrigin = Number.isFinite(started) ? started : anchor ? anchor.wall - anchor.time! / 1e6 : null;
  return {
    wallOrigin,
    msOf: (e) => (e.time !== undefined ? nsToMs(e.time) : wallOrigin !== null && typeof e.wall === 'number' ? Math.round((e.wall - wallOrigin) * 100) / 100 : null),
    isoOf: (ms) => (wallOrigin === null ? '' : new Date(wallOrigin + ms).toISOString()),
  };
}

interface Marker {
  kind: MarkerKind;
  atMs: number;
  label: string;
  /** The event in full, for the tooltip. */
  title: string;
}

/** The events drawn as lines across every panel. Faults and heals are also the ends of the fault bands, which carry their labels. */
function markerOf(event: ClusterEvent, time: RunTime): Marker | null {
  const atMs = time.msOf(event);
  if (atMs === null) return null;
  const node = textOf(event.node);
  const iso = time.isoOf(atMs);
  const make = (kind: MarkerKind, label: string, detail: unknown) => ({ kind, atMs, label, title: `${label} at ${at(atMs)}${iso ? ` (${iso})` : ''}${detail ? `: ${textOf(detail)}` : ''}` });
  if (event.type === 'fault') return make('fault', `fault: ${textOf(event.kind)} ${node}`, event.detail);
  if (event.type === 'promotion-observed') return make('promotion', `${node} promoted`, `primary on timeline ${textOf(event.timeline)}`);
  if (event.type === 'endpoint' && event.action === 'move') return make('endpoint-move', `endpoint → ${node}`, event.reason);
  if (event.type === 'heal') return make('heal', `heal ${node}`, healDetail(event));
  if (event.type === 'switchback') return make('switchback', `switchback to ${node}`, event.ok === false ? `failed: ${textOf(event.error)}` : `done in ${textOf(event.ms)} ms`);
  return null;
}

const healDetail = (event: ClusterEvent) => (event.restarted ? `restarted, ${textOf(event.role)} after ${textOf(event.ms)} ms` : 'nothing to restart');

/** Markers whose label goes in the rows above the plot: the fault bands' lane names faults and heals. */
const LABELLED: ReadonlySet<MarkerKind> = new Set(['promotion', 'endpoint-move', 'switchback']);

export type LaneKind = 'repmgr' | 'endpoint-agent';

/** repmgr's events and the endpoint agent's actions: many and small, so each is a mark in a lane of its own, its words in the tooltip. */
export interface LaneMarker {
  lane: LaneKind;
  atMs: number;
  /** repmgr's event name, or the agent's action (move, fence, unfence). */
  what: string;
  /** An unsuccessful repmgr event, drawn hollow. */
  failed: boolean;
  title: string;
}

export function laneMarkerOf(event: ClusterEvent, time: RunTime): LaneMarker | null {
  if (event.type !== 'repmgr' && event.type !== 'endpoint-agent') return null;
  const atMs = time.msOf(event);
  if (atMs === null) return null;
  const iso = time.isoOf(atMs);
  const when = `at ${at(atMs)}${iso ? ` (${iso})` : ''}`;
  if (event.type === 'repmgr') {
    const failed = event.successful === false;
    return { lane: 'repmgr', atMs, what: textOf(event.event), failed, title: `repmgr ${textOf(event.event)} on ${textOf(event.node)} ${when}${failed ? ', unsuccessful' : ''}${event.details ? `: ${textOf(event.details)}` : ''}` };
  }
  const took = typeof event.durationMs === 'number' ? ` (took ${duration(event.durationMs)})` : '';
  return { lane: 'endpoint-agent', atMs, what: textOf(event.action), failed: false, title: `endpoint agent: ${textOf(event.action)}${event.node ? ` ${textOf(event.node)}` : ''} ${when}${took}${event.reason ? `: ${textOf(event.reason)}` : ''}` };
}

/** One fault, from its injection to its undo; a fault never healed lasts to the end of the run. */
export interface FaultBand {
  kind: string;
  node: string;
  fromMs: number;
  toMs: number;
  healed: boolean;
  title: string;
}

/**
 * Every fault event paired with its heal, the way the checker pairs them (faultsOf): a heal undoes
 * the fault injected last of those still on (two may overlap, the inner one healed first). A
 * random schedule records many: each its own band.
 */
export function faultBandsOf(events: readonly ClusterEvent[], time: RunTime, endMs: number): FaultBand[] {
  const timed = events
    .filter((e) => e.type === 'fault' || e.type === 'heal' || (e.type === 'phase' && e.phase === 'prepare'))
    .map((e) => ({ e, ms: time.msOf(e) }))
    .filter((t): t is { e: ClusterEvent; ms: number } => t.ms !== null)
    .sort((a, b) => a.ms - b.ms);
  const bands: (Omit<FaultBand, 'title'> & { detail: string; heal: string; injectedMs: number; prepared: string })[] = [];
  const open: number[] = [];
  // A fault that begins with a preparation (the lagging standby's frozen WAL sender, seconds before
  // the kill): its band starts there.
  let prepare: { ms: number; detail: string } | undefined;
  for (const { e, ms } of timed) {
    if (e.type === 'phase') {
      prepare = { ms, detail: textOf(e.detail) };
      continue;
    }
    if (e.type === 'fault') {
      open.push(bands.length);
      const fromMs = prepare?.ms ?? ms;
      bands.push({ kind: textOf(e.kind) || 'fault', node: textOf(e.node), fromMs, toMs: Math.max(endMs, ms), healed: false, detail: textOf(e.detail), heal: '', injectedMs: ms, prepared: prepare?.detail ?? '' });
      prepare = undefined;
      continue;
    }
    const healed = open.pop();
    if (healed === undefined) continue;
    Object.assign(bands[healed]!, { toMs: ms, healed: true, heal: healDetail(e) });
  }
  return bands.map(({ detail, heal, injectedMs, prepared, ...b }) => ({
    ...b,
    title: `${b.kind} on ${b.node} from ${at(b.fromMs)}${prepared ? ` (${prepared}; the fault itself at ${at(injectedMs)})` : ''} ${b.healed ? `until its heal at ${at(b.toMs)} (${heal})` : 'to the end of the run (never healed)'}${detail ? `: ${detail}` : ''}`,
  }));
}

/**
 * Rows for items laid along the time axis so that none overlaps another in its row: each goes in
 * the first row free from its start (extents in chart units, in the order given).
 */
export function packRows(extents: readonly { from: number; to: number }[], gap = 6): number[] {
  const rowEnds: number[] = [];
  return extents.map(({ from, to }) => {
    let row = rowEnds.findIndex((end) => end + gap <= from);
    if (row === -1) row = rowEnds.length;
    rowEnds[row] = to;
    return row;
  });
}

// ---------------------------------------------------------------------------------------------
// Operations by when they started: what a client waited for, placed at the moment it asked.

/** ok, failed, unknown; `open`: never answered before the history ends; `lost`: ok, then missing from the final read. */
export type DotOutcome = Outcome | 'open' | 'lost';
export const DOT_OUTCOMES: readonly DotOutcome[] = ['ok', 'info', 'open', 'fail', 'lost'];

export interface Dot {
  f: string;
  isMutation: boolean;
  outcome: DotOutcome;
  startMs: number;
  /** Answer time minus invoke time; for an open one, the end of the history minus invoke time (it waited at least that). */
  latencyMs: number;
  id?: string;
  error?: string;
}

/** One dot per invocation of the history, answered or not. */
export function startLatencyDots(pairs: readonly Pair[], lostIds: ReadonlySet<string>, mutation: string, endNs: number): Dot[] {
  return pairs.map(({ invoke, completion }) => {
    const isMutation = invoke.f === mutation;
    const id = (invoke.value as { id?: unknown } | null)?.id;
    const outcome: DotOutcome = !completion ? 'open' : completion.type === 'ok' && isMutation && typeof id === 'string' && lostIds.has(id) ? 'lost' : (completion.type as Outcome);
    const until = completion?.time ?? Math.max(endNs, invoke.time);
    return {
      f: invoke.f,
      isMutation,
      outcome,
      startMs: nsToMs(invoke.time),
      latencyMs: nsToMs(until - invoke.time),
      ...(typeof id === 'string' ? { id } : {}),
      ...(completion?.error ? { error: completion.error } : {}),
    };
  });
}

/**
 * Per bucket, the most operations in flight at once (invoked, not yet answered), from the first
 * invocation's bucket to the end of the history. An operation is in flight from its invocation up
 * to, not including, its answer; one never answered stays in flight to the end. The peak, not a
 * sample, so that a short stall of every client still shows.
 */
export function inFlightPeaks(pairs: readonly Pair[], endNs: number): { startMs: number; peak: number }[] {
  if (pairs.length === 0) return [];
  const bucketNs = BUCKET_MS * 1e6;
  const changes = pairs
    .flatMap(({ invoke, completion }) => [{ at: invoke.time, by: 1 }, ...(completion ? [{ at: completion.time, by: -1 }] : [])])
    .sort((a, b) => a.at - b.at);
  const lastNs = changes.reduce((end, c) => Math.max(end, c.at), endNs);
  const out: { startMs: number; peak: number }[] = [];
  let level = 0;
  let i = 0;
  // Levels are read only once every change of an instant is applied: a process that answers and
  // asks again in the same nanosecond holds one operation, not two.
  const applyInstant = () => {
    const instant = changes[i]!.at;
    while (i < changes.length && changes[i]!.at === instant) level += changes[i++]!.by;
  };
  for (let bucket = Math.floor(changes[0]!.at / bucketNs); bucket <= Math.floor(lastNs / bucketNs); bucket++) {
    const start = bucket * bucketNs;
    if (i < changes.length && changes[i]!.at === start) applyInstant();
    let peak = level;
    while (i < changes.length && changes[i]!.at < start + bucketNs) {
      applyInstant();
      peak = Math.max(peak, level);
    }
    out.push({ startMs: bucket * BUCKET_MS, peak });
  }
  return out;
}

/**
 * The stretches of whole buckets, from the first invocation to the end of the history, in which no
 * read was invoked: an empty reads panel there means nobody asked (the clients were held on
 * writes, or the workload does not read), not that reads were down.
 */
export function noReadStretches(pairs: readonly Pair[], mutation: string, endNs: number): { fromMs: number; toMs: number }[] {
  if (pairs.length === 0) return [];
  const bucketNs = BUCKET_MS * 1e6;
  const withReads = new Set(pairs.filter((p) => p.invoke.f !== mutation).map((p) => Math.floor(p.invoke.time / bucketNs)));
  const invoked = pairs.map((p) => p.invoke.time);
  const first = Math.floor(invoked.reduce((min, t) => Math.min(min, t), Infinity) / bucketNs);
  const last = Math.floor(invoked.reduce((max, t) => Math.max(max, t), endNs) / bucketNs);
  const out: { fromMs: number; toMs: number }[] = [];
  for (let bucket = first; bucket <= last; bucket++) {
    if (withReads.has(bucket)) continue;
    const previous = out.at(-1);
    if (previous && previous.toMs === bucket * BUCKET_MS) previous.toMs += BUCKET_MS;
    else out.push({ fromMs: bucket * BUCKET_MS, toMs: (bucket + 1) * BUCKET_MS });
  }
  return out;
}

/** Where the history ends: its last invocation or answer. */
export const historyEndNs = (history: readonly Op[]) => history.reduce((end, op) => Math.max(end, op.time), 0);

// ---------------------------------------------------------------------------------------------
// The timeline chart: panels sharing one time axis (writes and reads by answer time, operations in
// flight, latency by start time, write latency by answer time), with the cluster's events as
// vertical lines across all of them, each fault a band from injection to heal, repmgr's events
// and the endpoint agent's actions as marks in lanes above, and the write outage shaded.

const CHART_WIDTH = 1200;
const PLOT_LEFT = 64;
const PLOT_RIGHT = CHART_WIDTH - 20;
const LABEL_ROW_HEIGHT = 15;
const MAX_LABEL_ROWS = 4;
const LABEL_CHAR_WIDTH = 7;
const OUTCOMES: readonly Outcome[] = ['ok', 'info', 'fail'];
const OUTCOME_NAMES: Record<Outcome, string> = { ok: 'ok', fail: 'failed', info: 'unknown' };

/** A round step that divides `span` into at most `maxSteps` parts: 1, 2 or 5 times a power of ten. */
export function niceStep(span: number, maxSteps: number): number {
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
  const { y, grid } = logAxis(panel, lowPower, highPower);
  const center = (b: { startMs: number }) => x(b.startMs + BUCKET_MS / 2);
  // Lines join neighbouring buckets only: a gap in the answers is a gap in the line.
  const path = (series: 'median' | 'max') =>
    stats.map((s, i) => `${i > 0 && stats[i - 1]!.startMs === s.startMs - BUCKET_MS ? 'L' : 'M'}${px(center(s))},${px(y(s[series]))}`).join('');
  return html`
    <text class="panel-title" x="${PLOT_LEFT}" y="${panel.top - 8}">${panel.title}</text>
    ${grid}
    <path class="latency max" d="${path('max')}"/>
    <path class="latency median" d="${path('median')}"/>
    ${stats.map(
      (s) => html`<circle class="latency max" cx="${px(center(s))}" cy="${px(y(s.max))}" r="1.6" data-latency="max" data-bucket-start-ms="${s.startMs}" data-ms="${px(s.max)}"><title>${at(s.startMs)}: slowest of ${s.n} writes answered ${duration(s.max)}</title></circle><circle class="latency median" cx="${px(center(s))}" cy="${px(y(s.median))}" r="1.6" data-latency="median" data-bucket-start-ms="${s.startMs}" data-ms="${px(s.median)}"><title>${at(s.startMs)}: median of ${s.n} writes ${duration(s.median)}</title></circle>`,
    )}`;
}

/** A log scale over whole powers of ten, with a grid line and a label at each. */
function logAxis(panel: Panel, lowPower: number, highPower: number): { y: (ms: number) => number; grid: Markup } {
  const y = (ms: number) => panel.top + panel.height - ((Math.log10(Math.max(ms, 10 ** lowPower)) - lowPower) / (highPower - lowPower)) * panel.height;
  const ticks = Array.from({ length: highPower - lowPower + 1 }, (_, i) => 10 ** (lowPower + i));
  const grid = html`${ticks.map(
    (t) => html`<line class="grid" x1="${PLOT_LEFT}" x2="${PLOT_RIGHT}" y1="${px(y(t))}" y2="${px(y(t))}"/><text class="tick" x="${PLOT_LEFT - 6}" y="${px(y(t)) + 4}" text-anchor="end">${t >= 1000 ? `${t / 1000} s` : `${Number(t.toPrecision(1))} ms`}</text>`,
  )}`;
  return { y, grid };
}

const DOT_NAMES: Record<DotOutcome, string> = { ok: 'ok', info: 'unknown', open: 'no answer (cut off)', fail: 'failed', lost: 'ok, then lost' };
/** Above this a dot gets its own tooltip, as every dot that is not a plain ok does: a history of tens of thousands of quick ok dots would double the page for tooltips nobody reads. */
const SLOW_MS = 1000;

function dotTitle(dot: Dot, time: RunTime): string {
  const iso = time.isoOf(dot.startMs);
  const what = `${dot.f}${dot.id ? ` ${dot.id}` : ''} invoked at ${at(dot.startMs)}${iso ? ` (${iso})` : ''}`;
  if (dot.outcome === 'open') return `${what}: no answer by the end of the history, ${duration(dot.latencyMs)} later`;
  return `${what}: ${DOT_NAMES[dot.outcome]} after ${duration(dot.latencyMs)}${dot.error ? ` (${dot.error})` : ''}`;
}

/** A legend drawn in the panel's own title row, right-aligned, so the panel explains itself. */
function panelLegend(panel: Panel, name: string, items: readonly { className: string; text: string; hollow?: boolean }[]): Markup {
  const widths = items.map((i) => 24 + i.text.length * 6.8);
  let left = PLOT_RIGHT - widths.reduce((n, w) => n + w, 0);
  return html`<g class="panel-legend" data-legend="${name}">${items.map((item, i) => {
    const x = left;
    left += widths[i]!;
    return html`<circle class="${item.className}" cx="${px(x + 4)}" cy="${panel.top - 12}" r="${item.hollow ? 3 : 3.5}"/><text class="tick" x="${px(x + 11)}" y="${panel.top - 8}">${item.text}</text>`;
  })}</g>`;
}

/**
 * Every operation as a dot at the moment it was invoked, as high as it waited: a request held by
 * the failover shows where it was asked, as a column of dots as tall as the outage, instead of
 * piling into the bucket in which the outage ended.
 */
function startLatencyPanel(panel: Panel, dots: readonly Dot[], x: (ms: number) => number, time: RunTime): Markup {
  let low = Infinity;
  let high = 0;
  for (const d of dots) {
    low = Math.min(low, d.latencyMs);
    high = Math.max(high, d.latencyMs);
  }
  // A local read can take well under a millisecond; below 0.1 ms the difference is noise.
  const lowPower = Math.floor(Math.log10(Math.min(Math.max(low, 0.1), 1000)));
  const highPower = Math.max(lowPower + 1, Math.ceil(Math.log10(Math.max(high, 1))));
  const { y, grid } = logAxis(panel, lowPower, highPower);
  const dot = (d: Dot) => {
    const circle = `cx="${px(x(d.startMs))}" cy="${px(y(d.latencyMs))}" r="${d.isMutation ? 2.2 : 1.6}"${d.isMutation ? '' : ' class="read"'}`;
    return d.outcome === 'ok' && d.latencyMs < SLOW_MS ? new Markup(`<circle ${circle}/>`) : html`<circle ${new Markup(circle)}><title>${dotTitle(d, time)}</title></circle>`;
  };
  return html`
    <text class="panel-title" x="${PLOT_LEFT}" y="${panel.top - 8}">${panel.title}</text>
    ${panelLegend(panel, 'start-latency', [
      { className: 'dots-key ok', text: 'ok' },
      { className: 'dots-key info', text: 'unknown' },
      { className: 'dots-key open', text: 'no answer (cut off)', hollow: true },
      { className: 'dots-key fail', text: 'failed' },
      { className: 'dots-key lost', text: 'ok, then lost' },
      { className: 'dots-key read', text: 'small: a read' },
    ])}
    <g data-panel="start-latency" data-y-low-ms="${10 ** lowPower}" data-y-high-ms="${10 ** highPower}" data-top="${panel.top}" data-height="${panel.height}">
    ${grid}
    ${DOT_OUTCOMES.map((outcome) => {
      const mine = dots.filter((d) => d.outcome === outcome);
      return html`<g class="dots ${outcome}" data-outcome="${outcome}" data-count="${mine.length}">${mine.map(dot)}</g>`;
    })}
    </g>`;
}

/** How many operations were waiting at once: every client stuck shows as a plateau at the concurrency. */
function inFlightPanel(panel: Panel, peaks: readonly { startMs: number; peak: number }[], x: (ms: number) => number): Markup {
  const most = peaks.reduce((n, p) => Math.max(n, p.peak), 0);
  const step = niceStep(Math.max(most, 1), 2);
  const yMax = Math.max(step, Math.ceil(most / step) * step);
  const y = (count: number) => panel.top + panel.height - (count / yMax) * panel.height;
  const barWidth = Math.max(x(BUCKET_MS) - x(0) - 1, 0.6);
  const ticks = Array.from({ length: Math.round(yMax / step) + 1 }, (_, i) => i * step);
  return html`
    <text class="panel-title" x="${PLOT_LEFT}" y="${panel.top - 8}">${panel.title}</text>
    ${ticks.map(
      (t) => html`<line class="grid" x1="${PLOT_LEFT}" x2="${PLOT_RIGHT}" y1="${px(y(t))}" y2="${px(y(t))}"/><text class="tick" x="${PLOT_LEFT - 6}" y="${px(y(t)) + 4}" text-anchor="end">${t}</text>`,
    )}
    ${peaks
      .filter((p) => p.peak > 0)
      .map(
        (p) =>
          html`<rect class="inflight" x="${px(x(p.startMs) + 0.5)}" y="${px(y(p.peak))}" width="${px(barWidth)}" height="${px(y(0) - y(p.peak))}" data-inflight-start-ms="${p.startMs}" data-inflight="${p.peak}"><title>${at(p.startMs)}–${at(p.startMs + BUCKET_MS)}: at most ${plural(p.peak, 'operation')} in flight</title></rect>`,
      )}`;
}

/** Over the reads panel: where no read was sent, so that an empty stretch does not read as reads failing. */
function noReadsOverlay(panel: Panel, stretches: readonly { fromMs: number; toMs: number }[], x: (ms: number) => number): Markup {
  return html`${stretches.map((s) => {
    const width = Math.max(x(s.toMs) - x(s.fromMs), 0.6);
    return html`<rect class="no-reads" x="${px(x(s.fromMs))}" y="${panel.top}" width="${px(width)}" height="${panel.height}" data-no-reads-from-ms="${s.fromMs}" data-no-reads-to-ms="${s.toMs}"><title>no reads sent from ${at(s.fromMs)} to ${at(s.toMs)}: the clients asked nothing to read (held on writes, or not reading), so no bar here is not reads failing</title></rect>${
      width >= 80 && html`<text class="no-reads-label" x="${px(x(s.fromMs) + width / 2)}" y="${px(panel.top + panel.height / 2 + 4)}" text-anchor="middle">no reads sent</text>`
    }`;
  })}`;
}

const LANE_HEIGHT = 16;
const LANE_CHAR_WIDTH = 6.2;
const bandLabel = (b: FaultBand) => `${b.kind} ${b.node}`.trim();

/** The faults as bars in rows of their own above the plot (overlapping ones in separate rows), each named. */
function faultLanes(bands: readonly FaultBand[], rows: readonly number[], top: number, x: (ms: number) => number): Markup {
  return html`${bands.length > 0 && html`<text class="lane-name" x="${PLOT_LEFT - 6}" y="${top + 11}" text-anchor="end">faults</text>`}${bands.map((b, i) => {
    const y = top + rows[i]! * LANE_HEIGHT + 2;
    return html`<g class="fault-lane" data-fault-lane="${i}" data-from-ms="${b.fromMs}" data-to-ms="${b.toMs}"><title>${b.title}</title><rect class="fault-lane-bar${b.healed ? '' : ' unhealed'}" x="${px(x(b.fromMs))}" y="${y}" width="${px(Math.max(x(b.toMs) - x(b.fromMs), 2))}" height="${LANE_HEIGHT - 4}"/><text class="fault-lane-label" x="${px(x(b.fromMs) + 3)}" y="${y + 9.5}">${bandLabel(b)}</text></g>`;
  })}`;
}

const LANE_NAMES: Record<LaneKind, { name: string; title: string }> = {
  repmgr: { name: 'repmgr', title: "repmgr's events, from its events table (hover a mark for the event)" },
  'endpoint-agent': { name: 'agent', title: "the endpoint agent's actions, from its log: move, fence, unfence (hover a mark for its reason)" },
};

/** A row of small marks, one per event: diamonds for repmgr, triangles for the agent. */
function eventLane(lane: LaneKind, marks: readonly LaneMarker[], top: number, x: (ms: number) => number): Markup {
  const mid = top + LANE_HEIGHT / 2;
  const shape = (cx: number) => (lane === 'repmgr' ? `M${px(cx)},${px(mid - 5)}l5,5l-5,5l-5,-5z` : `M${px(cx - 5)},${px(mid - 4.5)}h10l-5,9z`);
  return html`<text class="lane-name" x="${PLOT_LEFT - 6}" y="${mid + 4}" text-anchor="end"><title>${LANE_NAMES[lane].title}</title>${LANE_NAMES[lane].name}</text>
    <line class="lane-rule" x1="${PLOT_LEFT}" x2="${PLOT_RIGHT}" y1="${mid}" y2="${mid}"/>
    ${marks.map(
      (m) =>
        html`<path class="lane-marker ${lane} ${lane === 'repmgr' ? '' : m.what}${m.failed ? ' unsuccessful' : ''}" d="${shape(x(m.atMs))}" data-lane-marker="${lane}" data-at-ms="${m.atMs}" ${new Markup(lane === 'repmgr' ? 'data-event' : 'data-action')}="${m.what}"><title>${m.title}</title></path>`,
    )}`;
}

interface ChartData {
  buckets: readonly Bucket[];
  markers: readonly Marker[];
  laneMarkers: readonly LaneMarker[];
  outage: CheckResult['writeUnavailability'];
  bands: readonly FaultBand[];
  dots: readonly Dot[];
  inFlight: readonly { startMs: number; peak: number }[];
  noReads: readonly { fromMs: number; toMs: number }[];
  /** The last moment the run recorded (history or events), in ms. */
  endMs: number;
  time: RunTime;
}

function timelineChart({ buckets, markers, laneMarkers, outage, bands, dots, inFlight, noReads, endMs: runEndMs, time }: ChartData): Markup {
  const lastMs = Math.max(BUCKET_MS, runEndMs, ...buckets.map((b) => b.startMs + BUCKET_MS), ...markers.map((m) => m.atMs), ...laneMarkers.map((m) => m.atMs), ...bands.map((b) => b.toMs), outage?.firstOkAfterMs ?? 0);
  const tickMs = niceStep(lastMs, 16);
  const endMs = Math.ceil(lastMs / tickMs) * tickMs;
  const x = (ms: number) => PLOT_LEFT + (Math.min(Math.max(ms, 0), endMs) / endMs) * (PLOT_RIGHT - PLOT_LEFT);

  const labels = placeLabels(
    markers.filter((m) => LABELLED.has(m.kind)),
    x,
  );
  const labelRows = Math.max(1, ...labels.map((l) => l.row + 1));
  const markersTop = 8 + labelRows * LABEL_ROW_HEIGHT;
  const bandRows = packRows(bands.map((b) => ({ from: x(b.fromMs), to: Math.max(x(b.toMs), x(b.fromMs) + 6 + bandLabel(b).length * LANE_CHAR_WIDTH) })));
  const faultLaneTop = markersTop + 6;
  const lanes = (['repmgr', 'endpoint-agent'] as const).filter((lane) => laneMarkers.some((m) => m.lane === lane));
  const eventLaneTop = faultLaneTop + (bands.length > 0 ? Math.max(...bandRows) + 1 : 0) * LANE_HEIGHT;
  const lanesBottom = eventLaneTop + lanes.length * LANE_HEIGHT;

  const writes: Panel = { title: `writes answered per ${BUCKET_MS} ms`, top: lanesBottom + 28, height: 190 };
  const reads: Panel = { title: `reads answered per ${BUCKET_MS} ms`, top: writes.top + writes.height + 34, height: 70 };
  const inFlightP: Panel = { title: `operations in flight (most at once in each ${BUCKET_MS} ms)`, top: reads.top + reads.height + 34, height: 56 };
  const startLatency: Panel = { title: 'latency by start time: one dot per operation, where it was invoked (log scale)', top: inFlightP.top + inFlightP.height + 34, height: 170 };
  const latency: Panel = { title: `write latency by answer time, per ${BUCKET_MS} ms (median and slowest, log scale)`, top: startLatency.top + startLatency.height + 34, height: 110 };
  const panels = [writes, reads, inFlightP, startLatency, latency];
  const plotTop = writes.top - 4;
  const plotBottom = latency.top + latency.height;
  const height = plotBottom + 40;
  const xTicks = Array.from({ length: Math.round(endMs / tickMs) + 1 }, (_, i) => i * tickMs);
  const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`;
  const origin = time.isoOf(0);

  return html`<svg data-testid="timeline-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${CHART_WIDTH} ${height}" width="100%" role="img" aria-label="operations, latency, faults and cluster events over the drill" data-bucket-ms="${BUCKET_MS}" data-end-ms="${endMs}" data-plot-left="${PLOT_LEFT}" data-plot-right="${PLOT_RIGHT}" data-wall-origin="${origin}">
    <defs><pattern id="lost-hatch" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="4" height="4" fill="#7f0000"/><line x1="0" y1="0" x2="0" y2="4" stroke="#ffb4a9" stroke-width="1.6"/></pattern><pattern id="no-reads-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#c9ced6" stroke-width="1"/></pattern></defs>
    ${xTicks.map(
      (t) =>
        html`<g class="x-tick" data-x-tick-ms="${t}">${origin && html`<title>${time.isoOf(t)}: ${seconds(t)} since the drill started</title>`}<line class="grid vertical" x1="${px(x(t))}" x2="${px(x(t))}" y1="${plotTop}" y2="${plotBottom}"/><text class="tick" x="${px(x(t))}" y="${plotBottom + 16}" text-anchor="middle">${seconds(t)}</text></g>`,
    )}
    <text class="axis-title" x="${PLOT_RIGHT}" y="${plotBottom + 34}" text-anchor="end">seconds since the drill started${origin ? ` (0 s = ${origin}; hover a time for its wall clock)` : ''}</text>
    ${
      outage &&
      html`<rect class="outage" x="${px(x(outage.lastOkBeforeMs))}" y="${plotTop}" width="${px(Math.max(x(outage.firstOkAfterMs) - x(outage.lastOkBeforeMs), 1))}" height="${plotBottom - plotTop}" data-band="write-unavailability" data-from-ms="${outage.lastOkBeforeMs}" data-to-ms="${outage.firstOkAfterMs}"><title>writes down for ${duration(outage.ms)}: last ok write before writes stopped at ${at(outage.lastOkBeforeMs)}, first ok write by the primary after the fault at ${at(outage.firstOkAfterMs)}</title></rect><text class="outage-label" x="${px((x(outage.lastOkBeforeMs) + x(outage.firstOkAfterMs)) / 2)}" y="${writes.top + 14}" text-anchor="middle">writes down ${duration(outage.ms)}</text>`
    }
    ${bands.map(
      (b) =>
        html`<rect class="fault-band" x="${px(x(b.fromMs))}" y="${plotTop}" width="${px(Math.max(x(b.toMs) - x(b.fromMs), 1))}" height="${plotBottom - plotTop}" data-band="fault" data-kind="${b.kind}" data-node="${b.node}" data-from-ms="${b.fromMs}" data-to-ms="${b.toMs}" data-healed="${String(b.healed)}"><title>${b.title}</title></rect>`,
    )}
    ${faultLanes(bands, bandRows, faultLaneTop, x)}
    ${lanes.map((lane, i) =>
      eventLane(
        lane,
        laneMarkers.filter((m) => m.lane === lane),
        eventLaneTop + i * LANE_HEIGHT,
        x,
      ),
    )}
    ${barsPanel(writes, 'write', buckets, x)}
    ${noReadsOverlay(reads, noReads, x)}
    ${barsPanel(reads, 'read', buckets, x)}
    ${inFlightPanel(inFlightP, inFlight, x)}
    ${startLatencyPanel(startLatency, dots, x, time)}
    ${latencyPanel(latency, buckets, x)}
    ${panels.map((p) => html`<line class="axis" x1="${PLOT_LEFT}" x2="${PLOT_RIGHT}" y1="${p.top + p.height}" y2="${p.top + p.height}"/>`)}
    ${markers.map(
      (m) => html`<line class="marker ${m.kind}" x1="${px(x(m.atMs))}" x2="${px(x(m.atMs))}" y1="${markersTop}" y2="${plotBottom}" data-marker="${m.kind}" data-at-ms="${m.atMs}"><title>${m.title}</title></line>`,
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

function eventsSection(events: readonly ClusterEvent[], time: RunTime): Markup {
  // Events read back from repmgr may lack a monotonic time: placed by the wall clock, on the chart's axis.
  const rows = events
    .map((e) => ({ e, atMs: time.msOf(e) }))
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
.swatch.no-reads-swatch { background: repeating-linear-gradient(45deg, #c9ced6 0 1px, #fff 1px 4px); border: 1px solid #d9dee5; }
.key-diamond { display: inline-block; width: 8px; height: 8px; background: #1565c0; transform: rotate(45deg); margin-right: 6px; }
.key-triangle { display: inline-block; width: 0; height: 0; border-left: 5px solid transparent; border-right: 5px solid transparent; border-top: 9px solid #7b1fa2; margin-right: 5px; vertical-align: -1px; }
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
svg .no-reads { fill: url(#no-reads-hatch); }
svg .no-reads-label { fill: var(--muted); font-style: italic; }
svg .inflight { fill: #546e7a; }
svg .dots circle { stroke: none; fill-opacity: .55; }
svg .dots circle.read { fill-opacity: .4; }
svg .dots.ok circle, svg .dots-key.ok { fill: var(--ok); }
svg .dots.info circle, svg .dots-key.info { fill: var(--info); }
svg .dots.open circle, svg .dots-key.open { fill: none; stroke: var(--info); stroke-width: 1.2; fill-opacity: 1; }
svg .dots.fail circle, svg .dots-key.fail { fill: var(--fail); }
svg .dots.lost circle, svg .dots-key.lost { fill: #4a0000; fill-opacity: .9; }
svg .dots-key.read { fill: var(--muted); }
svg .lane-name { fill: var(--muted); }
svg .lane-rule { stroke: #eef0f3; }
svg .fault-lane-bar { fill: #8e0000; fill-opacity: .2; stroke: #8e0000; stroke-width: .8; }
svg .fault-lane-bar.unhealed { stroke-dasharray: 3 2; }
svg .fault-lane-label { fill: #5c0000; font-size: 10.5px; font-weight: 600; }
svg .lane-marker.repmgr { fill: #1565c0; stroke: #0d3c78; stroke-width: .6; }
svg .lane-marker.repmgr.unsuccessful { fill: #fff; stroke: var(--fail); stroke-width: 1.4; }
svg .lane-marker.endpoint-agent { fill: #7b1fa2; }
svg .lane-marker.endpoint-agent.fence { fill: #c62828; }
svg .lane-marker.endpoint-agent.unfence { fill: #9e9e9e; }
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
    ${swatch('#546e7a', 'operations in flight')}${html`<span><span class="swatch no-reads-swatch"></span>no reads sent</span>`}
    ${swatch('rgba(142,0,0,.25)', 'fault, injected to healed')}${swatch('#8e0000', 'fault', true)}${swatch('#1565c0', 'promotion observed', true)}${swatch('#7b1fa2', 'endpoint move', true)}${swatch('#00838f', 'heal', true)}
    <span><span class="key-diamond"></span>repmgr event</span><span><span class="key-triangle"></span>endpoint agent: move, fence, unfence</span>
  </div>`;
}

/** A whole self-contained page: our style inline (and the caller's own, if any), nothing fetched from anywhere. */
export function page(title: string, body: Markup, style = ''): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${new Markup(STYLE + style)}</style>
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
    dots: startLatencyDots(pairs, lostIds, mutation, endNs),
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
  ${eventsSection(events, time)}
  ${settingsSection(report)}
  <footer>flipdrill report (${report.schema}). The bars count operations by when their answer came, the dots place each by when it was invoked; times are seconds since the drill started. report.json, history.jsonl and events.jsonl in this folder hold everything shown here.</footer>`,
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
