/**
 * The timeline chart: panels sharing one time axis (writes and reads by answer time, operations in
 * flight, latency by start time, write latency by answer time), with the cluster's events as
 * vertical lines across all of them, each fault a band from injection to heal, repmgr's events
 * and the endpoint agent's actions as marks in lanes above, and the write outage shaded.
 */
import type { CheckResult } from '../../checker/types.ts';
import { html, type Markup } from './markup.ts';
import { at, duration, px } from './format.ts';
import { BUCKET_MS, LABELLED, packRows, type Bucket, type Dot, type FaultBand, type LaneMarker, type Marker, type RunTime } from './timeline.ts';
import {
  bandLabel,
  barsPanel,
  CHART_WIDTH,
  eventLane,
  faultLanes,
  inFlightPanel,
  LABEL_ROW_HEIGHT,
  LANE_CHAR_WIDTH,
  LANE_HEIGHT,
  latencyPanel,
  niceStep,
  noReadsOverlay,
  placeLabels,
  PLOT_LEFT,
  PLOT_RIGHT,
  startLatencyPanel,
  type Panel,
} from './panels.ts';

export interface ChartData {
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

export function timelineChart({ buckets, markers, laneMarkers, outage, bands, dots, inFlight, noReads, endMs: runEndMs, time }: ChartData): Markup {
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
  const lanes = (['repmgr', 'manager', 'endpoint-agent'] as const).filter((lane) => laneMarkers.some((m) => m.lane === lane));
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

export function legend(anyLost: boolean): Markup {
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

