/** The frame of every page of ours: one self-contained HTML document with the style inline. */
import { html, Markup } from './markup.ts';

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
svg .dots.session circle, svg .dots-key.session { fill: #e65100; fill-opacity: .95; }
svg .dots.session circle.read { r: 2.6; }
svg .dots-key.read { fill: var(--muted); }
svg .lane-name { fill: var(--muted); }
svg .lane-rule { stroke: #eef0f3; }
svg .fault-lane-bar { fill: #8e0000; fill-opacity: .2; stroke: #8e0000; stroke-width: .8; }
svg .fault-lane-bar.unhealed { stroke-dasharray: 3 2; }
svg .fault-lane-label { fill: #5c0000; font-size: 10.5px; font-weight: 600; }
svg .lane-marker.repmgr { fill: #1565c0; stroke: #0d3c78; stroke-width: .6; }
svg .lane-marker.manager { fill: #6a1b9a; stroke: #38006b; stroke-width: .6; }
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
