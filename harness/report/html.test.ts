import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { check, type CheckResult, type FinalRead } from '../checker/checker.ts';
import type { DrillReport } from './report.ts';
import type { ClusterEvent, Op } from '../op.ts';
import { LIST_LIMIT, renderHtmlReport, writeHtmlReport } from './html.ts';

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

  it('refuses a folder whose drill has not finished', () => {
    const empty = mkdtempSync(path.join(dir, 'unfinished-'));
    expect(() => writeHtmlReport(empty)).toThrow(/no report\.json/);
  });
});
