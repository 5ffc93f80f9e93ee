import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../checker/types.ts';
import { AGGREGATE_SCHEMA, REPORT_SCHEMA, type DrillReport } from './report.ts';
import { indexRowOf, readRuns, renderRunsIndex, reportProblem, runSeries, seriesOf, sortRows, timeTicks, writeRunsIndex, type IndexRow } from './runs-index.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-runs-index-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const T0 = Date.parse('2026-11-20T02:00:00.000Z');
const HOUR = 3_600_000;

/** A report.json as a drill writes it, with only what the index reads filled in. */
function reportOf(options: { scenario?: string; startedAtMs?: number; verdict?: 'PASS' | 'FAIL'; windowMs?: number | null; lost?: number; app?: string; workload?: string } = {}): DrillReport {
  const { scenario = 'kill-primary', startedAtMs = T0, verdict = 'PASS', windowMs = 1200, lost = 0, app = 'aware', workload } = options;
  const result = {
    verdict,
    checks: [],
    writeUnavailability: windowMs === null ? null : { ms: windowMs, lastOkBeforeMs: 3000, firstOkAfterMs: 3000 + windowMs },
    // A longer gap later in the run is not the window the index shows.
    longestWriteGap: windowMs === null ? null : { ms: windowMs + 5000, fromMs: 9000, toMs: 14_000 + windowMs },
    lost: Array.from({ length: lost }, (_, i) => ({ id: `w${i}`, process: 0, invokedAtMs: 1, completedAtMs: 2 })),
  } as unknown as CheckResult;
  return {
    schema: REPORT_SCHEMA,
    runId: 'r',
    scenario,
    startedAt: new Date(startedAtMs).toISOString(),
    finishedAt: new Date(startedAtMs + 20_000).toISOString(),
    seed: 1,
    cluster: { name: 'c', replication: 'async', timing: {}, tls: false, app, reused: false, images: null },
    workload: { ...(workload ? { name: workload } : {}), concurrency: 4, readFraction: 0.3, pauseMs: 20, operations: 100 },
    result,
  };
}

function runFolder(runsDir: string, name: string, report: unknown, options: { html?: boolean } = {}): void {
  const dir = path.join(runsDir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'report.json'), typeof report === 'string' ? report : JSON.stringify(report));
  if (options.html !== false) writeFileSync(path.join(dir, 'report.html'), '<!doctype html><title>run</title>');
}

const row = (dir: string, startedAtMs: number, extra: Partial<IndexRow> = {}): IndexRow => ({
  dir,
  startedAt: new Date(startedAtMs).toISOString(),
  startedAtMs,
  scenario: 'kill-primary',
  verdict: 'PASS',
  windowMs: 1000,
  lost: 0,
  app: 'aware',
  workload: 'set',
  replication: 'sync',
  tls: false,
  link: `${dir}/report.html`,
  ...extra,
  series: extra.series ?? seriesOf({ scenario: 'kill-primary', app: 'aware', workload: 'set', replication: 'sync', tls: false, ...extra }),
});

describe('index rows', () => {
  it('takes the scenario, verdict, writes-down window, lost count, app profile, workload and replication from report.json', () => {
    expect(indexRowOf(reportOf({ verdict: 'FAIL', windowMs: 2345.67, lost: 3, app: 'dsql', workload: 'bank' }), '2026-11-20_02-00-00-000', true)).toEqual({
      dir: '2026-11-20_02-00-00-000',
      startedAt: '2026-11-20T02:00:00.000Z',
      startedAtMs: T0,
      scenario: 'kill-primary',
      verdict: 'FAIL',
      windowMs: 2345.67,
      lost: 3,
      app: 'dsql',
      workload: 'bank',
      replication: 'async',
      tls: false,
      series: 'kill-primary · bank · dsql app · async',
      link: '2026-11-20_02-00-00-000/report.html',
    });
    // A report from before the workload was named ran the set workload.
    expect(indexRowOf(reportOf(), 'r', true).workload).toBe('set');
  });

  it('names a series by its scenario and whatever of the drill is not the default', () => {
    const plain = { scenario: 'kill-primary', workload: 'set', app: 'aware', replication: 'sync', tls: false };
    expect(seriesOf(plain)).toBe('kill-primary');
    expect(seriesOf({ ...plain, app: null, replication: null })).toBe('kill-primary');
    expect(seriesOf({ ...plain, workload: 'bank' })).toBe('kill-primary · bank');
    expect(seriesOf({ ...plain, app: 'naive', tls: true })).toBe('kill-primary · naive app · TLS');
  });

  it('has no window when writes never resumed, and links report.json when the run has no page', () => {
    const r = indexRowOf(reportOf({ windowMs: null }), 'run/iteration-01', false);
    expect(r.windowMs).toBeNull();
    expect(r.link).toBe('run/iteration-01/report.json');
  });

  it('escapes each segment of the link: a folder name cannot become a query or a fragment', () => {
    expect(indexRowOf(reportOf(), 'odd #1?x=y', true).link).toBe('odd%20%231%3Fx%3Dy/report.html');
  });

  it('says why a report.json cannot be indexed', () => {
    expect(reportProblem(reportOf())).toBeNull();
    expect(reportProblem([])).toBe('report.json is not an object');
    expect(reportProblem({ ...reportOf(), schema: AGGREGATE_SCHEMA })).toBe(`report.json of schema "${AGGREGATE_SCHEMA}", not ${REPORT_SCHEMA}`);
    expect(reportProblem({ ...reportOf(), startedAt: 'yesterday' })).toBe('report.json has no valid startedAt');
    expect(reportProblem({ ...reportOf(), result: { verdict: 'MAYBE', lost: [] } })).toBe('report.json has no verdict');
  });

  it('sorts newest first, runs of the same moment by folder name', () => {
    const rows = [row('b', T0), row('old', T0 - HOUR), row('new', T0 + HOUR), row('a', T0)];
    expect(sortRows(rows).map((r) => r.dir)).toEqual(['new', 'a', 'b', 'old']);
  });

  it('groups the runs by series (a bank drill of a scenario apart from its set drills), series by name, runs oldest first', () => {
    const rows = [row('k2', T0 + HOUR), row('s1', T0, { scenario: 'freeze-primary' }), row('b1', T0 + 2 * HOUR, { workload: 'bank' }), row('k1', T0)];
    expect(runSeries(rows).map((s) => [s.series, s.scenario, s.runs.map((r) => r.dir)])).toEqual([
      ['freeze-primary', 'freeze-primary', ['s1']],
      ['kill-primary', 'kill-primary', ['k1', 'k2']],
      ['kill-primary · bank', 'kill-primary', ['b1']],
    ]);
  });

  it('ticks the time axis at round UTC moments, at most the number asked for', () => {
    expect(timeTicks(T0 - 10 * 60_000, T0 + 20 * 60_000)).toEqual({ step: 5 * 60_000, ticks: [0, 1, 2, 3, 4, 5, 6].map((i) => T0 - 10 * 60_000 + i * 5 * 60_000) });
    const nightly = timeTicks(T0, T0 + 30 * 24 * HOUR);
    expect(nightly.step).toBe(7 * 24 * HOUR);
    expect(nightly.ticks.length).toBeLessThanOrEqual(8);
    expect(nightly.ticks.every((t) => t % (24 * HOUR) === 0)).toBe(true);
  });
});

describe('readRuns', () => {
  const runsDir = path.join(root, 'runs');
  runFolder(runsDir, '2026-11-20_02-00-00-000', reportOf({ startedAtMs: T0, windowMs: 900 }));
  runFolder(runsDir, '2026-11-21_02-00-00-000', reportOf({ startedAtMs: T0 + 24 * HOUR, windowMs: 4100, verdict: 'FAIL', lost: 2 }), { html: false });
  runFolder(runsDir, 'broken', '{"schema": "flipdrill.report/v1", ');
  runFolder(runsDir, 'foreign', { ...reportOf(), schema: 'someone-else/v3' });
  mkdirSync(path.join(runsDir, 'unfinished'));
  writeFileSync(path.join(runsDir, 'notes.txt'), 'not a folder');
  // A --repeat run: aggregate.json at its top, a drill per iteration.
  const repeat = path.join(runsDir, '2026-11-22_02-00-00-000');
  mkdirSync(repeat);
  writeFileSync(path.join(repeat, 'aggregate.json'), JSON.stringify({ schema: AGGREGATE_SCHEMA, iterations: [] }));
  runFolder(repeat, 'iteration-01', reportOf({ startedAtMs: T0 + 48 * HOUR, scenario: 'kill-primary-failback' }));
  runFolder(repeat, 'iteration-02', reportOf({ startedAtMs: T0 + 48 * HOUR + 60_000, scenario: 'kill-primary-failback' }));
  const future = path.join(runsDir, 'future-repeat');
  mkdirSync(future);
  writeFileSync(path.join(future, 'aggregate.json'), JSON.stringify({ schema: 'flipdrill.aggregate/v9' }));
  runFolder(future, 'iteration-01', reportOf());

  it("lists the single drills and the --repeat runs' iterations, newest first, and says why it left the rest out", () => {
    const { rows, skipped } = readRuns(runsDir);
    expect(rows.map((r) => [r.dir, r.verdict, r.windowMs, r.lost, r.link])).toEqual([
      ['2026-11-22_02-00-00-000/iteration-02', 'PASS', 1200, 0, '2026-11-22_02-00-00-000/iteration-02/report.html'],
      ['2026-11-22_02-00-00-000/iteration-01', 'PASS', 1200, 0, '2026-11-22_02-00-00-000/iteration-01/report.html'],
      ['2026-11-21_02-00-00-000', 'FAIL', 4100, 2, '2026-11-21_02-00-00-000/report.json'],
      ['2026-11-20_02-00-00-000', 'PASS', 900, 0, '2026-11-20_02-00-00-000/report.html'],
    ]);
    expect(skipped.map((s) => s.dir)).toEqual(['broken', 'foreign', 'future-repeat', 'unfinished']);
    expect(skipped.find((s) => s.dir === 'broken')?.reason).toMatch(/^report\.json unreadable/);
    expect(skipped.find((s) => s.dir === 'foreign')?.reason).toBe('report.json of schema "someone-else/v3", not flipdrill.report/v1');
    expect(skipped.find((s) => s.dir === 'future-repeat')?.reason).toBe('aggregate.json of schema "flipdrill.aggregate/v9", not flipdrill.aggregate/v1');
  });

  it('writes index.html into the runs folder, the same bytes for the same folders', () => {
    const first = writeRunsIndex(runsDir);
    expect(first).toMatchObject({ file: path.join(runsDir, 'index.html'), runs: 4 });
    expect(first.skipped.map((s) => s.dir)).toEqual(['broken', 'foreign', 'future-repeat', 'unfinished']);
    const page = readFileSync(first.file, 'utf8');
    writeRunsIndex(runsDir);
    expect(readFileSync(first.file, 'utf8')).toBe(page);
    // index.html itself is no run folder.
    expect(readRuns(runsDir).rows).toHaveLength(4);
    expect(page.match(/<tr class="(PASS|FAIL)" data-run=/g)).toHaveLength(4);
    expect(page.match(/data-point=""/g)).toHaveLength(4);
    expect(page).toContain('data-testid="skipped" data-count="4"');
  });
});

describe('the index page', () => {
  const rows = sortRows([
    row('n1', T0, { windowMs: 800 }),
    row('n2', T0 + 24 * HOUR, { windowMs: 900 }),
    row('n3', T0 + 48 * HOUR, { windowMs: 3000, verdict: 'FAIL', lost: 5 }),
    row('never', T0 + 72 * HOUR, { windowMs: null, verdict: 'FAIL' }),
    row('f1', T0 + HOUR, { scenario: 'freeze-primary', windowMs: 9000, app: 'config' }),
  ]);
  const page = renderRunsIndex(rows, [], 'runs');
  const points = [...page.matchAll(/<circle class="point ([A-Z]+)( never)?" cx="([\d.]+)" cy="([\d.]+)"[^>]*data-run="([^"]+)"/g)].map((m) => ({ verdict: m[1], never: Boolean(m[2]), x: Number(m[3]), y: Number(m[4]), run: m[5] }));
  const at = (run: string) => points.find((p) => p.run === run)!;

  it('has a row per run, newest first, with its figures and link', () => {
    const rowsShown = [...page.matchAll(/<tr class="(PASS|FAIL)" data-run="([^"]+)"[^>]*>(.*?)<\/tr>/g)].map((m) => [m[2], m[1]]);
    expect(rowsShown).toEqual([
      ['never', 'FAIL'],
      ['n3', 'FAIL'],
      ['n2', 'PASS'],
      ['f1', 'PASS'],
      ['n1', 'PASS'],
    ]);
    expect(page).toContain('<td>kill-primary</td><td>set</td><td class="verdict">FAIL</td><td class="num">3.00 s</td><td class="num">5</td><td>aware</td>');
    expect(page).toContain('<td class="num">never resumed</td>');
    expect(page).toContain('<a href="n3/report.html"><code>n3</code></a>');
  });

  it('draws a point per run, later to the right, a longer window higher within its scenario, coloured by verdict', () => {
    expect(points).toHaveLength(5);
    expect(at('n1').x).toBeLessThan(at('f1').x);
    expect(at('f1').x).toBeLessThan(at('n2').x);
    expect(at('n2').x).toBeLessThan(at('n3').x);
    expect(at('n3').y).toBeLessThan(at('n2').y);
    expect(at('n2').y).toBeLessThan(at('n1').y);
    expect([at('n3').verdict, at('n1').verdict]).toEqual(['FAIL', 'PASS']);
    // Writes never resumed: above its row's scale, hollow.
    expect(at('never').never).toBe(true);
    expect(at('never').y).toBeLessThan(at('n3').y);
    expect(page.match(/data-trend-series="([^"]+)" data-trend-scenario="([^"]+)" data-runs="(\d+)"/g)).toEqual([
      'data-trend-series="freeze-primary · config app" data-trend-scenario="freeze-primary" data-runs="1"',
      'data-trend-series="kill-primary" data-trend-scenario="kill-primary" data-runs="4"',
    ]);
  });

  it('escapes every string from the folders: names, scenarios, app profiles', () => {
    const evil = '<script>alert("x")</script>';
    const escaped = renderRunsIndex([row(`a"><img src=x onerror=alert(1)>`, T0, { scenario: evil, app: evil, link: 'a%22%3E/report.html' })], [{ dir: evil, reason: evil }], evil);
    expect(escaped).not.toMatch(/<script/i);
    expect(escaped).not.toMatch(/<img/i);
    expect(escaped).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(escaped).toContain('data-run="a&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"');
  });

  it('is the same page for the same runs, whatever order they come in', () => {
    expect(renderRunsIndex(sortRows([...rows].reverse()), [], 'runs')).toBe(page);
  });

  it('says so when there is no drill yet', () => {
    const empty = renderRunsIndex([], [], 'runs');
    expect(empty).toContain('No drill with a report.json here yet.');
    expect(empty).not.toContain('data-point');
  });
});

describe('a runs folder someone else could write to', () => {
  it('refuses a link planted at index.html instead of writing through it', () => {
    const runsDir = mkdtempSync(path.join(root, 'planted-'));
    runFolder(runsDir, '2026-11-20_02-00-00-000', reportOf());
    const target = path.join(root, `authorized_keys-${path.basename(runsDir)}`);
    writeFileSync(target, 'ssh-ed25519 AAAA owner\n');
    symlinkSync(target, path.join(runsDir, 'index.html'));
    expect(() => writeRunsIndex(runsDir)).toThrow(/index\.html is a symbolic link: not written through/);
    expect(readFileSync(target, 'utf8')).toBe('ssh-ed25519 AAAA owner\n');
    expect(lstatSync(path.join(runsDir, 'index.html')).isSymbolicLink()).toBe(true);
  });

  it('puts no name on a line of its own: newlines and other control characters in names are replaced', () => {
    const runsDir = mkdtempSync(path.join(root, 'names-'));
    const planted = '\nssh-ed25519 AAAAplanted root@evil\n';
    runFolder(runsDir, `run${planted}`, { ...reportOf({ app: `aware${planted}`, workload: `set${planted}` }), scenario: `kill-primary${planted}\r\u001b[2J` });
    mkdirSync(path.join(runsDir, `odd\u0007${planted}`));
    const { file } = writeRunsIndex(runsDir);
    const page = readFileSync(file, 'utf8');
    expect(page).toContain('ssh-ed25519 AAAAplanted');
    expect(page.split('\n').filter((line) => line.trimStart().startsWith('ssh-ed25519'))).toEqual([]);
    // eslint-disable-next-line no-control-regex
    expect(page).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    // The link still leads to the folder as it is named.
    expect(page).toContain(`href="${encodeURIComponent(`run${planted}`)}/report.html"`);
  });
});

describe('run folders that would break the index', () => {
  it('skips a folder whose drill started before 2000 or more than a day from now, says so, and the page stays small', () => {
    const runsDir = mkdtempSync(path.join(root, 'times-'));
    const now = T0 + 10 * 24 * HOUR;
    const startedAt = (ms: number) => ({ ...reportOf(), startedAt: new Date(ms).toISOString() });
    runFolder(runsDir, 'good', startedAt(T0));
    runFolder(runsDir, 'far-future', startedAt(8e15));
    runFolder(runsDir, 'far-past', startedAt(-8e15));
    runFolder(runsDir, 'last-valid-date', startedAt(8.64e15));
    runFolder(runsDir, 'first-valid-date', startedAt(-8.64e15));
    runFolder(runsDir, 'in-1999', startedAt(Date.parse('1999-12-31T23:59:59Z')));
    runFolder(runsDir, 'in-two-days', startedAt(now + 48 * HOUR));
    runFolder(runsDir, 'in-an-hour', startedAt(now + HOUR));
    const { rows, skipped } = readRuns(runsDir, now);
    expect(rows.map((r) => r.dir)).toEqual(['in-an-hour', 'good']);
    expect(skipped.map((s) => s.dir)).toEqual(['far-future', 'far-past', 'first-valid-date', 'in-1999', 'in-two-days', 'last-valid-date']);
    for (const s of skipped) expect(s.reason).toBe('report.json has a startedAt before 2000 or more than a day from now');
    const written = writeRunsIndex(runsDir, now);
    expect(written.skipped).toHaveLength(6);
    expect(statSync(written.file).size).toBeLessThan(100_000);
  });

  it('skips a report.json whose writes-down window is not a time', () => {
    const bad = (ms: unknown) => reportProblem({ ...reportOf(), result: { ...reportOf().result, writeUnavailability: { ms } } });
    for (const ms of [-1, 1e300, '1200', null, Number.NaN]) expect(bad(ms), String(ms)).toBe('report.json has no valid writes-down window');
    expect(bad(1200)).toBeNull();
  });

  it('reads no report.json through a link, and says a file is not JSON without quoting it', () => {
    const runsDir = mkdtempSync(path.join(root, 'links-'));
    const shadow = path.join(root, `shadow-${path.basename(runsDir)}`);
    writeFileSync(shadow, 'root:$6$saltsalt$hashhashhash:19000:0:99999:7:::\n');
    const elsewhere = path.join(root, `report-${path.basename(runsDir)}.json`);
    writeFileSync(elsewhere, JSON.stringify(reportOf()));
    mkdirSync(path.join(runsDir, 'to-shadow'));
    symlinkSync(shadow, path.join(runsDir, 'to-shadow', 'report.json'));
    mkdirSync(path.join(runsDir, 'to-report'));
    symlinkSync(elsewhere, path.join(runsDir, 'to-report', 'report.json'));
    runFolder(runsDir, 'copy-of-shadow', readFileSync(shadow, 'utf8'));
    const { rows, skipped } = readRuns(runsDir);
    expect(rows).toEqual([]);
    expect(skipped.map((s) => [s.dir, s.reason.replace(runsDir, '<runs>')])).toEqual([
      ['copy-of-shadow', 'report.json unreadable: report.json in <runs>/copy-of-shadow is not valid JSON'],
      ['to-report', 'report.json unreadable: <runs>/to-report/report.json is not a regular file: a symbolic link, not followed'],
      ['to-shadow', 'report.json unreadable: <runs>/to-shadow/report.json is not a regular file: a symbolic link, not followed'],
    ]);
    const page = readFileSync(writeRunsIndex(runsDir).file, 'utf8');
    expect(page).not.toContain('root:');
    expect(page).not.toContain('$6$');
  });
});
