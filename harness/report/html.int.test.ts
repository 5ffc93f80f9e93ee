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
import type { FinalRead, FinalRow } from '../checker/checker.ts';
import { AGGREGATE_SCHEMA, REPORT_SCHEMA, type Aggregate, type DrillReport } from './report.ts';
import { parseHistory, parseEvents } from '../history.ts';
import type { ClusterEvent, Op, WrittenValue } from '../op.ts';
import { ReportBrowser, type PageDocument, type RenderedReport } from '../test-support/browser.ts';
import { writeHtmlReport, writeRepeatHtmlReport } from './html.ts';
import { writeJson } from './run-folder.ts';
import { loadRun, RUN_SCHEMA, type RunSettings } from './stored-run.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-html-int-'));
const WALL_ORIGIN = Date.parse('2026-11-21T09:00:00.000Z');
const FAULT_MS = 3000;
const PROMOTED_MS = 4300;
const MOVED_MS = 4450;
const HEALED_MS = 6000;
const END_MS = 7500;

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
 * replication), so the final read misses them.
 */
function writeRunFolder(name: string, options: { replication: 'sync' | 'async'; lostBeforeFault: number }): string {
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
});
