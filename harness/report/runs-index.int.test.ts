/**
 * The runs index in a real browser (Debian's Chromium), over run folders written here as drills
 * leave them (history, events, final read, report.json checked by the checker, report.html): the
 * page lists every run, newest first, each link opens that run's own report, and the trend chart
 * holds a point per run where its start and its writes-down window put it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check } from '../checker/checker.ts';
import type { FinalRead } from '../checker/types.ts';
import type { ClusterEvent, Op } from '../op.ts';
import { ReportBrowser, type PageDocument, type PageElement } from '../test-support/browser.ts';
import { writeHtmlReport } from './html/drill-page.ts';
import { REPORT_SCHEMA, type DrillReport } from './report.ts';
import { writeJson } from './run-folder.ts';
import { writeRunsIndex } from './runs-index.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-runs-index-int-'));
const runsDir = path.join(root, 'runs');
const NIGHT = Date.parse('2026-11-16T02:00:00.000Z');
const DAY = 24 * 3_600_000;
const FAULT_MS = 1000;

/**
 * A drill's run folder: one client writing every 50 ms, the primary killed at FAULT_MS, writes
 * refused for `downMs`, then acknowledged by node2; `lose` of the last writes before the fault
 * never reached node2. report.json holds the checker's own verdict, report.html the page.
 */
function drill(name: string, options: { scenario: string; startedAtMs: number; downMs: number; lose?: number }): string {
  const dir = path.join(runsDir, name);
  mkdirSync(dir, { recursive: true });
  const history: Op[] = [];
  const acknowledged: { id: string; node: string }[] = [];
  for (let t = 100, n = 0; t < FAULT_MS + options.downMs + 1500; t += 50, n++) {
    const value = { id: `${name}-${n}`, name: `${name}/${n}` };
    history.push({ process: n, type: 'invoke', f: 'write', value, time: t * 1e6 });
    const down = t >= FAULT_MS && t < FAULT_MS + options.downMs;
    const node = t < FAULT_MS ? 'node1' : 'node2';
    if (down) history.push({ process: n, type: 'fail', f: 'write', value, time: (t + 2) * 1e6, error: 'ECONNREFUSED' });
    else {
      history.push({ process: n, type: 'ok', f: 'write', value: { ...value, committed_by: node, committed_timeline: node === 'node1' ? 1 : 2, committed_at: new Date(options.startedAtMs + t + 5).toISOString() }, time: (t + 10) * 1e6 });
      acknowledged.push({ id: value.id, node });
    }
  }
  const event = (type: ClusterEvent['type'], atMs: number, fields: Record<string, unknown>): ClusterEvent => ({ type, time: atMs * 1e6, wall: options.startedAtMs + atMs, ...fields });
  const events = [
    event('fault', FAULT_MS, { kind: 'kill', node: 'node1', primary: 'node1', standby: 'node2' }),
    event('promotion-observed', FAULT_MS + options.downMs - 100, { node: 'node2', timeline: 2 }),
    event('endpoint', FAULT_MS + options.downMs - 50, { action: 'move', node: 'node2', reason: 'node2 is primary' }),
  ];
  const onNode1 = acknowledged.filter((a) => a.node === 'node1');
  const lostIds = new Set(options.lose ? onNode1.slice(-options.lose).map((a) => a.id) : []);
  const finalRead: FinalRead = { node: 'node2', rows: acknowledged.filter((a) => !lostIds.has(a.id)).map((a) => ({ id: a.id, committed_by: a.node, committed_timeline: a.node === 'node1' ? 1 : 2 })) };
  const report: DrillReport = {
    schema: REPORT_SCHEMA,
    runId: name,
    scenario: options.scenario,
    startedAt: new Date(options.startedAtMs).toISOString(),
    finishedAt: new Date(options.startedAtMs + 10_000).toISOString(),
    seed: 1,
    cluster: { name: 'fdtest-index', replication: 'async', timing: {}, tls: false, app: 'aware', reused: false, images: null },
    workload: { concurrency: 1, readFraction: 0, pauseMs: 40, operations: history.length / 2 },
    result: check({ history, events, finalRead, expectations: { replication: 'async', maxLost: 0 } }),
  };
  writeFileSync(path.join(dir, 'history.jsonl'), history.map((op) => `${JSON.stringify(op)}\n`).join(''));
  writeFileSync(path.join(dir, 'events.jsonl'), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  writeJson(path.join(dir, 'final-read.json'), finalRead);
  writeJson(path.join(dir, 'report.json'), report);
  writeHtmlReport(dir);
  return dir;
}

/** Six nights of drills: kill-primary getting slower night after night (the regression) and failing on the fifth, and a steady freeze-primary. */
const RUNS = [
  { name: '2026-11-16_02-00-00-000', scenario: 'kill-primary', night: 0, downMs: 800 },
  { name: '2026-11-16_02-30-00-000', scenario: 'freeze-primary', night: 0.02, downMs: 2000 },
  { name: '2026-11-17_02-00-00-000', scenario: 'kill-primary', night: 1, downMs: 900 },
  { name: '2026-11-18_02-00-00-000', scenario: 'kill-primary', night: 2, downMs: 2500 },
  { name: '2026-11-18_02-30-00-000', scenario: 'freeze-primary', night: 2.02, downMs: 2100 },
  { name: '2026-11-20_02-00-00-000', scenario: 'kill-primary', night: 4, downMs: 4000, lose: 3 },
];

/** Runs in the page: the table's rows and links, and the chart's points as drawn. */
function readIndex() {
  const doc = (globalThis as unknown as { document: PageDocument }).document;
  const style = globalThis as unknown as { getComputedStyle(element: PageElement): { fill: string } };
  return {
    rows: Array.from(doc.querySelectorAll('[data-testid="runs"] tbody tr')).map((tr) => ({
      run: tr.getAttribute('data-run') ?? '',
      verdict: tr.getAttribute('data-verdict') ?? '',
      windowMs: tr.getAttribute('data-window-ms') ?? '',
      lost: tr.getAttribute('data-lost') ?? '',
      href: tr.querySelector('a')?.getAttribute('href') ?? '',
      cells: Array.from(tr.querySelectorAll('td')).map((td) => (td.textContent ?? '').trim()),
    })),
    points: Array.from(doc.querySelectorAll('[data-testid="trend-chart"] [data-point]')).map((c) => ({
      run: c.getAttribute('data-run') ?? '',
      scenario: c.getAttribute('data-scenario') ?? '',
      verdict: c.getAttribute('data-verdict') ?? '',
      x: c.getBoundingClientRect().x,
      y: (c.getBoundingClientRect() as unknown as { y: number }).y,
      width: c.getBoundingClientRect().width,
      fill: style.getComputedStyle(c).fill,
    })),
    rowsOfChart: Array.from(doc.querySelectorAll('[data-trend-scenario]')).map((g) => [g.getAttribute('data-trend-scenario') ?? '', g.getAttribute('data-runs') ?? '']),
    skipped: doc.querySelector('[data-testid="skipped"]')?.getAttribute('data-count') ?? '0',
  };
}

let browser: ReportBrowser;
beforeAll(async () => {
  browser = await ReportBrowser.launch();
});
afterAll(async () => {
  await browser?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the runs index in Chromium', () => {
  it('lists every run newest first, links each to its own report, and draws a point per run on the trend chart', async () => {
    for (const r of RUNS) drill(r.name, { scenario: r.scenario, startedAtMs: NIGHT + r.night * DAY, downMs: r.downMs, ...(r.lose ? { lose: r.lose } : {}) });
    // A drill that never finished: no report.json, left out.
    mkdirSync(path.join(runsDir, '2026-11-19_02-00-00-000'));
    const { file, runs } = writeRunsIndex(runsDir);
    expect(runs).toBe(RUNS.length);

    const page = await browser.read(file, readIndex);
    expect(page.pageErrors).toEqual([]);
    expect(page.consoleErrors).toEqual([]);
    expect(page.externalRequests).toEqual([]);
    const { rows, points } = page.value;

    // Newest first, with the verdict and the window the checker gave each run.
    const newestFirst = [...RUNS].sort((a, b) => b.night - a.night);
    expect(rows.map((r) => r.run)).toEqual(newestFirst.map((r) => r.name));
    expect(rows.map((r) => r.verdict)).toEqual(newestFirst.map((r) => (r.lose ? 'FAIL' : 'PASS')));
    expect(rows.map((r) => r.lost)).toEqual(newestFirst.map((r) => String(r.lose ?? 0)));
    // The window is the checker's (last ok write before writes stopped to the first after): the refused stretch and a little.
    for (const [i, r] of rows.entries()) {
      const report = JSON.parse(readFileSync(path.join(runsDir, r.run, 'report.json'), 'utf8')) as DrillReport;
      expect(Number(r.windowMs)).toBe(report.result.writeUnavailability!.ms);
      expect(Number(r.windowMs)).toBeGreaterThanOrEqual(newestFirst[i]!.downMs);
    }
    expect(rows[0]!.cells.slice(0, 5)).toEqual(['2026-11-20 02:00:00', '2026-11-20_02-00-00-000', 'kill-primary', 'set', 'FAIL']);
    expect(page.value.skipped).toBe('1');

    // Each link, resolved from the page's own place, is that run's report.html, and it shows that run.
    for (const row of rows) {
      const target = fileURLToPath(new URL(row.href, pathToFileURL(file)));
      expect(target).toBe(path.join(runsDir, row.run, 'report.html'));
      expect(statSync(target).isFile()).toBe(true);
    }
    const linked = await browser.inspect(fileURLToPath(new URL(rows[0]!.href, pathToFileURL(file))));
    expect([linked.runId, linked.verdict]).toEqual([rows[0]!.run, 'FAIL']);

    // A point per run, drawn, one chart row per scenario.
    expect(points).toHaveLength(RUNS.length);
    expect(points.every((p) => p.width > 4)).toBe(true);
    expect(page.value.rowsOfChart).toEqual([
      ['freeze-primary', '2'],
      ['kill-primary', '4'],
    ]);
    // Coloured by verdict: the failing run's point differs from the passing ones, which all look alike.
    const fills = (verdict: string) => new Set(points.filter((p) => p.verdict === verdict).map((p) => p.fill));
    expect(fills('PASS').size).toBe(1);
    expect(fills('FAIL').size).toBe(1);
    expect([...fills('FAIL')][0]).not.toBe([...fills('PASS')][0]);
    // The regression reads off the chart: kill-primary's points left to right in time, each slower one higher.
    const kill = points.filter((p) => p.scenario === 'kill-primary');
    expect(kill.map((p) => p.run)).toEqual(RUNS.filter((r) => r.scenario === 'kill-primary').map((r) => r.name));
    for (let i = 1; i < kill.length; i++) {
      expect(kill[i]!.x).toBeGreaterThan(kill[i - 1]!.x);
      expect(kill[i]!.y).toBeLessThan(kill[i - 1]!.y);
    }
    // One time axis for every row: runs of the same night line up, and two nights are twice as far as one.
    const xOf = (run: string) => points.find((p) => p.run === run)!.x;
    const oneNight = xOf('2026-11-18_02-00-00-000') - xOf('2026-11-17_02-00-00-000');
    expect(xOf('2026-11-20_02-00-00-000') - xOf('2026-11-18_02-00-00-000')).toBeCloseTo(2 * oneNight, 0);
    const halfHour = xOf('2026-11-16_02-30-00-000') - xOf('2026-11-16_02-00-00-000');
    expect(halfHour).toBeGreaterThan(0);
    expect(halfHour).toBeLessThan(oneNight / 20);
  });
});
