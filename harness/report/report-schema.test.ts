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
