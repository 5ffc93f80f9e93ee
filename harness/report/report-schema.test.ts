import { describe, expect, it } from 'vitest';
import { check } from '../checker/checker.ts';
import { REPORT_SCHEMA, type DrillReport } from './report.ts';
import { reportSchemaErrors } from '../test-support/report-files.ts';

const ms = (n: number) => n * 1e6;

function report(): DrillReport {
  const result = check({
    history: [
      { process: 0, type: 'invoke', f: 'write', value: { id: 'a', name: 'r/a' }, time: ms(1) },
      { process: 0, type: 'ok', f: 'write', value: { id: 'a', name: 'r/a', committed_by: 'node1', committed_timeline: 1, committed_at: '2026-01-01T00:00:00Z' }, time: ms(2) },
    ],
    events: [{ type: 'fault', kind: 'kill', node: 'node1', wall: 0, time: ms(3) }],
    finalRead: { node: 'node1', synchronousStandbyNames: '*', rows: [{ id: 'a', committed_by: 'node1', committed_timeline: 1, committed_at_us: 1 }] },
    expectations: { maxLost: 0, replication: 'sync', promotion: false, finalPrimary: 'primary' },
  });
  return {
    schema: REPORT_SCHEMA,
    runId: 'r',
    scenario: 'kill-primary',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:09.000Z',
    seed: 7,
    cluster: { name: 'flipdrill', replication: 'sync', timing: { monitorIntervalSecs: 1, reconnectAttempts: 2, reconnectInterval: 1 }, tls: false, app: 'aware', reused: false, images: null },
    workload: { concurrency: 4, readFraction: 0.3, pauseMs: 20, operations: 1 },
    result,
  };
}

describe('docs/report.schema.json', () => {
  it('accepts what the drill writes', () => {
    expect(reportSchemaErrors(report())).toEqual([]);
  });

  it("accepts a run's session findings, and refuses one that is not", () => {
    const r = report();
    r.result.expectations.sessionGuarantees = ['read-your-writes'];
    r.result.sessions = {
      recorded: true,
      sessions: 2,
      promised: ['read-your-writes'],
      readYourWrites: [{ id: 'a', session: 0, process: 4, readAtMs: 20, answeredAtMs: 21, servedBy: 'node2', earlier: 'acknowledged', earlierAtMs: 2 }],
      monotonicReads: [],
      deposedReads: [{ id: 'a', process: 1, readAtMs: 30, answeredAtMs: 31, servedBy: 'node3', role: 'standby', timeline: 1, newPrimary: 'node2', newTimeline: 2, found: true }],
      staleness: [{ node: 'node2', normal: { reads: 3, misses: 1, medianMs: 19, p95Ms: 19, worstMs: 19 }, failover: { reads: 0, misses: 0, medianMs: null, p95Ms: null, worstMs: null } }],
      refollow: [{ node: 'node3', refollowMs: null, readsMeanwhile: 1 }],
    };
    expect(reportSchemaErrors(r)).toEqual([]);
    (r.result.sessions.readYourWrites[0] as { earlier: string }).earlier = 'guessed';
    expect(reportSchemaErrors(r)).toContain('/result/sessions/readYourWrites/0/earlier must be equal to one of the allowed values');
  });

  it('refuses a report that breaks it, saying where', () => {
    const broken = report() as unknown as { result: { verdict: string; counts: { write: { ok: number } } }; seed: unknown };
    broken.result.verdict = 'MAYBE';
    broken.result.counts.write.ok = -1;
    delete broken.seed;
    const errors = reportSchemaErrors(broken);
    expect(errors).toContain('/result/verdict must be equal to one of the allowed values');
    expect(errors).toContain('/result/counts/write/ok must be >= 0');
    expect(errors).toContain("/ must have required property 'seed'");
  });
});
