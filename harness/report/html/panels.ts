/**
 * The timeline chart's parts, each drawn as SVG on the chart's shared time axis `x`: the bar
 * panels, the latency panels, operations in flight, the no-reads overlay, the fault lanes and the
 * event lanes, and the marker labels above the plot. chart.ts lays them out.
 */
import { html, Markup } from './markup.ts';
import { at, duration, plural, px } from './format.ts';
import { BUCKET_MS, DOT_OUTCOMES, median, type Bucket, type Dot, type DotOutcome, type FaultBand, type LaneKind, type LaneMarker, type Marker, type Outcome, type RunTime } from './timeline.ts';

export const CHART_WIDTH = 1200;
export const PLOT_LEFT = 64;
export const PLOT_RIGHT = CHART_WIDTH - 20;
export const LABEL_ROW_HEIGHT = 15;
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
export function placeLabels(markers: readonly Marker[], x: (ms: number) => number): { marker: Marker; text: string; row: number; x: number; anchor: 'start' | 'end' }[] {
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

export interface Panel {
  title: string;
  top: number;
  height: number;
}

export function barsPanel(panel: Panel, f: 'write' | 'read', buckets: readonly Bucket[], x: (ms: number) => number): Markup {
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

export function latencyPanel(panel: Panel, buckets: readonly Bucket[], x: (ms: number) => number): Markup {
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

const DOT_NAMES: Record<DotOutcome, string> = { ok: 'ok', info: 'unknown', open: 'no answer (cut off)', fail: 'failed', lost: 'ok, then lost', session: 'ok, against its session' };
/** Above this a dot gets its own tooltip, as every dot that is not a plain ok does: a history of tens of thousands of quick ok dots would double the page for tooltips nobody reads. */
const SLOW_MS = 1000;

function dotTitle(dot: Dot, time: RunTime): string {
  const iso = time.isoOf(dot.startMs);
  const what = `${dot.f}${dot.id ? ` ${dot.id}` : ''} invoked at ${at(dot.startMs)}${iso ? ` (${iso})` : ''}`;
  if (dot.outcome === 'open') return `${what}: no answer by the end of the history, ${duration(dot.latencyMs)} later`;
  const by = dot.servedBy ? `, answered by ${dot.servedBy}` : '';
  return `${what}: ${DOT_NAMES[dot.outcome]} after ${duration(dot.latencyMs)}${by}${dot.error ? ` (${dot.error})` : ''}${dot.why ? `: ${dot.why}` : ''}`;
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
export function startLatencyPanel(panel: Panel, dots: readonly Dot[], x: (ms: number) => number, time: RunTime): Markup {
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
      { className: 'dots-key session', text: 'read against its session' },
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
export function inFlightPanel(panel: Panel, peaks: readonly { startMs: number; peak: number }[], x: (ms: number) => number): Markup {
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
export function noReadsOverlay(panel: Panel, stretches: readonly { fromMs: number; toMs: number }[], x: (ms: number) => number): Markup {
  return html`${stretches.map((s) => {
    const width = Math.max(x(s.toMs) - x(s.fromMs), 0.6);
    return html`<rect class="no-reads" x="${px(x(s.fromMs))}" y="${panel.top}" width="${px(width)}" height="${panel.height}" data-no-reads-from-ms="${s.fromMs}" data-no-reads-to-ms="${s.toMs}"><title>no reads sent from ${at(s.fromMs)} to ${at(s.toMs)}: the clients asked nothing to read (held on writes, or not reading), so no bar here is not reads failing</title></rect>${
      width >= 80 && html`<text class="no-reads-label" x="${px(x(s.fromMs) + width / 2)}" y="${px(panel.top + panel.height / 2 + 4)}" text-anchor="middle">no reads sent</text>`
    }`;
  })}`;
}

export const LANE_HEIGHT = 16;
export const LANE_CHAR_WIDTH = 6.2;
export const bandLabel = (b: FaultBand) => `${b.kind} ${b.node}`.trim();

/** The faults as bars in rows of their own above the plot (overlapping ones in separate rows), each named. */
export function faultLanes(bands: readonly FaultBand[], rows: readonly number[], top: number, x: (ms: number) => number): Markup {
  return html`${bands.length > 0 && html`<text class="lane-name" x="${PLOT_LEFT - 6}" y="${top + 11}" text-anchor="end">faults</text>`}${bands.map((b, i) => {
    const y = top + rows[i]! * LANE_HEIGHT + 2;
    return html`<g class="fault-lane" data-fault-lane="${i}" data-from-ms="${b.fromMs}" data-to-ms="${b.toMs}"><title>${b.title}</title><rect class="fault-lane-bar${b.healed ? '' : ' unhealed'}" x="${px(x(b.fromMs))}" y="${y}" width="${px(Math.max(x(b.toMs) - x(b.fromMs), 2))}" height="${LANE_HEIGHT - 4}"/><text class="fault-lane-label" x="${px(x(b.fromMs) + 3)}" y="${y + 9.5}">${bandLabel(b)}</text></g>`;
  })}`;
}

const LANE_NAMES: Record<LaneKind, { name: string; title: string }> = {
  repmgr: { name: 'repmgr', title: "repmgr's events, from its events table (hover a mark for the event)" },
  manager: { name: 'manager', title: "the HA manager's own record, asked through its interface (hover a mark for the event)" },
  'endpoint-agent': { name: 'agent', title: "the endpoint agent's actions, from its log: move, fence, unfence (hover a mark for its reason)" },
};

/** A row of small marks, one per event: diamonds for repmgr and other managers, triangles for the agent. */
export function eventLane(lane: LaneKind, marks: readonly LaneMarker[], top: number, x: (ms: number) => number): Markup {
  const mid = top + LANE_HEIGHT / 2;
  const diamond = lane === 'repmgr' || lane === 'manager';
  const shape = (cx: number) => (diamond ? `M${px(cx)},${px(mid - 5)}l5,5l-5,5l-5,-5z` : `M${px(cx - 5)},${px(mid - 4.5)}h10l-5,9z`);
  return html`<text class="lane-name" x="${PLOT_LEFT - 6}" y="${mid + 4}" text-anchor="end"><title>${LANE_NAMES[lane].title}</title>${LANE_NAMES[lane].name}</text>
    <line class="lane-rule" x1="${PLOT_LEFT}" x2="${PLOT_RIGHT}" y1="${mid}" y2="${mid}"/>
    ${marks.map(
      (m) =>
        html`<path class="lane-marker ${lane} ${diamond ? '' : m.what}${m.failed ? ' unsuccessful' : ''}" d="${shape(x(m.atMs))}" data-lane-marker="${lane}" data-at-ms="${m.atMs}" ${new Markup(diamond ? 'data-event' : 'data-action')}="${m.what}"><title>${m.title}</title></path>`,
    )}`;
}
