/**
 * What the timeline chart is drawn from: the operations counted by when their answer came, each
 * operation by when it was invoked, the operations in flight, the stretches without a read, and the
 * cluster's events placed on the run's one time axis (markers, lane marks, fault bands). Data only;
 * chart.ts and panels.ts draw it.
 */
import { pairOperations } from '../../checker/history.ts';
import type { ClusterEvent, Op } from '../../op.ts';
import { at, duration, nsToMs, textOf } from './format.ts';

/** The chart counts operations by the 100 ms in which their answer came. */
export const BUCKET_MS = 100;

export type Outcome = 'ok' | 'fail' | 'info';
export type MarkerKind = 'fault' | 'promotion' | 'endpoint-move' | 'heal' | 'switchback';

type Counts = Record<Outcome, number>;

export interface Bucket {
  startMs: number;
  write: Counts;
  read: Counts;
  /** Of the ok writes, how many the checker found lost. */
  lostWrites: number;
  /** Latency of the writes answered in this bucket, whatever the answer: a timeout is what its user waited. */
  writeLatencyMs: number[];
}

export type Pair = ReturnType<typeof pairOperations>[number];

/** The workload's mutations (its `write`, the bank's `transfer`) are the chart's writes; the rest its reads. */
export function bucketsOf(pairs: readonly Pair[], lostIds: ReadonlySet<string>, mutation: string): Bucket[] {
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

export function median(sorted: readonly number[]): number {
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

export interface Marker {
  kind: MarkerKind;
  atMs: number;
  label: string;
  /** The event in full, for the tooltip. */
  title: string;
}

/** The events drawn as lines across every panel. Faults and heals are also the ends of the fault bands, which carry their labels. */
export function markerOf(event: ClusterEvent, time: RunTime): Marker | null {
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
export const LABELLED: ReadonlySet<MarkerKind> = new Set(['promotion', 'endpoint-move', 'switchback']);

/** `manager`: what a cluster file's HA manager recorded (Patroni's history, pg_auto_failover's events). */
export type LaneKind = 'repmgr' | 'manager' | 'endpoint-agent';

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
  if (event.type !== 'repmgr' && event.type !== 'manager' && event.type !== 'endpoint-agent') return null;
  const atMs = time.msOf(event);
  if (atMs === null) return null;
  const iso = time.isoOf(atMs);
  const when = `at ${at(atMs)}${iso ? ` (${iso})` : ''}`;
  if (event.type === 'repmgr') {
    const failed = event.successful === false;
    return { lane: 'repmgr', atMs, what: textOf(event.event), failed, title: `repmgr ${textOf(event.event)} on ${textOf(event.node)} ${when}${failed ? ', unsuccessful' : ''}${event.details ? `: ${textOf(event.details)}` : ''}` };
  }
  if (event.type === 'manager') {
    return { lane: 'manager', atMs, what: textOf(event.event), failed: false, title: `${textOf(event.manager)}: ${textOf(event.event)}${event.node ? ` on ${textOf(event.node)}` : ''} ${when}${event.details ? `: ${textOf(event.details)}` : ''}` };
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

/**
 * ok, failed, unknown; `open`: never answered before the history ends; `lost`: ok, then missing
 * from the final read; `session`: a read answered ok that went back on its session (missed its own
 * write, lost a row it had seen) or came from a replaced timeline.
 */
export type DotOutcome = Outcome | 'open' | 'lost' | 'session';
export const DOT_OUTCOMES: readonly DotOutcome[] = ['ok', 'info', 'open', 'fail', 'lost', 'session'];

/** The key of an operation in the checker's lists (process and invocation time in ms), for its dot. */
export const opKey = (process: number, invokedAtMs: number): string => `${process}@${invokedAtMs}`;

export interface Dot {
  f: string;
  isMutation: boolean;
  outcome: DotOutcome;
  startMs: number;
  /** Answer time minus invoke time; for an open one, the end of the history minus invoke time (it waited at least that). */
  latencyMs: number;
  id?: string;
  error?: string;
  /** For a read: the node that answered it, and, for a `session` dot, what it went back on. */
  servedBy?: string;
  why?: string;
}

/** One dot per invocation of the history, answered or not; `sessionReads`: the reads against their session, by opKey, with why. */
export function startLatencyDots(pairs: readonly Pair[], lostIds: ReadonlySet<string>, mutation: string, endNs: number, sessionReads: ReadonlyMap<string, string> = new Map()): Dot[] {
  return pairs.map(({ invoke, completion }) => {
    const isMutation = invoke.f === mutation;
    const id = (invoke.value as { id?: unknown } | null)?.id;
    const why = !isMutation && completion?.type === 'ok' ? sessionReads.get(opKey(invoke.process, nsToMs(invoke.time))) : undefined;
    const servedBy = (completion?.value as { served_by?: { node?: unknown } } | null)?.served_by?.node;
    const outcome: DotOutcome = !completion ? 'open' : completion.type === 'ok' && isMutation && typeof id === 'string' && lostIds.has(id) ? 'lost' : why ? 'session' : (completion.type as Outcome);
    const until = completion?.time ?? Math.max(endNs, invoke.time);
    return {
      f: invoke.f,
      isMutation,
      outcome,
      startMs: nsToMs(invoke.time),
      latencyMs: nsToMs(until - invoke.time),
      ...(typeof id === 'string' ? { id } : {}),
      ...(completion?.error ? { error: completion.error } : {}),
      ...(typeof servedBy === 'string' ? { servedBy } : {}),
      ...(why ? { why } : {}),
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
