/**
 * What a drill reports, apart from how it runs: the report's and the aggregate's types and
 * schemas, the phases and live counts the progress line shows, and the aggregate of a --repeat.
 * Readers of reports (HTML, JUnit, summary, check) import these from here, not from the runner.
 */
import type { CheckResult } from '../checker/types.ts';

export const REPORT_SCHEMA = 'flipdrill.report/v1';

/** The phases a drill goes through, in order (a step may begin one). */
export type DrillPhase = 'images' | 'cluster' | 'warm-up' | 'fault' | 'promotion' | 'heal' | 'settle' | 'final-read' | 'check';

export interface LiveCounts {
  write: { ok: number; fail: number; info: number };
  read: { ok: number; fail: number; info: number };
}
export const AGGREGATE_SCHEMA = 'flipdrill.aggregate/v1';

export interface DrillReport {
  schema: typeof REPORT_SCHEMA;
  runId: string;
  scenario: string;
  startedAt: string;
  finishedAt: string;
  seed: number;
  cluster: { name: string; replication: string; timing: unknown; tls: boolean; app: string; reused: boolean; images: unknown };
  /** The workload (`name`: set or bank; older reports have none, and were set) and its shape. */
  workload: { name?: string; concurrency: number; readFraction: number; pauseMs: number; operations: number };
  result: CheckResult;
}

export interface Aggregate {
  schema: typeof AGGREGATE_SCHEMA;
  scenario: string;
  iterations: {
    iteration: number;
    scenario: string;
    resources?: IterationResources;
    verdict: 'PASS' | 'FAIL';
    faultNode: string | null;
    newPrimary: string | null;
    writeDownMs: number | null;
    lost: number;
    dir: string;
  }[];
  passed: number;
  writeDownMs: { median: number | null; worst: number | null };
  totalLost: number;
  verdict: 'PASS' | 'FAIL';
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** flipdrill's own footprint after an iteration: a leak shows as growth across a soak. */
export interface IterationResources {
  rssBytes: number;
  heapUsedBytes: number;
  /** Handles and requests keeping the event loop alive (sockets, timers, child processes). */
  activeResources: number;
}

export function aggregate(scenario: string, reports: { report: DrillReport; dir: string }[], resources: IterationResources[] = []): Aggregate {
  const iterations = reports.map(({ report, dir }, i) => ({
    iteration: i + 1,
    scenario: report.scenario,
    ...(resources[i] ? { resources: resources[i] } : {}),
    verdict: report.result.verdict,
    faultNode: report.result.fault?.node ?? null,
    newPrimary: report.result.promotion?.node ?? null,
    // The same measure as the scenario's budget: the client window or the longest gap, whichever is longer.
    writeDownMs: report.result.writeUnavailability ? Math.max(report.result.writeUnavailability.ms, report.result.longestWriteGap?.ms ?? 0) : null,
    lost: report.result.lost.length,
    dir,
  }));
  const windows = iterations.map((i) => i.writeDownMs).filter((w): w is number => w !== null);
  const passed = iterations.filter((i) => i.verdict === 'PASS').length;
  return {
    schema: AGGREGATE_SCHEMA,
    scenario,
    iterations,
    passed,
    writeDownMs: { median: median(windows), worst: windows.length ? Math.max(...windows) : null },
    totalLost: iterations.reduce((n, i) => n + i.lost, 0),
    verdict: passed === iterations.length ? 'PASS' : 'FAIL',
  };
}
