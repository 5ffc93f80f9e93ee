import { describe, expect, it } from 'vitest';
import { check } from '../checker/checker.ts';
import { aggregate, REPORT_SCHEMA, type DrillReport } from './report.ts';
import { printable, renderAggregate, renderSummary } from './summary.ts';

function report(scenario: string): DrillReport {
  const result = check({ history: [], events: [], finalRead: null, expectations: { maxLost: 0, replication: 'sync', promotion: true, finalPrimary: 'standby' } });
  return {
    schema: REPORT_SCHEMA,
    runId: 'r',
    scenario,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:10.000Z',
    seed: 1,
    cluster: { name: 'c', replication: 'sync', timing: {}, tls: false, app: 'aware', reused: false, images: null },
    workload: { concurrency: 4, readFraction: 0.3, pauseMs: 20, operations: 0 },
    result,
  };
}
const MB = 1024 * 1024;

describe('a soak across scenarios', () => {
  it("names each iteration's scenario and reports flipdrill's own memory and handles, first to last", () => {
    const agg = aggregate(
      'kill-primary-failback,switchover',
      [report('kill-primary-failback'), report('switchover'), report('kill-primary-failback')].map((r, i) => ({ report: r, dir: `d${i}` })),
      [
        { rssBytes: 100 * MB, heapUsedBytes: 40 * MB, activeResources: 12 },
        { rssBytes: 130 * MB, heapUsedBytes: 42 * MB, activeResources: 12 },
        { rssBytes: 110 * MB, heapUsedBytes: 41 * MB, activeResources: 13 },
      ],
    );
    expect(agg.iterations.map((i) => i.scenario)).toEqual(['kill-primary-failback', 'switchover', 'kill-primary-failback']);
    const text = renderAggregate(agg, 'runs/x');
    expect(text).toContain('FAIL  switchover: fault on ?');
    expect(text).toContain('flipdrill itself RSS 100.0 MB after the first iteration, 110.0 MB after the last (max 130.0 MB); heap 40.0 MB -> 41.0 MB; active handles 12 -> 13');
  });
});

describe('the summary of several faults', () => {
  const withFaults = (faults: NonNullable<DrillReport['result']['faults']>) => ({ ...report('random-13').result, faults });
  it('says whether each was healed before the next, or how many were still on when the next came', () => {
    const apart = renderSummary(withFaults([{ kind: 'kill', node: 'node1', atMs: 1000, healedAtMs: 5000 }, { kind: 'latency', node: 'node2', atMs: 9000, healedAtMs: 12000 }]), 'runs/r');
    expect(apart).toContain('  faults           2, each healed before the next');
    const nested = renderSummary(withFaults([{ kind: 'latency', node: 'node1', atMs: 1000, healedAtMs: 20000 }, { kind: 'kill', node: 'node1', atMs: 5000, healedAtMs: 15000 }]), 'runs/r');
    expect(nested).toContain('  faults           2, 1 of them still on when the next came');
    expect(nested).toContain('latency on node1 at 1.00 s, healed at 20.00 s');
  });
});

describe('printable', () => {
  it('removes the bidirectional controls (U+202E and its kin), which reorder what a terminal shows', () => {
    const bidi = '\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c';
    expect(printable(`kill-primary${bidi}gpj.exe`)).toBe('kill-primarygpj.exe');
    expect(printable('naïve — 東京\tok\n')).toBe('naïve — 東京\tok\n');
  });
});
