import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../checker/checker.ts';
import { pairOperations } from '../checker/history.ts';
import type { CheckResult, FinalRead } from '../checker/types.ts';
import type { DrillReport } from './report.ts';
import type { ClusterEvent, Op } from '../op.ts';
import { renderHtmlReport, writeHtmlReport } from './html/drill-page.ts';
import { writeJunitReport } from './junit.ts';
import { LIST_LIMIT } from './html/sections.ts';
import { faultBandsOf, historyEndNs, inFlightPeaks, laneMarkerOf, noReadStretches, packRows, runTimeOf, startLatencyDots } from './html/timeline.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-html-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ns = (ms: number) => Math.round(ms * 1e6);
const WALL_ORIGIN = Date.parse('2026-01-01T00:00:00Z');

/** One write: its invocation and, unless `answer` is null, its answer. */
function write(process: number, id: string, invokedMs: number, answeredMs: number, answer: 'ok' | 'fail' | 'info', node = 'node1', timeline = 1): Op[] {
  const value = { id, name: `run/${id}` };
  const completion: Op =
    answer === 'ok'
      ? { process, type: 'ok', f: 'write', value: { ...value, committed_by: node, committed_timeline: timeline, committed_at: new Date(WALL_ORIGIN + answeredMs).toISOString() }, time: ns(answeredMs) }
      : { process, type: answer, f: 'write', value, time: ns(answeredMs), error: answer === 'fail' ? 'SequelizeConnectionRefusedError' : 'CLIENT_TIMEOUT' };
  return [{ process, type: 'invoke', f: 'write', value, time: ns(invokedMs) }, completion];
}

function read(process: number, id: string, invokedMs: number, answeredMs: number): Op[] {
  return [
    { process, type: 'invoke', f: 'read', value: { id }, time: ns(invokedMs) },
    { process, type: 'ok', f: 'read', value: { id, found: true, committed_by: 'node1' }, time: ns(answeredMs) },
  ];
}

/** Operations of several processes, in the order they happened (as the drill appends them). */
const inTimeOrder = (...ops: Op[][]) => ops.flat().sort((a, b) => a.time - b.time);

const event = (type: ClusterEvent['type'], atMs: number, fields: Record<string, unknown>): ClusterEvent => ({ type, time: ns(atMs), wall: WALL_ORIGIN + atMs, ...fields });

function reportOf(result: CheckResult, scenario = 'kill-primary'): DrillReport {
  return {
    schema: 'flipdrill.report/v1',
    runId: 'test-run',
    scenario,
    startedAt: new Date(WALL_ORIGIN).toISOString(),
    finishedAt: new Date(WALL_ORIGIN + 10_000).toISOString(),
    seed: 42,
    cluster: { name: 'fdtest', replication: result.expectations.replication, timing: { monitorIntervalSecs: 1 }, tls: false, app: 'aware', reused: false, images: null },
    workload: { concurrency: 2, readFraction: 0.3, pauseMs: 20, operations: 10 },
    result,
  };
}

function render(history: Op[], events: ClusterEvent[], finalRead: FinalRead | null, scenario?: string): string {
  const result = check({ history, events, finalRead, expectations: { replication: 'async' } });
  return renderHtmlReport({ report: reportOf(result, scenario), history, events });
}

/** The attributes of every `<tag ...>` in the page, in order. */
function elements(page: string, tag: string): Record<string, string>[] {
  return [...page.matchAll(new RegExp(`<${tag}\\b([^>]*)>`, 'g'))].map((m) => Object.fromEntries([...m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])));
}

const bars = (page: string) => elements(page, 'rect').filter((r) => r['data-bucket-start-ms'] !== undefined);
const barOf = (page: string, f: string, type: string, startMs: number) =>
  bars(page).filter((r) => r['data-f'] === f && r['data-type'] === type && r['data-bucket-start-ms'] === String(startMs));

const rowsOf = (ids: string[]) => ids.map((id) => ({ id, committed_by: 'node2', committed_timeline: 2 }));

describe('report.html timeline', () => {
  // 3 ok writes answered in 0-100 ms, one invoked at 90 ms but answered at 130 ms (bucket 100),
  // a failed write at 150 ms, an unknown one at 250 ms, and two reads at 120 ms.
  const history = inTimeOrder(
    write(0, 'w1', 5, 10, 'ok'),
    write(1, 'w2', 20, 50, 'ok'),
    write(2, 'w3', 40, 99.9, 'ok'),
    write(0, 'w4', 90, 130, 'ok'),
    write(1, 'w5', 100, 150, 'fail'),
    write(2, 'w6', 110, 250, 'info'),
    read(3, 'w1', 110, 120),
    read(4, 'w2', 111, 120.5),
  );
  const finalRead: FinalRead = { node: 'node1', rows: rowsOf(['w1', 'w2', 'w3', 'w4']) };
  const page = render(history, [], finalRead);

  it('counts operations by the 100 ms bucket their answer came in, per outcome', () => {
    expect(barOf(page, 'write', 'ok', 0).map((r) => r['data-count'])).toEqual(['3']);
    expect(barOf(page, 'write', 'ok', 100).map((r) => r['data-count'])).toEqual(['1']);
    expect(barOf(page, 'write', 'fail', 100).map((r) => r['data-count'])).toEqual(['1']);
    expect(barOf(page, 'write', 'info', 200).map((r) => r['data-count'])).toEqual(['1']);
    expect(barOf(page, 'read', 'ok', 100).map((r) => r['data-count'])).toEqual(['2']);
    // Nothing else: no empty segments, no bucket the history does not have.
    expect(bars(page)).toHaveLength(5);
    const total = (type: string) => bars(page).filter((r) => r['data-f'] === 'write' && r['data-type'] === type).reduce((n, r) => n + Number(r['data-count']), 0);
    expect([total('ok'), total('fail'), total('info')]).toEqual([4, 1, 1]);
  });

  it('stacks the segments of a bucket without overlap', () => {
    const [ok] = barOf(page, 'write', 'ok', 100);
    const [fail] = barOf(page, 'write', 'fail', 100);
    expect(Number(ok!.height)).toBeGreaterThan(0);
    // Each segment's height is proportional to its count, the second sits on top of the first.
    expect(Number(fail!.height)).toBeCloseTo(Number(ok!.height), 0);
    expect(Number(fail!.y) + Number(fail!.height)).toBeCloseTo(Number(ok!.y), 0);
  });

  it('draws write latency per bucket: median and slowest', () => {
    const points = elements(page, 'circle');
    const at0 = points.filter((p) => p['data-bucket-start-ms'] === '0');
    // Latencies 5, 30 and 59.9 ms in the first bucket.
    expect(at0.find((p) => p['data-latency'] === 'median')?.['data-ms']).toBe('30');
    expect(at0.find((p) => p['data-latency'] === 'max')?.['data-ms']).toBe('59.9');
    // The unknown write waited 140 ms: a timeout is latency its user saw.
    expect(points.find((p) => p['data-bucket-start-ms'] === '200' && p['data-latency'] === 'max')?.['data-ms']).toBe('140');
  });
});

describe('report.html markers', () => {
  const history = inTimeOrder(
    write(0, 'a', 100, 110, 'ok'),
    write(1, 'b', 2990, 3000, 'ok'),
    write(0, 'c', 3100, 4000, 'info'),
    write(2, 'd', 4700, 4800, 'ok', 'node2', 2),
    write(1, 'e', 5000, 5010, 'ok', 'node2', 2),
  );
  const events = [
    event('phase', 50, { phase: 'warm-up' }),
    event('fault', 3200, { kind: 'kill', node: 'node1', primary: 'node1', standby: 'node2', detail: 'docker kill' }),
    event('endpoint', 3300, { action: 'fence', node: 'node1', reason: 'node1 is down', durationMs: 4 }),
    event('promotion-observed', 4400, { node: 'node2', timeline: 2 }),
    event('endpoint', 4500.5, { action: 'move', node: 'node2', reason: 'node2 is primary', durationMs: 85 }),
    event('heal', 5200, { node: 'node1', restarted: false }),
  ];
  const page = render(history, events, { node: 'node2', rows: rowsOf(['a', 'b', 'd', 'e']) });

  it('marks the fault, the promotion, each endpoint move and the heal at their times', () => {
    const markers = elements(page, 'line').filter((l) => l['data-marker'] !== undefined);
    expect(markers.map((m) => [m['data-marker'], m['data-at-ms']])).toEqual([
      ['fault', '3200'],
      ['promotion', '4400'],
      ['endpoint-move', '4500.5'],
      ['heal', '5200'],
    ]);
    // On one time axis: later events are drawn further right.
    const xs = markers.map((m) => Number(m.x1));
    expect(xs).toEqual([...xs].sort((p, q) => p - q));
  });

  it('shades the write outage from the last ok write before writes stopped to the first after the fault', () => {
    const band = elements(page, 'rect').find((r) => r['data-band'] === 'write-unavailability');
    expect(band).toMatchObject({ 'data-from-ms': '3000', 'data-to-ms': '4800' });
    expect(page).toContain('writes down 1.80 s');
  });

  it('lists every event, fences included, in time order', () => {
    const rows = elements(page, 'tr').filter((r) => r['data-event-type'] !== undefined);
    expect(rows.map((r) => r['data-event-type'])).toEqual(['phase', 'fault', 'endpoint', 'promotion-observed', 'endpoint', 'heal']);
    expect(page).toContain('fence (seen): node1 is down');
  });
});

describe('report.html anomalies', () => {
  const history = inTimeOrder(
    write(0, 'kept', 100, 110, 'ok'),
    write(1, 'gone', 2000, 2012.5, 'ok'),
    write(2, 'refused', 2100, 2200, 'fail'),
    // A read of the lost write, answered in the same bucket: a read, not a second lost write.
    read(3, 'gone', 2013, 2018),
  );
  const events = [event('fault', 3000, { kind: 'kill', node: 'node1' })];

  it('shows a lost write with its invocation and its acknowledgement from the history', () => {
    const page = render(history, events, { node: 'node2', rows: rowsOf(['kept', 'refused']) });
    expect(page).toContain('data-verdict="FAIL"');
    const lost = page.slice(page.indexOf('data-testid="anomaly-lost"'), page.indexOf('data-testid="anomaly-contradicted"'));
    expect(lost).toContain('data-count="1"');
    expect(elements(lost, 'tr').filter((r) => r['data-write-id']).map((r) => r['data-write-id'])).toEqual(['gone']);
    expect(lost).toContain('run/gone');
    expect(lost).toMatch(/invoke<\/span> 2\.000 s/);
    expect(lost).toMatch(/ok<\/span> 2\.013 s/);
    expect(lost).toContain('committed by node1 on timeline 1');
    // And in the chart: hatched over the foot of the ok bar of the bucket it was acknowledged in.
    const hatched = elements(page, 'rect').filter((r) => r['data-lost-count'] !== undefined);
    expect(hatched.map((r) => [r['data-lost-bucket-start-ms'], r['data-lost-count']])).toEqual([['2000', '1']]);
    // The write answered "failed" that is present anyway, with the error it got.
    const contradicted = page.slice(page.indexOf('data-testid="anomaly-contradicted"'), page.indexOf('data-testid="anomaly-duplicated"'));
    expect(contradicted).toContain('data-write-id="refused"');
    expect(contradicted).toContain('SequelizeConnectionRefusedError');
  });

  it(`lists at most ${LIST_LIMIT} of each, and says how many more`, () => {
    const many = inTimeOrder(...Array.from({ length: LIST_LIMIT + 7 }, (_, i) => write(i, `w${i}`, 100 + i, 110 + i, 'ok')));
    const page = render(many, events, { node: 'node2', rows: [] });
    expect(page).toContain(`data-testid="anomaly-lost" data-count="${LIST_LIMIT + 7}"`);
    expect(elements(page, 'tr').filter((r) => r['data-write-id'])).toHaveLength(LIST_LIMIT);
    expect(page).toContain('and 7 more in report.json');
  });

  it('says "none" for a clean run: every anomaly section present with a count of 0', () => {
    const page = render(history.filter((op) => op.f === 'write').slice(0, 4), events, { node: 'node2', rows: rowsOf(['kept', 'gone']) });
    for (const kind of ['lost', 'contradicted', 'duplicated', 'unexpected', 'split-brain', 'stale-reads']) {
      expect(page).toContain(`data-testid="anomaly-${kind}" data-count="0"`);
    }
  });
});

describe('report.html is safe and self-contained', () => {
  const evil = '<script>alert("x")</script>';
  const history = inTimeOrder(write(0, 'a', 100, 110, 'ok', evil), write(1, `b"><img src=x onerror=alert(1)>`, 200, 210, 'ok', evil));
  const events = [
    event('fault', 300, { kind: 'kill', node: evil, detail: `it's <b>bold</b> & loud` }),
    event('repmgr', 400, { event: 'standby_promote', node: evil, successful: true, details: '</td></tr></table><script>x()</script>' }),
  ];
  const page = render(history, events, { node: evil, rows: rowsOf(['a']) }, `kill-primary <i>&</i>`);

  it('escapes every string that came from the run: node names, details, ids, the scenario', () => {
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/<img/i);
    expect(page).not.toContain('<b>bold');
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(page).toContain('it&#39;s &lt;b&gt;bold&lt;/b&gt; &amp; loud');
    expect(page).toContain('kill-primary &lt;i&gt;&amp;&lt;/i&gt;');
    // The lost write's id in an attribute cannot close the attribute.
    expect(page).toContain('data-write-id="b&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"');
  });

  it('fetches nothing: no script, link, image or stylesheet URL', () => {
    const attributeNames = elements(page, '[a-z]+').flatMap((attributes) => Object.keys(attributes));
    expect(attributeNames.length).toBeGreaterThan(100);
    expect(attributeNames.filter((name) => /^(src|href|srcset|action|xlink:href)$/i.test(name))).toEqual([]);
    // url(#id) names a pattern in the page itself.
    expect(page).not.toMatch(/url\((?!#)|@import/i);
  });
});

describe('writeHtmlReport', () => {
  it('writes report.html into the run folder from report.json, history.jsonl and events.jsonl', () => {
    const history = inTimeOrder(write(0, 'a', 100, 110, 'ok'), write(1, 'b', 150, 170, 'ok'));
    const events = [event('fault', 140, { kind: 'kill', node: 'node2', primary: 'node1', standby: 'node2' })];
    // A fault the cluster rides out without a failover (a standby killed): nothing to promote.
    const result = check({ history, events, finalRead: { node: 'node1', rows: rowsOf(['a', 'b']) }, expectations: { promotion: false, finalPrimary: 'primary' } });
    writeFileSync(path.join(dir, 'history.jsonl'), history.map((op) => `${JSON.stringify(op)}\n`).join(''));
    writeFileSync(path.join(dir, 'events.jsonl'), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    writeFileSync(path.join(dir, 'report.json'), JSON.stringify(reportOf(result, 'from-disk')));

    const file = writeHtmlReport(dir);
    expect(file).toBe(path.join(dir, 'report.html'));
    const page = readFileSync(file, 'utf8');
    expect(page).toContain('data-verdict="PASS"');
    expect(page).toContain('from-disk');
    expect(barOf(page, 'write', 'ok', 100).map((r) => r['data-count'])).toEqual(['2']);
    expect(elements(page, 'line').find((l) => l['data-marker'] === 'fault')?.['data-at-ms']).toBe('140');
  });

  it('writes report.html and junit.xml without following a link planted at their names', () => {
    const run = mkdtempSync(path.join(dir, 'planted-'));
    const history = inTimeOrder(write(0, 'a', 100, 110, 'ok'));
    const result = check({ history, events: [], finalRead: { node: 'node1', rows: rowsOf(['a']) }, expectations: { promotion: false, finalPrimary: 'primary' } });
    writeFileSync(path.join(run, 'history.jsonl'), history.map((op) => `${JSON.stringify(op)}\n`).join(''));
    writeFileSync(path.join(run, 'report.json'), JSON.stringify(reportOf(result)));
    const target = path.join(dir, `target-${path.basename(run)}`);
    writeFileSync(target, 'owner\n');
    symlinkSync(target, path.join(run, 'report.html'));
    symlinkSync(target, path.join(run, 'junit.xml'));
    expect(() => writeHtmlReport(run)).toThrow(/report\.html is a symbolic link/);
    expect(() => writeJunitReport(run)).toThrow(/junit\.xml is a symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('owner\n');
  });

  it('reads report.json through no link, and says it is not JSON without quoting it', () => {
    const run = mkdtempSync(path.join(dir, 'shadow-'));
    const history = inTimeOrder(write(0, 'a', 100, 110, 'ok'));
    const result = check({ history, events: [], finalRead: { node: 'node1', rows: rowsOf(['a']) }, expectations: { promotion: false, finalPrimary: 'primary' } });
    writeFileSync(path.join(run, 'history.jsonl'), history.map((op) => `${JSON.stringify(op)}\n`).join(''));
    const elsewhere = path.join(dir, `report-${path.basename(run)}.json`);
    writeFileSync(elsewhere, JSON.stringify(reportOf(result)));
    symlinkSync(elsewhere, path.join(run, 'report.json'));
    expect(() => writeHtmlReport(run)).toThrow(/report\.json is not a regular file: a symbolic link, not followed/);
    expect(() => writeJunitReport(run)).toThrow(/report\.json is not a regular file: a symbolic link, not followed/);
    rmSync(path.join(run, 'report.json'));
    writeFileSync(path.join(run, 'report.json'), 'root:$6$saltsalt$hashhashhash:19000:0:99999:7:::\n');
    for (const writer of [writeHtmlReport, writeJunitReport]) {
      let message = '';
      try {
        writer(run);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toBe(`report.json in ${run} is not valid JSON`);
    }
  });

  it('refuses a folder whose drill has not finished', () => {
    const empty = mkdtempSync(path.join(dir, 'unfinished-'));
    expect(() => writeHtmlReport(empty)).toThrow(/no report\.json/);
  });
});

describe('report.html time origin', () => {
  const startedAt = new Date(WALL_ORIGIN).toISOString();

  it('puts an event at its drill time; one with only a wall clock (repmgr read back) where that wall time falls after startedAt', () => {
    const time = runTimeOf(startedAt, []);
    expect(time.wallOrigin).toBe(WALL_ORIGIN);
    // The drill clock wins over the wall clock when an event has both.
    expect(time.msOf({ type: 'fault', time: ns(3200), wall: WALL_ORIGIN + 9999 })).toBe(3200);
    expect(time.msOf({ type: 'repmgr', wall: WALL_ORIGIN + 4321.456 })).toBe(4321.46);
    expect(time.isoOf(1500)).toBe('2026-01-01T00:00:01.500Z');
  });

  it("takes startedAt over an event's two clocks, which the drill reads one after the other", () => {
    // A phase event recorded 3 ms of wall clock after its drill time: startedAt is the clock's own origin.
    const time = runTimeOf(startedAt, [{ type: 'phase', time: ns(100), wall: WALL_ORIGIN + 103 }]);
    expect(time.msOf({ type: 'repmgr', wall: WALL_ORIGIN + 2000 })).toBe(2000);
  });

  it('without a usable startedAt, takes the origin from an event that has both clocks; with neither, places nothing', () => {
    const time = runTimeOf('not a date', [{ type: 'phase', time: ns(100), wall: WALL_ORIGIN + 100 }]);
    expect(time.msOf({ type: 'repmgr', wall: WALL_ORIGIN + 2000 })).toBe(2000);
    const none = runTimeOf(undefined, []);
    expect(none.msOf({ type: 'repmgr', wall: WALL_ORIGIN })).toBeNull();
    expect(none.isoOf(0)).toBe('');
  });

  it('labels the axis in seconds since the drill started, each tick with its wall-clock time on hover', () => {
    const page = render(inTimeOrder(write(0, 'a', 100, 110, 'ok'), write(1, 'b', 2500, 2510, 'ok')), [], { node: 'node1', rows: rowsOf(['a', 'b']) });
    expect(page).toContain(`data-wall-origin="${startedAt}"`);
    const ticks = [...page.matchAll(/<g class="x-tick" data-x-tick-ms="(\d+)"><title>([^<]*)<\/title>.*?<text[^>]*>([^<]*)<\/text><\/g>/g)].map((m) => [m[1], m[2], m[3]]);
    expect(ticks.slice(0, 2)).toEqual([
      ['0', '2026-01-01T00:00:00.000Z: 0 s since the drill started', '0 s'],
      ['200', '2026-01-01T00:00:00.200Z: 0.2 s since the drill started', '0.2 s'],
    ]);
    expect(ticks.at(-1)![0]).toBe('2600');
  });
});

describe('report.html fault bands', () => {
  const time = runTimeOf(new Date(WALL_ORIGIN).toISOString(), []);

  it('pairs every fault with its heal, the fault injected last healed first; one never healed lasts to the end of the run', () => {
    const bands = faultBandsOf(
      [
        event('fault', 1000, { kind: 'loss', node: 'node1' }),
        event('fault', 1500, { kind: 'freeze', node: 'node2' }),
        event('promotion-observed', 1700, { node: 'node2' }),
        event('heal', 2000, { node: 'node2', restarted: false }),
        event('heal', 3000, { node: 'node1', restarted: true, role: 'standby', ms: 900 }),
        event('fault', 4000, { kind: 'kill', node: 'node1' }),
      ],
      time,
      9000,
    );
    expect(bands.map((b) => [b.kind, b.node, b.fromMs, b.toMs, b.healed])).toEqual([
      ['loss', 'node1', 1000, 3000, true],
      ['freeze', 'node2', 1500, 2000, true],
      ['kill', 'node1', 4000, 9000, false],
    ]);
    expect(bands[0]!.title).toBe('loss on node1 from 1.000 s until its heal at 3.000 s (restarted, standby after 900 ms)');
    expect(bands[2]!.title).toContain('to the end of the run (never healed)');
  });

  it("starts a fault's band at its preparation (a lagging standby's frozen WAL sender, seconds before the kill)", () => {
    const bands = faultBandsOf(
      [
        event('phase', 3200, { phase: 'prepare', detail: 'WAL sender on node1 frozen with SIGSTOP: node2 receives nothing' }),
        event('fault', 6200, { kind: 'lag-then-kill', node: 'node1' }),
        event('heal', 7400, { node: 'node1', restarted: false }),
        event('fault', 8000, { kind: 'kill', node: 'node2' }),
      ],
      time,
      9000,
    );
    expect(bands.map((b) => [b.kind, b.fromMs, b.toMs])).toEqual([
      ['lag-then-kill', 3200, 7400],
      ['kill', 8000, 9000],
    ]);
    expect(bands[0]!.title).toContain('from 3.200 s (WAL sender on node1 frozen with SIGSTOP: node2 receives nothing; the fault itself at 6.200 s)');
  });

  it('orders by time whatever the order in the file, and a heal with no fault on heals nothing', () => {
    const bands = faultBandsOf([event('heal', 500, { node: 'node1' }), event('heal', 2500, { node: 'node1' }), event('fault', 2000, { kind: 'kill', node: 'node1' })], time, 9000);
    expect(bands.map((b) => [b.fromMs, b.toMs])).toEqual([[2000, 2500]]);
  });

  it('packs overlapping bands into rows of their own', () => {
    expect(packRows([{ from: 0, to: 100 }, { from: 50, to: 80 }, { from: 60, to: 90 }, { from: 95, to: 120 }, { from: 200, to: 210 }])).toEqual([0, 1, 2, 1, 0]);
    // Touching is not overlapping, within the gap it is.
    expect(packRows([{ from: 0, to: 10 }, { from: 16, to: 20 }, { from: 25, to: 30 }], 6)).toEqual([0, 0, 1]);
  });

  it('draws one band per fault across the chart, from its injection to its undo, named in the fault lane', () => {
    const history = inTimeOrder(write(0, 'a', 100, 110, 'ok'), write(1, 'b', 1200, 1210, 'ok'), write(0, 'c', 4900, 4910, 'ok'));
    const events = [
      event('fault', 1000, { kind: 'loss', node: 'node1' }),
      event('heal', 2000, { node: 'node1', restarted: false }),
      event('fault', 3000, { kind: 'freeze', node: 'node2' }),
      event('phase', 5000, { phase: 'final-read' }),
    ];
    const page = render(history, events, { node: 'node1', rows: rowsOf(['a', 'b', 'c']) });
    const bands = elements(page, 'rect').filter((r) => r['data-band'] === 'fault');
    expect(bands.map((b) => [b['data-kind'], b['data-node'], b['data-from-ms'], b['data-to-ms'], b['data-healed']])).toEqual([
      ['loss', 'node1', '1000', '2000', 'true'],
      ['freeze', 'node2', '3000', '5000', 'false'],
    ]);
    // Positioned on the axis: the first from 1 s to 2 s of a 5 s chart.
    const [x1, w1] = [Number(bands[0]!.x), Number(bands[0]!.width)];
    const plot = elements(page, 'svg')[0]!;
    const scale = (Number(plot['data-plot-right']) - Number(plot['data-plot-left'])) / Number(plot['data-end-ms']);
    expect(x1).toBeCloseTo(Number(plot['data-plot-left']) + 1000 * scale, 0);
    expect(w1).toBeCloseTo(1000 * scale, 0);
    expect(page).toMatch(/<text class="fault-lane-label"[^>]*>loss node1<\/text>/);
    expect(page).toMatch(/<text class="fault-lane-label"[^>]*>freeze node2<\/text>/);
  });
});

describe('report.html repmgr and endpoint agent lanes', () => {
  const time = runTimeOf(new Date(WALL_ORIGIN).toISOString(), []);

  it("marks repmgr's events, placed by their wall clock when they have no drill time, with a tooltip", () => {
    const marker = laneMarkerOf({ type: 'repmgr', event: 'standby_promote', node: 'node2', successful: true, details: 'promoted', wall: WALL_ORIGIN + 4833.9 }, time);
    expect(marker).toEqual({
      lane: 'repmgr',
      atMs: 4833.9,
      what: 'standby_promote',
      failed: false,
      title: 'repmgr standby_promote on node2 at 4.834 s (2026-01-01T00:00:04.833Z): promoted',
    });
    expect(laneMarkerOf({ type: 'endpoint-agent', action: 'move', node: 'node2', reason: 'node2 is primary', durationMs: 81, wall: WALL_ORIGIN + 3967, time: ns(3967) }, time)?.title).toBe(
      'endpoint agent: move node2 at 3.967 s (2026-01-01T00:00:03.967Z) (took 81 ms): node2 is primary',
    );
    expect(laneMarkerOf(event('fault', 1, {}), time)).toBeNull();
  });

  it("marks a cluster file's HA manager's own record in a lane of its own", () => {
    const marker = laneMarkerOf({ type: 'manager', manager: 'patroni', event: 'timeline 3', node: 'pg2', details: 'no recovery target specified', wall: WALL_ORIGIN + 12000 }, time);
    expect(marker).toEqual({ lane: 'manager', atMs: 12000, what: 'timeline 3', failed: false, title: 'patroni: timeline 3 on pg2 at 12.000 s (2026-01-01T00:00:12.000Z): no recovery target specified' });
  });

  it('draws a mark per repmgr event and per endpoint agent action, at its time', () => {
    const history = inTimeOrder(write(0, 'a', 100, 110, 'ok'), write(1, 'b', 4900, 4910, 'ok'));
    const events: ClusterEvent[] = [
      event('fault', 3000, { kind: 'kill', node: 'node1' }),
      event('endpoint-agent', 3967, { action: 'fence', node: 'node1', reason: 'down' }),
      event('endpoint-agent', 3968, { action: 'move', node: 'node2', reason: 'primary' }),
      { type: 'repmgr', event: 'standby_promote', node: 'node2', successful: true, wall: WALL_ORIGIN + 4200 },
      { type: 'repmgr', event: 'repmgrd_failover_promote', node: 'node2', successful: false, wall: WALL_ORIGIN + 4400.5 },
    ];
    const page = render(history, events, { node: 'node2', rows: rowsOf(['a', 'b']) });
    const marks = elements(page, 'path').filter((p) => p['data-lane-marker'] !== undefined);
    expect(marks.map((m) => [m['data-lane-marker'], m['data-at-ms'], m['data-event'] ?? m['data-action']])).toEqual([
      ['repmgr', '4200', 'standby_promote'],
      ['repmgr', '4400.5', 'repmgrd_failover_promote'],
      ['endpoint-agent', '3967', 'fence'],
      ['endpoint-agent', '3968', 'move'],
    ]);
    expect(marks[1]!.class).toContain('unsuccessful');
    // The events table puts them on the same axis.
    expect(page).toMatch(/<tr class="event repmgr" data-event-type="repmgr"><td class="num">4\.200 s<\/td>/);
  });
});

describe('report.html operations by start time', () => {
  // Two quick writes and a read; four writes invoked at 3.17 s and held until 5.35 s (the outage);
  // a write refused, one unknown, one never answered, one acknowledged then lost; a read after.
  const history = inTimeOrder(
    write(0, 'a', 0, 10, 'ok'),
    write(1, 'b', 20, 30, 'ok'),
    read(2, 'a', 40, 45),
    write(6, 'gone', 100, 120, 'ok'),
    ...[0, 1, 2, 3].map((p) => write(10 + p, `held${p}`, 3170, 5350, 'ok', 'node2', 2)),
    write(4, 'refused', 3200, 3202, 'fail'),
    write(5, 'unknown', 3300, 3400, 'info'),
    [{ process: 7, type: 'invoke', f: 'write', value: { id: 'cut', name: 'run/cut' }, time: ns(5000) }],
    read(8, 'a', 5400, 5410),
  );
  const pairs = pairOperations(history);
  const endNs = historyEndNs(history);

  it('has one dot per invocation, at its start, as high as it waited, by outcome', () => {
    const dots = startLatencyDots(pairs, new Set(['gone']), 'write', endNs);
    expect(dots).toHaveLength(history.filter((op) => op.type === 'invoke').length);
    const byId = Object.fromEntries(dots.map((d) => [`${d.f}:${d.id}:${d.startMs}`, d]));
    expect(dots.filter((d) => d.startMs === 3170).map((d) => [d.outcome, d.latencyMs])).toEqual([
      ['ok', 2180],
      ['ok', 2180],
      ['ok', 2180],
      ['ok', 2180],
    ]);
    expect(byId['write:gone:100']).toMatchObject({ outcome: 'lost', latencyMs: 20 });
    expect(byId['write:refused:3200']).toMatchObject({ outcome: 'fail', error: 'SequelizeConnectionRefusedError' });
    expect(byId['write:unknown:3300']).toMatchObject({ outcome: 'info', latencyMs: 100 });
    // Never answered: drawn as waiting until the history ends.
    expect(byId['write:cut:5000']).toMatchObject({ outcome: 'open', latencyMs: 410 });
    expect(byId['read:a:40']).toMatchObject({ outcome: 'ok', isMutation: false, latencyMs: 5 });
  });

  it('counts the most operations in flight at once in each 100 ms, an answer and an invocation of the same instant not both', () => {
    const peaks = new Map(inFlightPeaks(pairs, endNs).map((p) => [p.startMs, p.peak]));
    expect(peaks.get(0)).toBe(1);
    expect(peaks.get(100)).toBe(1);
    expect(peaks.get(200)).toBe(0);
    expect(peaks.get(3100)).toBe(4);
    expect(peaks.get(3200)).toBe(5);
    expect(peaks.get(3300)).toBe(5);
    // The unknown write was answered at exactly 3.4 s: from then on it is not in flight.
    expect(peaks.get(3400)).toBe(4);
    // The held writes answered at 5.35 s, the cut one still waiting, a read.
    expect(peaks.get(5000)).toBe(5);
    expect(peaks.get(5300)).toBe(5);
    expect(peaks.get(5400)).toBe(2);
    expect([...peaks.keys()].at(-1)).toBe(5400);
    // Back to back on one process: answered and asked again at 10 ms is one operation at a time; one
    // answered in the nanosecond it was asked was never waiting.
    const chain = pairOperations(inTimeOrder(write(0, 'x', 0, 10, 'ok'), write(0, 'y', 10, 20, 'ok'), read(1, 'x', 15, 15)));
    expect(inFlightPeaks(chain, ns(20))).toEqual([{ startMs: 0, peak: 1 }]);
  });

  it('finds the stretches in which no read was sent', () => {
    expect(noReadStretches(pairs, 'write', endNs)).toEqual([{ fromMs: 100, toMs: 5400 }]);
    // A workload that never reads: the whole run.
    const writesOnly = pairOperations(inTimeOrder(write(0, 'x', 0, 10, 'ok'), write(0, 'y', 250, 260, 'ok')));
    expect(noReadStretches(writesOnly, 'write', ns(260))).toEqual([{ fromMs: 0, toMs: 300 }]);
  });

  it('draws every dot in a group per outcome, the in-flight bars and "no reads sent" over the quiet stretch', () => {
    const page = render(history, [event('fault', 3150, { kind: 'kill', node: 'node1' })], { node: 'node2', rows: rowsOf(['a', 'b', 'held0', 'held1', 'held2', 'held3', 'refused']) });
    const groups = [...page.matchAll(/<g class="dots [a-z]+" data-outcome="([a-z]+)" data-count="(\d+)">(.*?)<\/g>/g)].map((m) => [m[1], Number(m[2]), (m[3]!.match(/<circle /g) ?? []).length]);
    expect(groups).toEqual([
      ['ok', 8, 8],
      ['info', 1, 1],
      ['open', 1, 1],
      ['fail', 1, 1],
      ['lost', 1, 1],
      ['session', 0, 0],
    ]);
    // The held writes: one column at 3.17 s, 2.18 s up (the highest ok dots), each with its tooltip.
    const chart = elements(page, 'svg')[0]!;
    const panel = elements(page, 'g').find((g) => g['data-panel'] === 'start-latency')!;
    const msAtX = (cx: number) => ((cx - Number(chart['data-plot-left'])) / (Number(chart['data-plot-right']) - Number(chart['data-plot-left']))) * Number(chart['data-end-ms']);
    const [low, high, top, height] = ['data-y-low-ms', 'data-y-high-ms', 'data-top', 'data-height'].map((k) => Number(panel[k]));
    const msAtY = (cy: number) => 10 ** (Math.log10(low!) + ((top! + height! - cy) / height!) * (Math.log10(high!) - Math.log10(low!)));
    const okGroup = page.slice(page.indexOf('data-outcome="ok"'), page.indexOf('data-outcome="info"'));
    const highest = elements(okGroup, 'circle')
      .map((c) => ({ x: Number(c.cx), y: Number(c.cy) }))
      .sort((p, q) => p.y - q.y)
      .slice(0, 5);
    expect(highest.slice(0, 4).every((c) => c.x === highest[0]!.x && c.y === highest[0]!.y)).toBe(true);
    expect(msAtX(highest[0]!.x)).toBeCloseTo(3170, -1);
    expect(msAtY(highest[0]!.y)).toBeGreaterThan(2100);
    expect(msAtY(highest[0]!.y)).toBeLessThan(2260);
    expect(msAtY(highest[4]!.y)).toBeLessThan(100);
    expect(page.match(/write held\d invoked at 3\.170 s \(2026-01-01T00:00:03\.170Z\): ok after 2\.18 s/g)).toHaveLength(4);
    expect(page).toContain('write cut invoked at 5.000 s (2026-01-01T00:00:05.000Z): no answer by the end of the history, 410 ms later');
    const inflight = elements(page, 'rect').filter((r) => r['data-inflight'] !== undefined);
    expect(inflight.find((r) => r['data-inflight-start-ms'] === '3200')?.['data-inflight']).toBe('5');
    const quiet = elements(page, 'rect').filter((r) => r['data-no-reads-from-ms'] !== undefined);
    expect(quiet.map((r) => [r['data-no-reads-from-ms'], r['data-no-reads-to-ms']])).toEqual([['100', '5400']]);
    expect(page).toMatch(/<text class="no-reads-label"[^>]*>no reads sent<\/text>/);
  });
});

describe('report.html, reads judged per session', () => {
  // Session 0 writes a (acknowledged at 110 ms) and misses it at 200 ms on the standby node2; session
  // 1 reads a from node3 at 3000 ms, after node2 was seen primary on timeline 2 while node3 was on 1.
  const served = (node: string) => ({ node, recovery: true });
  const history: Op[] = [
    { process: 0, session: 0, type: 'invoke', f: 'write', value: { id: 'a', name: 'run/a' }, time: ns(100) },
    { process: 0, type: 'ok', f: 'write', value: { id: 'a', name: 'run/a', committed_by: 'node1', committed_timeline: 1, committed_at: new Date(WALL_ORIGIN + 105).toISOString() }, time: ns(110) },
    { process: 0, session: 0, type: 'invoke', f: 'read', value: { id: 'a' }, time: ns(200) },
    { process: 0, type: 'ok', f: 'read', value: { id: 'a', found: false, served_by: served('node2') }, time: ns(204) },
    { process: 1, session: 1, type: 'invoke', f: 'read', value: { id: 'a' }, time: ns(3000) },
    { process: 1, type: 'ok', f: 'read', value: { id: 'a', found: true, served_by: served('node3') }, time: ns(3004) },
  ];
  const events = [
    event('node-state', 0, { node: 'node2', role: 'standby', timeline: 1, lastSeenBeforeNs: 0 }),
    event('node-state', 0, { node: 'node3', role: 'standby', timeline: 1, lastSeenBeforeNs: 0 }),
    event('fault', 1000, { kind: 'kill', node: 'node1', primary: 'node1', standby: 'node2' }),
    event('promotion-observed', 2600, { node: 'node2', timeline: 2 }),
    event('node-state', 2600, { node: 'node2', role: 'primary', timeline: 2, lastSeenBeforeNs: ns(2400) }),
  ];
  const result = check({ history, events, finalRead: { node: 'node2', rows: [{ id: 'a', committed_by: 'node1', committed_timeline: 1 }] }, expectations: { sessionGuarantees: ['read-your-writes'] } });
  const page = renderHtmlReport({ report: reportOf(result), history, events });

  it('marks each read against its session on the timeline, with the node that answered and what it went back on', () => {
    const group = page.match(/<g class="dots session" data-outcome="session" data-count="(\d+)">(.*?)<\/g>/)!;
    expect(group[1]).toBe('2');
    expect(group[2]).toContain('read a invoked at 0.200 s');
    expect(group[2]).toContain('answered by node2: missed a, which session 0 had written (acknowledged at 0.110 s)');
    expect(group[2]).toContain('answered by node3: node3 was on timeline 1; node2 was already primary on 2');
  });

  it('lists them under the anomalies, saying which the app promised, and gives each node its staleness', () => {
    const section = (id: string) => elements(page, 'section').find((e) => e['data-testid'] === id);
    expect(section('anomaly-read-your-writes')?.['data-count']).toBe('1');
    expect(section('anomaly-deposed-reads')?.['data-count']).toBe('1');
    expect(section('anomaly-monotonic-reads')?.['data-count']).toBe('0');
    expect(page).toContain('The app promises this: a FAIL.');
    expect(page).toContain('The app does not promise this: reported, not a FAIL.');
    expect(elements(page, 'tr').filter((r) => r['data-node']).map((r) => r['data-node'])).toEqual(['node2', 'node3']);
    // node3 never received timeline 2 here: it answered the one read after the promotion on 1.
    expect(page).toContain('node3 never received the new timeline while the drill looked; it answered 1 reads meanwhile');
    expect(result.verdict).toBe('FAIL');
  });
});
