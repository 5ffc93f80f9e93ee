/**
 * <runs>/index.html: one page over every drill of a runs folder, for a team looking for a
 * regression across nightly drills. A trend chart of the writes-down window over time, one row
 * per series (a scenario, drilled with one workload, app profile, replication mode and TLS or
 * not: a bank drill of kill-primary is not compared with a set drill of it), each point coloured by
 * the run's verdict, and a table of the runs, newest first: when, scenario, workload, verdict,
 * writes-down window, lost writes, app profile, and a link to the run's own report.html.
 *
 * Read from what the run folders hold (report.json), never from a drill in progress: a folder
 * without a readable report.json of the drill's schema is left out (and named at the foot of the
 * page). A --repeat run (aggregate.json at its top) contributes its iterations, each a drill with
 * its own report.json.
 *
 * Self-contained like report.html: inline CSS and SVG, no script, links relative to the page, so
 * the folder can be copied or served as it is. The same folders give the same page, byte for byte.
 *
 * What the page shows is also in its attributes:
 *   <tr data-run data-scenario data-verdict data-window-ms data-lost>     one per run, newest first
 *   <circle data-point data-run data-scenario data-verdict data-window-ms data-started-ms>   one per run
 *   <g data-trend-series data-trend-scenario data-runs>                  one row of the chart per series
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { writeFileSafely } from '../../cluster/lib/safe-write.ts';
import { duration, px } from './html/format.ts';
import { html, type Markup } from './html/markup.ts';
import { page } from './html/page.ts';
import { niceStep } from './html/panels.ts';
import { AGGREGATE_SCHEMA, REPORT_SCHEMA, type DrillReport } from './report.ts';
import { readRunJson } from './stored-run.ts';

export interface IndexRow {
  /** The run folder relative to the runs folder, '/'-separated (a --repeat iteration: `<run>/iteration-NN`). */
  dir: string;
  startedAt: string;
  startedAtMs: number;
  scenario: string;
  verdict: 'PASS' | 'FAIL';
  /** The clients' writes-down window (result.writeUnavailability.ms); null when writes never resumed. */
  windowMs: number | null;
  lost: number;
  /** The app profile the drill ran (reports from before it was recorded have none). */
  app: string | null;
  /** The workload (set or bank; reports from before it was named ran set). */
  workload: string;
  /** The replication mode (sync or async), when the report says. */
  replication: string | null;
  tls: boolean;
  /** What the trend chart compares the run with: its scenario and whatever of the above is not the default. */
  series: string;
  /** The run's page relative to the index: its report.html, or its report.json when it has no page. */
  link: string;
}

export interface SkippedFolder {
  dir: string;
  reason: string;
}

/** A href relative to the index for a file of a run folder: each segment escaped, so a name cannot become a query or a fragment. */
const hrefOf = (dir: string, file: string) => [...dir.split('/'), file].map(encodeURIComponent).join('/');

/**
 * The name of a run's series: the scenario, then each way the run was drilled that differs from a
 * plain `flipdrill drill` (set workload, aware app, sync replication, no TLS), so that runs are
 * compared only with runs drilled the same way.
 */
export function seriesOf(run: Pick<IndexRow, 'scenario' | 'workload' | 'app' | 'replication' | 'tls'>): string {
  const parts = [run.scenario];
  if (run.workload !== 'set') parts.push(run.workload);
  if (run.app !== null && run.app !== 'aware') parts.push(`${run.app} app`);
  if (run.replication !== null && run.replication !== 'sync') parts.push(run.replication);
  if (run.tls) parts.push('TLS');
  return parts.join(' · ');
}

/** One row of the index: pure, from the report and where its folder is. */
export function indexRowOf(report: DrillReport, dir: string, hasHtml: boolean): IndexRow {
  const how = {
    scenario: report.scenario,
    app: typeof report.cluster?.app === 'string' ? report.cluster.app : null,
    workload: typeof report.workload?.name === 'string' ? report.workload.name : 'set',
    replication: typeof report.cluster?.replication === 'string' ? report.cluster.replication : null,
    tls: report.cluster?.tls === true,
  };
  return {
    dir,
    startedAt: report.startedAt,
    startedAtMs: Date.parse(report.startedAt),
    verdict: report.result.verdict,
    windowMs: report.result.writeUnavailability?.ms ?? null,
    lost: report.result.lost.length,
    ...how,
    series: seriesOf(how),
    link: hrefOf(dir, hasHtml ? 'report.html' : 'report.json'),
  };
}

/** Code-point order: the same on every machine, whatever its locale. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Newest first; runs started in the same millisecond by folder name, so the order never depends on the file system's. */
export function sortRows(rows: readonly IndexRow[]): IndexRow[] {
  return [...rows].sort((a, b) => b.startedAtMs - a.startedAtMs || byText(a.dir, b.dir));
}

/** The earliest start of a drill the index takes: anything before is not a flipdrill run's time. */
const EARLIEST_MS = Date.parse('2000-01-01T00:00:00.000Z');
/** How far past the clock a run may have started (clocks of machines differ): a day. */
const AHEAD_MS = 24 * 3_600_000;
/** The longest writes-down window the index takes: 30 days, longer than any drill. */
const LONGEST_WINDOW_MS = 30 * 24 * 3_600_000;

/**
 * Why a report.json cannot be indexed, or null when it can: the fields the index reads, of the
 * drill report's schema, and times the chart can place (a start between 2000 and a day after
 * `now`, a window of 0 to 30 days): a time far out would stretch the time axis over millennia.
 */
export function reportProblem(value: unknown, now = Date.now()): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'report.json is not an object';
  const r = value as Partial<DrillReport> & { schema?: unknown };
  if (r.schema !== REPORT_SCHEMA) return `report.json of schema ${JSON.stringify(r.schema) ?? 'none'}, not ${REPORT_SCHEMA}`;
  if (typeof r.scenario !== 'string') return 'report.json names no scenario';
  const startedAtMs = typeof r.startedAt === 'string' ? Date.parse(r.startedAt) : Number.NaN;
  if (Number.isNaN(startedAtMs)) return 'report.json has no valid startedAt';
  if (startedAtMs < EARLIEST_MS || startedAtMs > now + AHEAD_MS) return 'report.json has a startedAt before 2000 or more than a day from now';
  const result = r.result as Partial<DrillReport['result']> | undefined;
  if (!result || (result.verdict !== 'PASS' && result.verdict !== 'FAIL') || !Array.isArray(result.lost)) return 'report.json has no verdict';
  const window = result.writeUnavailability as { ms?: unknown } | null | undefined;
  if (window !== null && window !== undefined) {
    const ms = typeof window === 'object' ? window.ms : undefined;
    if (typeof ms !== 'number' || !(ms >= 0 && ms <= LONGEST_WINDOW_MS)) return 'report.json has no valid writes-down window';
  }
  return null;
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** A run folder's JSON file: never through a link, and a parse error quotes nothing of it (readRunJson). */
const readJsonFile = (file: string): unknown => readRunJson<unknown>(file);

/** A drill's folder as a row, or why not. */
function readRun(runsDir: string, dir: string, now: number): IndexRow | SkippedFolder {
  const folder = path.join(runsDir, ...dir.split('/'));
  let report: unknown;
  try {
    report = readJsonFile(path.join(folder, 'report.json'));
  } catch (error) {
    return { dir, reason: `report.json unreadable: ${(error as Error).message}` };
  }
  const problem = reportProblem(report, now);
  return problem ? { dir, reason: problem } : indexRowOf(report as DrillReport, dir, existsSync(path.join(folder, 'report.html')));
}

/** The immediate subfolders of a folder, in name order; none when it cannot be listed. */
function subfolders(dir: string): string[] {
  try {
    return readdirSync(dir)
      .sort(byText)
      .filter((name) => isDirectory(path.join(dir, name)));
  } catch {
    return [];
  }
}

/**
 * Every drill the runs folder holds: its immediate subfolders with a report.json, and the
 * iterations of its --repeat runs. Everything else is skipped, with the reason. `now` bounds the
 * start times taken (see reportProblem).
 */
export function readRuns(runsDir: string, now = Date.now()): { rows: IndexRow[]; skipped: SkippedFolder[] } {
  const rows: IndexRow[] = [];
  const skipped: SkippedFolder[] = [];
  const take = (found: IndexRow | SkippedFolder) => ('reason' in found ? skipped.push(found) : rows.push(found));
  for (const name of readdirSync(runsDir).sort(byText)) {
    const dir = path.join(runsDir, name);
    if (!isDirectory(dir)) continue;
    if (existsSync(path.join(dir, 'report.json'))) {
      take(readRun(runsDir, name, now));
      continue;
    }
    if (!existsSync(path.join(dir, 'aggregate.json'))) {
      skipped.push({ dir: name, reason: 'no report.json (a drill that did not finish, or not a drill)' });
      continue;
    }
    let schema: unknown;
    try {
      schema = (readJsonFile(path.join(dir, 'aggregate.json')) as { schema?: unknown } | null)?.schema;
    } catch (error) {
      skipped.push({ dir: name, reason: `aggregate.json unreadable: ${(error as Error).message}` });
      continue;
    }
    if (schema !== AGGREGATE_SCHEMA) {
      skipped.push({ dir: name, reason: `aggregate.json of schema ${JSON.stringify(schema) ?? 'none'}, not ${AGGREGATE_SCHEMA}` });
      continue;
    }
    // A --repeat run: its iterations are drills, each with its own folder and report.json.
    for (const iteration of subfolders(dir).filter((sub) => existsSync(path.join(dir, sub, 'report.json')))) take(readRun(runsDir, `${name}/${iteration}`, now));
  }
  return { rows: sortRows(rows), skipped };
}

// ---------------------------------------------------------------------------------------------
// The trend chart: one row per series, sharing a time axis, so a slower failover stands out
// against the runs drilled the same way.

const WIDTH = 1200;
const LEFT = 210;
const RIGHT = WIDTH - 60;
const ROW_HEIGHT = 58;
const ROW_GAP = 26;
const TOP = 16;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TIME_STEPS = [MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY, 91 * DAY, 182 * DAY, 364 * DAY];

/** Round moments of UTC to label the time axis with, at most `maxTicks` of them. */
export function timeTicks(fromMs: number, toMs: number, maxTicks = 8): { step: number; ticks: number[] } {
  const step = TIME_STEPS.find((s) => (toMs - fromMs) / s <= maxTicks) ?? TIME_STEPS.at(-1)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(fromMs / step) * step; t <= toMs; t += step) ticks.push(t);
  return { step, ticks };
}

/** A date as the table and the axis show it: UTC, to the second (or the minute, or the day, on the axis). */
const utc = (ms: number, to: 'second' | 'minute' | 'day' = 'second') => {
  const iso = new Date(ms).toISOString();
  return to === 'day' ? iso.slice(0, 10) : to === 'minute' ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
};

/** The series in name order (a scenario's plain drills first, then its variants), each with its runs oldest first. */
export function runSeries(rows: readonly IndexRow[]): { series: string; scenario: string; runs: IndexRow[] }[] {
  const by = new Map<string, IndexRow[]>();
  for (const row of rows) by.set(row.series, [...(by.get(row.series) ?? []), row]);
  return [...by.entries()]
    .sort(([a], [b]) => byText(a, b))
    .map(([series, runs]) => ({ series, scenario: runs[0]!.scenario, runs: [...runs].sort((a, b) => a.startedAtMs - b.startedAtMs || byText(a.dir, b.dir)) }));
}

const describeRun = (r: IndexRow) =>
  `${r.dir} · ${utc(r.startedAtMs)} UTC · ${r.verdict} · ${r.windowMs === null ? 'writes never resumed' : `writes down ${duration(r.windowMs)}`} · ${r.lost} lost`;

function trendChart(rows: readonly IndexRow[]): Markup {
  const series = runSeries(rows);
  const first = Math.min(...rows.map((r) => r.startedAtMs));
  const last = Math.max(...rows.map((r) => r.startedAtMs));
  // A little room either side, so that the first and the last point are not cut by the edge; a single run gets an hour around it.
  const pad = Math.max((last - first) * 0.03, last === first ? 30 * MINUTE : MINUTE);
  const from = first - pad;
  const to = last + pad;
  const x = (ms: number) => LEFT + ((ms - from) / (to - from)) * (RIGHT - LEFT);
  const { step, ticks } = timeTicks(from, to);
  const height = TOP + series.length * (ROW_HEIGHT + ROW_GAP) + 40;
  const bottom = height - 40;

  const row = ({ series: name, scenario, runs }: { series: string; scenario: string; runs: IndexRow[] }, i: number) => {
    const top = TOP + i * (ROW_HEIGHT + ROW_GAP) + 12;
    const windows = runs.map((r) => r.windowMs).filter((w): w is number => w !== null);
    const most = Math.max(...windows, 1);
    const yStep = niceStep(most, 2);
    const yMax = Math.max(yStep, Math.ceil(most / yStep) * yStep);
    const y = (ms: number) => top + ROW_HEIGHT - (ms / yMax) * ROW_HEIGHT;
    // A run whose writes never resumed has no window: it is drawn above the row's scale, hollow.
    const yOf = (r: IndexRow) => (r.windowMs === null ? top - 6 : y(r.windowMs));
    const line = runs
      .filter((r) => r.windowMs !== null)
      .map((r, j) => `${j === 0 ? 'M' : 'L'}${px(x(r.startedAtMs))},${px(y(r.windowMs!))}`)
      .join('');
    const failed = runs.filter((r) => r.verdict === 'FAIL').length;
    const shown = name.length > 28 ? `${name.slice(0, 27)}…` : name;
    return html`<g class="trend-row" data-trend-series="${name}" data-trend-scenario="${scenario}" data-runs="${runs.length}">
      <text class="scenario-name" x="${LEFT - 12}" y="${top + 18}" text-anchor="end"><title>${name}</title>${shown}</text>
      <text class="tick" x="${LEFT - 12}" y="${top + 34}" text-anchor="end">${runs.length} ${runs.length === 1 ? 'run' : 'runs'}${failed > 0 ? `, ${failed} FAIL` : ''}</text>
      <line class="grid" x1="${LEFT}" x2="${RIGHT}" y1="${px(y(yMax))}" y2="${px(y(yMax))}"/>
      <text class="tick" x="${RIGHT + 2}" y="${px(y(yMax)) + 4}">${duration(yMax)}</text>
      <line class="axis" x1="${LEFT}" x2="${RIGHT}" y1="${px(y(0))}" y2="${px(y(0))}"/><text class="tick" x="${RIGHT + 2}" y="${px(y(0)) + 4}">0</text>
      <path class="trend-line" d="${line}"/>
      ${runs.map(
        (r) =>
          html`<a href="${r.link}"><circle class="point ${r.verdict}${r.windowMs === null ? ' never' : ''}" cx="${px(x(r.startedAtMs))}" cy="${px(yOf(r))}" r="4.5" data-point="" data-run="${r.dir}" data-scenario="${r.scenario}" data-verdict="${r.verdict}" data-window-ms="${r.windowMs ?? ''}" data-started-ms="${r.startedAtMs}"><title>${describeRun(r)}</title></circle></a>`,
      )}
    </g>`;
  };

  return html`<svg data-testid="trend-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="writes-down window of each run over time, one row per series of runs drilled the same way" data-points="${rows.length}">
    ${ticks.map(
      (t) =>
        html`<g class="time-tick" data-time-ms="${t}"><title>${new Date(t).toISOString()}</title><line class="grid vertical" x1="${px(x(t))}" x2="${px(x(t))}" y1="${TOP}" y2="${bottom}"/><text class="tick" x="${px(x(t))}" y="${bottom + 16}" text-anchor="middle">${utc(t, step >= DAY ? 'day' : 'minute')}</text></g>`,
    )}
    ${series.map(row)}
    <text class="axis-title" x="${RIGHT}" y="${bottom + 30}" text-anchor="end">when the drill started (UTC); each row on its own scale, from 0 to the value at its top right</text>
  </svg>`;
}

// ---------------------------------------------------------------------------------------------
// The page.

const INDEX_STYLE = `
svg .scenario-name { fill: var(--ink); font-weight: 600; font-size: 12px; }
svg .trend-line { fill: none; stroke: #9aa4b1; stroke-width: 1.2; }
svg .point { stroke: #fff; stroke-width: 1; }
svg .point.PASS { fill: var(--ok); } svg .point.FAIL { fill: var(--fail); }
svg .point.never { fill: #fff; stroke-width: 2; } svg .point.never.PASS { stroke: var(--ok); } svg .point.never.FAIL { stroke: var(--fail); }
table.runs td.verdict { font-size: inherit; font-weight: 700; letter-spacing: normal; min-width: 0; color: var(--ok); }
table.runs tr.FAIL td { background: #fff5f5; }
table.runs tr.FAIL td.verdict { color: var(--fail); }
.swatch.dot { border-radius: 50%; }
details.skipped { margin-top: 14px; color: var(--muted); }
`;

/**
 * A name from a runs folder as the page shows it: every control character (a newline included)
 * replaced, so that no folder name or scenario starts a line of its own in the page.
 */
// eslint-disable-next-line no-control-regex
const shown = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '\ufffd');

/** A row with each of its names as the page shows it (the link is already percent-encoded). */
const shownRow = (r: IndexRow): IndexRow => ({
  ...r,
  dir: shown(r.dir),
  startedAt: shown(r.startedAt),
  scenario: shown(r.scenario),
  app: r.app === null ? null : shown(r.app),
  workload: shown(r.workload),
  replication: r.replication === null ? null : shown(r.replication),
  series: shown(r.series),
});

/** The whole page, from the rows (newest first) and the folders left out. Pure. */
export function renderRunsIndex(allRows: readonly IndexRow[], allSkipped: readonly SkippedFolder[], folderName: string): string {
  const rows = allRows.map(shownRow);
  const skipped = allSkipped.map((s) => ({ dir: shown(s.dir), reason: shown(s.reason) }));
  const name = shown(folderName);
  const failed = rows.filter((r) => r.verdict === 'FAIL').length;
  const scenarios = new Set(rows.map((r) => r.scenario)).size;
  return page(
    `flipdrill runs: ${rows.length} drills in ${name}`,
    html`
  <h1 data-testid="title">Drills in ${name}</h1>
  <p class="meta" data-testid="summary">${rows.length} ${rows.length === 1 ? 'drill' : 'drills'} of ${scenarios} ${scenarios === 1 ? 'scenario' : 'scenarios'}: ${rows.length - failed} PASS, ${failed} FAIL${rows.length > 0 ? ` · newest ${utc(rows[0]!.startedAtMs)} UTC, oldest ${utc(rows.at(-1)!.startedAtMs)} UTC` : ''}</p>
  <section data-testid="trend"><h2>Writes down, run after run</h2>
    <section class="chart">
      <div class="legend"><span><span class="swatch dot" style="background:var(--ok)"></span>PASS</span><span><span class="swatch dot" style="background:var(--fail)"></span>FAIL</span><span><span class="swatch dot" style="background:#fff;border:2px solid var(--muted)"></span>writes never resumed (above the row)</span><span>the writes-down window as the clients saw it: last ok write before writes stopped to the first ok write by the primary after the fault</span></div>
      ${rows.length > 0 ? trendChart(rows) : html`<p class="muted">No drill with a report.json here yet.</p>`}
    </section>
  </section>
  <section data-testid="runs"><h2>Runs</h2>
    <table class="runs"><thead><tr><th>started (UTC)</th><th>run</th><th>scenario</th><th>workload</th><th>verdict</th><th class="num">writes down</th><th class="num">lost</th><th>app</th></tr></thead><tbody>
      ${rows.map(
        (r) =>
          html`<tr class="${r.verdict}" data-run="${r.dir}" data-scenario="${r.scenario}" data-verdict="${r.verdict}" data-window-ms="${r.windowMs ?? ''}" data-lost="${r.lost}"><td class="nowrap" title="${r.startedAt}">${utc(r.startedAtMs)}</td><td><a href="${r.link}"><code>${r.dir}</code></a></td><td>${r.scenario}</td><td>${r.workload}</td><td class="verdict">${r.verdict}</td><td class="num">${r.windowMs === null ? 'never resumed' : duration(r.windowMs)}</td><td class="num">${r.lost}</td><td>${r.app ?? 'not recorded'}</td></tr>`,
      )}
    </tbody></table>
    ${
      skipped.length > 0 &&
      html`<details class="skipped" data-testid="skipped" data-count="${skipped.length}"><summary>${skipped.length} ${skipped.length === 1 ? 'folder' : 'folders'} left out</summary><ul>${skipped.map((s) => html`<li><code>${s.dir}</code>: ${s.reason}</li>`)}</ul></details>`
    }
  </section>
  <footer>flipdrill runs index. Each run's report.json holds what its row shows; its report.html, linked, the whole run.</footer>`,
    INDEX_STYLE,
  );
}

/**
 * Write `<runsDir>/index.html` over the drills the folder holds; `runs` is how many it lists,
 * `skipped` the folders it left out and why.
 */
export function writeRunsIndex(runsDir: string, now = Date.now()): { file: string; runs: number; skipped: SkippedFolder[] } {
  const { rows, skipped } = readRuns(runsDir, now);
  const file = path.join(runsDir, 'index.html');
  writeFileSafely(file, renderRunsIndex(rows, skipped, path.basename(path.resolve(runsDir))));
  return { file, runs: rows.length, skipped };
}
