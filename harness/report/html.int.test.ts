/**
 * report.html in a real browser (Debian's Chromium), on run folders written here: a drill's
 * history, events and final read as a kill-primary drill leaves them, so the test needs no
 * cluster. The page must show what the files hold: every acknowledged write counted once in the
 * chart, the fault where the events put it, the verdict the checker gave, and no script errors.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FinalRead, FinalRow } from '../checker/types.ts';
import { AGGREGATE_SCHEMA, REPORT_SCHEMA, type Aggregate, type DrillReport } from './report.ts';
import { parseHistory, parseEvents } from '../history.ts';
import type { ClusterEvent, Op, WrittenValue } from '../op.ts';
import { ReportBrowser, type PageDocument, type RenderedReport } from '../test-support/browser.ts';
import { writeHtmlReport } from './html/drill-page.ts';
import { writeRepeatHtmlReport } from './html/repeat-page.ts';
import { writeJson } from './run-folder.ts';
import { loadRun, RUN_SCHEMA, type RunSettings } from './stored-run.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-html-int-'));
const WALL_ORIGIN = Date.parse('2026-11-21T09:00:00.000Z');
const FAULT_MS = 3000;
const PROMOTED_MS = 4300;
const MOVED_MS = 4450;
const HEALED_MS = 6000;
const END_MS = 7500;
/** With `held`: writes a proxy held through the outage, invoked at HELD_AT_MS and acknowledged at HELD_UNTIL_MS. */
const HELD = 4;
const HELD_AT_MS = 3170;
const HELD_UNTIL_MS = 5350;
/** With `secondFault`: a fault on node2 injected here and never healed. */
const SECOND_FAULT_MS = 6200;

/** A deterministic stream of numbers in [0, 1) (a linear congruential generator), so every run of the test writes the same history. */
function numbers(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/**
 * A kill-primary drill as four clients see it: writes and reads through the endpoint to node1,
 * the primary killed at FAULT_MS (the writes in flight end unknown, the next ones fail fast until
 * the endpoint moves), node2 promoted, then writes on node2 on timeline 2. With `lostBeforeFault`,
 * the last acknowledged writes node1 committed before the fault never reached node2 (asynchronous
 * replication), so the final read misses them. With `held`, HELD more writes are held through the
 * outage and acknowledged by node2, and one more is still waiting when the history ends; with `secondFault`, a latency fault on node2 is never healed;
 * with `repmgrWallOnly`, repmgr's events carry only their wall-clock time, as read back from its
 * table; with `agent`, the endpoint agent's fence and move are in the events as its log has them.
 */
function writeRunFolder(name: string, options: { replication: 'sync' | 'async'; lostBeforeFault: number; held?: boolean; secondFault?: boolean; repmgrWallOnly?: boolean; agent?: boolean }): string {
  const dir = path.join(root, name);
  const random = numbers(7);
  const ops: Op[] = [];
  const rows: FinalRow[] = [];
  const acknowledgedOnNode1: { id: string; answered: number }[] = [];
  let nextProcess = 4;
  for (let worker = 0; worker < 4; worker++) {
    let process = worker;
    let n = 0;
    let lastAcknowledged = '';
    for (let t = 200 + worker * 5; t < END_MS; n++) {
      const id = `${name}-w${worker}-${n}`;
      if (n % 3 === 2 && lastAcknowledged) {
        // A read of this worker's last acknowledged write, from a replica: it keeps working through the failover.
        const answered = t + 4 + random() * 6;
        ops.push({ process, type: 'invoke', f: 'read', value: { id: lastAcknowledged }, time: t * 1e6 });
        ops.push({ process, type: 'ok', f: 'read', value: { id: lastAcknowledged, found: true, committed_by: 'node2' }, time: answered * 1e6 });
        t = answered + 20;
        continue;
      }
      const value = { id, name: `${name}/w${worker}-${n}`, ...(n % 5 === 0 ? { db: 'analytics' as const } : {}) };
      ops.push({ process, type: 'invoke', f: 'write', value, time: t * 1e6 });
      const latency = 8 + random() * 12;
      if (t + latency < FAULT_MS || t >= MOVED_MS) {
        const node = t < FAULT_MS ? 'node1' : 'node2';
        const answered = t + latency;
        const written: WrittenValue = { ...value, committed_by: node, committed_timeline: node === 'node1' ? 1 : 2, committed_at: new Date(WALL_ORIGIN + answered - 1).toISOString() };
        ops.push({ process, type: 'ok', f: 'write', value: written, time: answered * 1e6 });
        rows.push({ id, committed_by: node, committed_timeline: written.committed_timeline, committed_at_us: (WALL_ORIGIN + answered - 1) * 1000 });
        if (node === 'node1') acknowledgedOnNode1.push({ id, answered });
        lastAcknowledged = id;
        t = answered + 20;
      } else if (t < FAULT_MS) {
        // In flight when the primary died: the connection is gone, the outcome unknown; the process retires.
        ops.push({ process, type: 'info', f: 'write', value, time: (FAULT_MS + 30) * 1e6, error: 'SequelizeConnectionError' });
        process = nextProcess++;
        t = FAULT_MS + 50;
      } else {
        ops.push({ process, type: 'fail', f: 'write', value, time: (t + 2) * 1e6, error: 'ECONNREFUSED' });
        t += 150;
      }
    }
  }
  if (options.held) {
    for (let i = 0; i < HELD; i++) {
      const value = { id: `${name}-held${i}`, name: `${name}/held${i}` };
      const written: WrittenValue = { ...value, committed_by: 'node2', committed_timeline: 2, committed_at: new Date(WALL_ORIGIN + HELD_UNTIL_MS - 1).toISOString() };
      ops.push({ process: 100 + i, type: 'invoke', f: 'write', value, time: HELD_AT_MS * 1e6 }, { process: 100 + i, type: 'ok', f: 'write', value: written, time: HELD_UNTIL_MS * 1e6 });
      rows.push({ id: value.id, committed_by: 'node2', committed_timeline: 2, committed_at_us: (WALL_ORIGIN + HELD_UNTIL_MS - 1) * 1000 });
    }
    // And one still held when the history ends: no answer at all.
    ops.push({ process: 100 + HELD, type: 'invoke', f: 'write', value: { id: `${name}-cut`, name: `${name}/cut` }, time: (END_MS - 10) * 1e6 });
  }
  ops.sort((a, b) => a.time - b.time);
  const lost = new Set(
    acknowledgedOnNode1
      .sort((a, b) => a.answered - b.answered)
      .slice(acknowledgedOnNode1.length - options.lostBeforeFault)
      .map((w) => w.id),
  );
  const finalRead: FinalRead = { node: 'node2', rows: rows.filter((r) => !lost.has(r.id)), synchronousStandbyNames: 'node1' };

  const event = (type: ClusterEvent['type'], atMs: number, fields: Record<string, unknown>): ClusterEvent => ({ type, time: atMs * 1e6, wall: WALL_ORIGIN + atMs, ...fields });
  const events: ClusterEvent[] = [
    event('phase', 180, { phase: 'warm-up' }),
    event('fault', FAULT_MS, { kind: 'kill', node: 'node1', primary: 'node1', standby: 'node2', detail: 'docker kill --signal SIGKILL flipdrill-node1' }),
    event('endpoint', FAULT_MS + 250, { action: 'fence', node: 'node1', reason: 'node1 is down (container not running)', durationMs: 4 }),
    event('promotion-observed', PROMOTED_MS, { node: 'node2', timeline: 2 }),
    event('endpoint', MOVED_MS, { action: 'move', node: 'node2', reason: 'node2 is primary (timeline 2) and the endpoint is on node1: moving it to node2', durationMs: 85 }),
    event('heal', HEALED_MS, { node: 'node1', restarted: true, role: 'standby', ms: 1200 }),
    event('phase', END_MS + 50, { phase: 'final-read' }),
    event('repmgr', PROMOTED_MS + 120, { event: 'repmgrd_failover_promote', node: 'node2', successful: true, details: 'node "node2" (ID: 2) promoted to primary; old primary "node1" (ID: 1) marked as failed' }),
  ];
  if (options.secondFault) events.push(event('fault', SECOND_FAULT_MS, { kind: 'latency', node: 'node2', detail: "node2's links: 100 ms delay" }));
  if (options.repmgrWallOnly) {
    events.push(event('repmgr', PROMOTED_MS + 40, { event: 'standby_promote', node: 'node2', successful: true, details: 'server "node2" (ID: 2) was successfully promoted to primary' }));
    events.push(event('repmgr', HEALED_MS + 300, { event: 'node_rejoin', node: 'node1', successful: true, details: 'node 1 is now attached to node 2' }));
    for (const e of events) if (e.type === 'repmgr') delete e.time;
  }
  if (options.agent) {
    events.push(event('endpoint-agent', FAULT_MS + 240, { action: 'fence', node: 'node1', reason: 'node1 is down', durationMs: 3 }));
    events.push(event('endpoint-agent', MOVED_MS - 30, { action: 'move', node: 'node2', reason: 'node2 is primary (timeline 2): moving the endpoint to node2', durationMs: 81 }));
  }

  const settings: RunSettings = {
    schema: RUN_SCHEMA,
    runId: name,
    scenario: 'kill-primary',
    startedAt: new Date(WALL_ORIGIN).toISOString(),
    seed: 7,
    expectations: { maxLost: 0, replication: options.replication, promotion: true, finalPrimary: 'standby', maxWriteDownMs: 15_000 },
  };
  mkdirSync(dir);
  writeJson(path.join(dir, 'run.json'), settings);
  writeFileSync(path.join(dir, 'history.jsonl'), ops.map((op) => `${JSON.stringify(op)}\n`).join(''));
  writeFileSync(path.join(dir, 'events.jsonl'), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  writeJson(path.join(dir, 'final-read.json'), finalRead);
  const report: DrillReport = {
    schema: REPORT_SCHEMA,
    runId: name,
    scenario: settings.scenario,
    startedAt: settings.startedAt,
    finishedAt: new Date(WALL_ORIGIN + END_MS + 500).toISOString(),
    seed: settings.seed,
    cluster: { name: 'fdtest-html', replication: options.replication, timing: { monitorIntervalSecs: 1, reconnectAttempts: 2, reconnectInterval: 1 }, tls: false, app: 'aware', reused: false, images: null },
    workload: { concurrency: 4, readFraction: 0.3, pauseMs: 20, operations: ops.filter((op) => op.type === 'invoke').length },
    result: loadRun(dir).check(),
  };
  writeJson(path.join(dir, 'report.json'), report);
  return dir;
}

/** What the run folder holds, read back the way a reader of the files would count it. */
function stored(dir: string) {
  const history = parseHistory(readFileSync(path.join(dir, 'history.jsonl'), 'utf8'));
  const events = parseEvents(readFileSync(path.join(dir, 'events.jsonl'), 'utf8'));
  const report = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as DrillReport;
  const count = (f: Op['f'], type: Op['type']) => history.filter((op) => op.f === f && op.type === type).length;
  return { history, events, report, count };
}

/**
 * Runs in the page: what the panels by start time, the fault bands, the lanes and the time axis
 * draw, from their attributes, with positions in CSS pixels from the chart's left edge. No named
 * inner functions (see snapshotPage in browser.ts).
 */
function readPanels() {
  const doc = (globalThis as unknown as { document: PageDocument }).document;
  const chart = doc.querySelector('[data-testid="timeline-chart"]')!;
  const box = chart.getBoundingClientRect();
  return {
    chart: {
      width: box.width,
      endMs: Number(chart.getAttribute('data-end-ms')),
      left: Number(chart.getAttribute('data-plot-left')),
      right: Number(chart.getAttribute('data-plot-right')),
      wallOrigin: chart.getAttribute('data-wall-origin') ?? '',
    },
    dots: Array.from(doc.querySelectorAll('[data-outcome]')).map((g) => ({
      outcome: g.getAttribute('data-outcome') ?? '',
      count: Number(g.getAttribute('data-count')),
      circles: Array.from(g.querySelectorAll('circle')).map((c) => ({
        x: c.getBoundingClientRect().x + c.getBoundingClientRect().width / 2 - box.x,
        width: c.getBoundingClientRect().width,
        cy: Number(c.getAttribute('cy')),
        title: c.querySelector('title')?.textContent ?? '',
      })),
    })),
    legend: Array.from(doc.querySelectorAll('[data-legend="start-latency"] text')).map((t) => t.textContent ?? ''),
    bands: Array.from(doc.querySelectorAll('[data-band="fault"]')).map((b) => ({
      kind: b.getAttribute('data-kind') ?? '',
      node: b.getAttribute('data-node') ?? '',
      fromMs: Number(b.getAttribute('data-from-ms')),
      toMs: Number(b.getAttribute('data-to-ms')),
      healed: b.getAttribute('data-healed') === 'true',
      x: b.getBoundingClientRect().x - box.x,
      width: b.getBoundingClientRect().width,
      height: b.getBoundingClientRect().height,
    })),
    faultLabels: Array.from(doc.querySelectorAll('.fault-lane-label')).map((t) => t.textContent ?? ''),
    lane: Array.from(doc.querySelectorAll('[data-lane-marker]')).map((m) => ({
      lane: m.getAttribute('data-lane-marker') ?? '',
      atMs: Number(m.getAttribute('data-at-ms')),
      what: m.getAttribute('data-event') ?? m.getAttribute('data-action') ?? '',
      x: m.getBoundingClientRect().x + m.getBoundingClientRect().width / 2 - box.x,
      width: m.getBoundingClientRect().width,
      title: m.querySelector('title')?.textContent ?? '',
    })),
    ticks: Array.from(doc.querySelectorAll('[data-x-tick-ms]')).map((t) => ({
      ms: Number(t.getAttribute('data-x-tick-ms')),
      x: (t.querySelector('line')?.getBoundingClientRect().x ?? 0) - box.x,
      title: t.querySelector('title')?.textContent ?? '',
    })),
    noReads: Array.from(doc.querySelectorAll('[data-no-reads-from-ms]')).map((r) => ({ fromMs: Number(r.getAttribute('data-no-reads-from-ms')), toMs: Number(r.getAttribute('data-no-reads-to-ms')) })),
    inFlight: Array.from(doc.querySelectorAll('[data-inflight]')).map((r) => ({ startMs: Number(r.getAttribute('data-inflight-start-ms')), peak: Number(r.getAttribute('data-inflight')), height: r.getBoundingClientRect().height })),
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

/** The invariants of any page: drawn, self-contained, quiet, and counting every answered operation once. */
function expectFaithfulChart(page: RenderedReport, dir: string): void {
  const { count, events } = stored(dir);
  expect(page.pageErrors).toEqual([]);
  expect(page.consoleErrors).toEqual([]);
  expect(page.externalRequests).toEqual([]);
  expect(page.chart!.width).toBeGreaterThan(800);
  expect(page.chart!.height).toBeGreaterThan(300);

  expect(page.totals.write.ok.count).toBe(count('write', 'ok'));
  expect(page.totals.write.fail.count).toBe(count('write', 'fail'));
  expect(page.totals.write.info.count).toBe(count('write', 'info'));
  expect(page.totals.read.ok.count).toBe(count('read', 'ok'));
  expect(page.bars.every((b) => b.width > 0 && b.height > 0)).toBe(true);

  const fault = events.find((e) => e.type === 'fault')!;
  const markerAt = (kind: string) => page.markers.find((m) => m.kind === kind);
  expect(markerAt('fault')?.atMs).toBe(fault.time! / 1e6);
  expect(markerAt('promotion')?.atMs).toBe(PROMOTED_MS);
  expect(markerAt('endpoint-move')?.atMs).toBe(MOVED_MS);
  expect(markerAt('heal')?.atMs).toBe(HEALED_MS);
  // Drawn where their times are: the fence is no marker, and later events are further right.
  expect(page.markers.map((m) => m.kind)).toEqual(['fault', 'promotion', 'endpoint-move', 'heal']);
  expect(page.markers.every((m) => m.height > 200)).toBe(true);
  const xs = page.markers.map((m) => m.x);
  expect(xs).toEqual([...xs].sort((a, b) => a - b));

  // Acknowledged writes on both sides of the fault, and drawn on the matching side of its line.
  const faultMarker = markerAt('fault')!;
  const okWrites = page.bars.filter((b) => b.f === 'write' && b.type === 'ok');
  expect(okWrites.some((b) => b.startMs + 100 <= faultMarker.atMs && b.x < faultMarker.x)).toBe(true);
  expect(okWrites.some((b) => b.startMs >= faultMarker.atMs && b.x > faultMarker.x)).toBe(true);
  expect(okWrites.some((b) => b.startMs > FAULT_MS && b.startMs + 100 < MOVED_MS)).toBe(false);
}

describe('report.html in Chromium', () => {
  it('a passing drill: PASS, the chart holds every operation of the history, the outage band where the checker put it', async () => {
    const dir = writeRunFolder('pass', { replication: 'sync', lostBeforeFault: 0 });
    const { report } = stored(dir);
    expect(report.result.verdict).toBe('PASS');

    const screenshot = path.join(dir, 'report.png');
    const page = await browser.inspect(writeHtmlReport(dir), { screenshot });
    expect(page.verdict).toBe('PASS');
    expect(page.scenario).toBe('kill-primary');
    expect(page.title).toContain('PASS');
    expectFaithfulChart(page, dir);

    const outage = report.result.writeUnavailability!;
    expect(page.outage).toMatchObject({ fromMs: outage.lastOkBeforeMs, toMs: outage.firstOkAfterMs });
    expect(page.outage!.width).toBeGreaterThan(10);
    expect(page.latencyPoints.median).toBeGreaterThan(0);
    expect(page.checks.map((c) => [c.name, c.ok])).toEqual(report.result.checks.map((c) => [c.name, true]));
    expect(Object.fromEntries(Object.entries(page.anomalies).map(([kind, a]) => [kind, a.count]))).toEqual({
      lost: 0,
      contradicted: 0,
      duplicated: 0,
      unexpected: 0,
      'split-brain': 0,
      'read-anomalies': 0,
      'stale-reads': 0,
      'read-your-writes': 0,
      'monotonic-reads': 0,
      'deposed-reads': 0,
    });
    expect(page.lostWrites).toEqual([]);
    expect(page.eventTypes).toEqual(['phase', 'fault', 'endpoint', 'promotion-observed', 'repmgr', 'endpoint', 'heal', 'phase']);
    // A real picture: a PNG of the whole page, larger than a blank one would be.
    expect(readFileSync(screenshot).subarray(1, 4).toString()).toBe('PNG');
    expect(statSync(screenshot).size).toBeGreaterThan(50_000);
  });

  it('a drill that lost writes: FAIL, the lost writes listed with their ids, the rest cut with a count', async () => {
    const dir = writeRunFolder('lost', { replication: 'async', lostBeforeFault: 57 });
    const { report } = stored(dir);
    expect(report.result.verdict).toBe('FAIL');
    expect(report.result.lost).toHaveLength(57);

    const page = await browser.inspect(writeHtmlReport(dir));
    expect(page.verdict).toBe('FAIL');
    expectFaithfulChart(page, dir);
    expect(page.anomalies.lost).toEqual({ count: 57, listedIds: report.result.lost.slice(0, 50).map((l) => l.id), more: 7 });
    // The chart hatches them where they were acknowledged: all before the fault.
    expect(page.lostWrites.reduce((n, l) => n + l.count, 0)).toBe(57);
    expect(page.lostWrites.every((l) => l.startMs < FAULT_MS)).toBe(true);
    // And by start time: 57 dots of their own colour, all invoked before the fault.
    const panels = await browser.read(path.join(dir, 'report.html'), readPanels);
    const lostDots = panels.value.dots.find((g) => g.outcome === 'lost')!;
    expect(lostDots.circles).toHaveLength(57);
    const faultX = ((panels.value.chart.left + (FAULT_MS / panels.value.chart.endMs) * (panels.value.chart.right - panels.value.chart.left)) * panels.value.chart.width) / 1200;
    expect(lostDots.circles.every((c) => c.x < faultX)).toBe(true);
    expect(page.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['acknowledged writes lost within budget (0)']);
  });

  it('a --repeat run: the top page gives the whole verdict and links every iteration to its own report.html', async () => {
    const runDir = path.join(root, 'repeat');
    const iteration = (n: number, verdict: 'PASS' | 'FAIL', lost: number) => {
      const dir = path.join(runDir, `iteration-0${n}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'report.html'), `<!doctype html><title>iteration ${n}</title>`);
      return { iteration: n, scenario: 'kill-primary-failback', verdict, faultNode: n % 2 ? 'node1' : 'node2', newPrimary: n % 2 ? 'node2' : 'node1', writeDownMs: 1200 + n, lost, dir };
    };
    const aggregate: Aggregate = {
      schema: AGGREGATE_SCHEMA,
      scenario: 'kill-primary-failback',
      iterations: [iteration(1, 'PASS', 0), iteration(2, 'FAIL', 3), iteration(3, 'PASS', 0)],
      passed: 2,
      writeDownMs: { median: 1202, worst: 1203 },
      totalLost: 3,
      verdict: 'FAIL',
    };
    const file = writeRepeatHtmlReport(runDir, 'r-repeat', aggregate);
    expect(file).toBe(path.join(runDir, 'report.html'));
    const page = await browser.read(file, () => {
      const doc = (globalThis as unknown as { document: PageDocument }).document;
      return {
        verdict: doc.querySelector('[data-testid="verdict"]')?.textContent?.trim(),
        gist: doc.querySelector('[data-testid="gist"]')?.textContent?.trim(),
        rows: Array.from(doc.querySelectorAll('[data-testid="iterations"] tbody tr')).map((tr) => ({
          iteration: Number(tr.getAttribute('data-iteration')),
          verdict: tr.getAttribute('data-verdict'),
          href: tr.querySelector('a')?.getAttribute('href') ?? '',
          visible: tr.getBoundingClientRect().height > 0,
        })),
      };
    });
    expect(page.pageErrors).toEqual([]);
    expect(page.consoleErrors).toEqual([]);
    expect(page.externalRequests).toEqual([]);
    expect(page.value.verdict).toBe('FAIL');
    expect(page.value.gist).toBe('2 of 3 passed · writes down 1.20 s median, 1.20 s worst · 3 acknowledged writes lost');
    expect(page.value.rows.map((r) => [r.iteration, r.verdict, r.visible])).toEqual([
      [1, 'PASS', true],
      [2, 'FAIL', true],
      [3, 'PASS', true],
    ]);
    // Each link, resolved from the page's own place, is that iteration's own report.html.
    for (const [i, row] of page.value.rows.entries()) {
      const target = fileURLToPath(new URL(row.href, pathToFileURL(file)));
      expect(target).toBe(path.join(aggregate.iterations[i]!.dir, 'report.html'));
      expect(statSync(target).isFile()).toBe(true);
    }
  });

  it('by start time: a dot per operation, held writes as a column; a band per fault, injection to undo; repmgr and the agent in their lanes; wall clock on hover', async () => {
    const dir = writeRunFolder('panels', { replication: 'sync', lostBeforeFault: 0, held: true, secondFault: true, repmgrWallOnly: true, agent: true });
    const { history, events, report, count } = stored(dir);
    const page = await browser.read(writeHtmlReport(dir), readPanels);
    expect(page.pageErrors).toEqual([]);
    expect(page.consoleErrors).toEqual([]);
    expect(page.externalRequests).toEqual([]);
    const { chart, dots, bands, lane, ticks } = page.value;
    /** Where a moment of the drill is drawn, in CSS pixels from the chart's left edge. */
    const xOf = (ms: number) => (chart.left + (ms / chart.endMs) * (chart.right - chart.left)) * (chart.width / 1200);

    // Every invocation of the history is a dot, drawn, in the group of its outcome.
    const invocations = history.filter((op) => op.type === 'invoke').length;
    const circles = dots.flatMap((g) => g.circles);
    expect(circles).toHaveLength(invocations);
    expect(circles.every((c) => c.width > 0)).toBe(true);
    const answered = history.filter((op) => op.type !== 'invoke').length;
    const lost = report.result.lost.length;
    expect(Object.fromEntries(dots.map((g) => [g.outcome, g.circles.length]))).toEqual({
      ok: count('write', 'ok') + count('read', 'ok') - lost,
      info: count('write', 'info') + count('read', 'info'),
      open: invocations - answered,
      fail: count('write', 'fail') + count('read', 'fail'),
      lost,
      session: 0,
    });
    expect(dots.every((g) => g.count === g.circles.length)).toBe(true);
    const [cut] = dots.find((g) => g.outcome === 'open')!.circles;
    expect(Math.abs(cut!.x - xOf(END_MS - 10))).toBeLessThan(1);
    expect(cut!.title).toMatch(/^write panels-cut invoked at 7\.490 s \(2026-11-21T09:00:07\.490Z\): no answer by the end of the history, \d+ ms later$/);
    expect(page.value.legend).toEqual(['ok', 'unknown', 'no answer (cut off)', 'failed', 'ok, then lost', 'read against its session', 'small: a read']);

    // The held writes: a column where they were invoked, above every other ok dot, each saying how long it waited.
    const ok = [...dots.find((g) => g.outcome === 'ok')!.circles].sort((a, b) => a.cy - b.cy);
    const column = ok.slice(0, HELD);
    expect(column.every((c) => Math.abs(c.x - xOf(HELD_AT_MS)) < 1 && c.cy === column[0]!.cy)).toBe(true);
    expect(ok[HELD]!.cy).toBeGreaterThan(column[0]!.cy + 20);
    for (const c of column) expect(c.title).toMatch(/^write panels-held\d invoked at 3\.170 s \(2026-11-21T09:00:03\.170Z\): ok after 2\.18 s$/);

    // A band per fault, from its injection to its heal, the one never healed to the end of the run.
    const faults = events.filter((e) => e.type === 'fault');
    expect(bands).toHaveLength(faults.length);
    expect(bands.map((b) => [b.kind, b.node, b.fromMs, b.toMs, b.healed])).toEqual([
      ['kill', 'node1', FAULT_MS, HEALED_MS, true],
      ['latency', 'node2', SECOND_FAULT_MS, END_MS + 50, false],
    ]);
    for (const b of bands) {
      expect(Math.abs(b.x - xOf(b.fromMs))).toBeLessThan(1);
      expect(Math.abs(b.x + b.width - xOf(b.toMs))).toBeLessThan(1);
      expect(b.height).toBeGreaterThan(400);
    }
    expect(page.value.faultLabels).toEqual(['kill node1', 'latency node2']);

    // repmgr's events (wall clock only) and the agent's actions, each a mark at its moment.
    const repmgr = events.filter((e) => e.type === 'repmgr');
    expect(repmgr.length).toBe(3);
    expect(repmgr.every((e) => e.time === undefined)).toBe(true);
    const repmgrMarks = lane.filter((m) => m.lane === 'repmgr');
    expect(repmgrMarks.map((m) => [m.what, m.atMs])).toEqual(repmgr.map((e) => [e.event, e.wall - WALL_ORIGIN]));
    for (const [i, m] of repmgrMarks.entries()) {
      expect(m.width).toBeGreaterThan(3);
      expect(Math.abs(m.x - xOf(m.atMs))).toBeLessThan(1);
      expect(m.title).toContain(`repmgr ${String(repmgr[i]!.event)} on ${String(repmgr[i]!.node)} at ${(m.atMs / 1000).toFixed(3)} s (${new Date(repmgr[i]!.wall).toISOString()})`);
    }
    const agent = events.filter((e) => e.type === 'endpoint-agent');
    expect(lane.filter((m) => m.lane === 'endpoint-agent').map((m) => [m.what, m.atMs, Math.abs(m.x - xOf(m.atMs)) < 1])).toEqual(agent.map((e) => [e.action, e.time! / 1e6, true]));

    // One origin: 0 s is the drill's start (report.json's startedAt); each tick's wall clock on hover.
    expect(chart.wallOrigin).toBe(report.startedAt);
    expect(ticks.length).toBeGreaterThan(5);
    for (const t of ticks) {
      expect(Math.abs(t.x - xOf(t.ms))).toBeLessThan(1);
      expect(t.title).toBe(`${new Date(WALL_ORIGIN + t.ms).toISOString()}: ${Number((t.ms / 1000).toFixed(3))} s since the drill started`);
    }

    // "no reads sent" exactly where no read was invoked; in flight at most the clients plus the held writes.
    const readsInvokedIn = (from: number, to: number) => history.filter((op) => op.f === 'read' && op.type === 'invoke' && op.time >= from * 1e6 && op.time < to * 1e6).length;
    expect(page.value.noReads.length).toBeGreaterThan(0);
    for (const q of page.value.noReads) expect(readsInvokedIn(q.fromMs, q.toMs)).toBe(0);
    const quietBuckets = new Set(page.value.noReads.flatMap((q) => Array.from({ length: (q.toMs - q.fromMs) / 100 }, (_, i) => q.fromMs + i * 100)));
    const firstBucket = Math.floor(history[0]!.time / 1e8) * 100;
    for (let b = firstBucket; b < END_MS; b += 100) if (!quietBuckets.has(b)) expect(readsInvokedIn(b, b + 100)).toBeGreaterThan(0);
    expect(page.value.inFlight.length).toBeGreaterThan(50);
    expect(page.value.inFlight.every((f) => f.height > 0 && f.peak <= 4 + HELD)).toBe(true);
    expect(page.value.inFlight.find((f) => f.startMs === Math.floor(HELD_AT_MS / 100) * 100 + 100)!.peak).toBeGreaterThanOrEqual(HELD);
  });
});
