/** One drill of the bench as a row of figures, and the figures of many summarized for a table. */
import path from 'node:path';
import { removeClusters } from '../../cluster/index.ts';
import { runDrill } from '../drill.ts';
import { readHistory } from '../history.ts';
import type { Op } from '../op.ts';
import type { DrillReport } from '../report/report.ts';
import { BASE } from './configurations.ts';
import type { Bench } from './session.ts';
import { seconds, summarize, type Summary } from './stats.ts';

/** The figures of one drill that the tables summarize. */
export interface DrillFigures {
  verdict: string;
  promotionMs: number | null;
  endpointMoveMs: number | null;
  writeDownMs: number | null;
  dbDownMs: number | null;
  /** The fault to the first write the new primary acknowledged (ms): the clients' side of the breakdown. */
  firstWriteMs: number | null;
  /** The last write acknowledged before the fault to the fault (ms): the part of the window before anything failed. */
  lastWriteBeforeMs: number | null;
  /** The fault to the HA manager's own promote event (ms; repmgr's events table), where it logs one. */
  reportedPromotionMs: number | null;
  lost: number;
  run: string;
  /** The drill from its start to its verdict, bring-up and teardown included (ms). */
  wallMs: number;
  /** The same fault seen by a plain psql loop through the endpoint (configs suite): its longest gap (ms). */
  psqlGapMs?: number | null;
  /** Writes acknowledged per second before the fault, from the first invocation to the fault: the workload's throughput. */
  writesPerSec?: number | null;
}

/** Writes acknowledged per second from the history's first invocation to the fault. */
export function writesPerSecBefore(ops: readonly Op[], faultAtMs: number): number | null {
  const first = ops.find((o) => o.type === 'invoke');
  if (!first || faultAtMs * 1e6 <= first.time) return null;
  const acked = ops.filter((o) => o.type === 'ok' && o.f === 'write' && o.time < faultAtMs * 1e6).length;
  return acked / ((faultAtMs * 1e6 - first.time) / 1e9);
}
/** A drill's report as the figures the tables summarize. */
export function figuresOf(report: DrillReport, runDir: string, wallMs: number): DrillFigures {
  const r = report.result;
  return {
    verdict: r.verdict,
    promotionMs: r.promotion?.observedMs ?? null,
    endpointMoveMs: r.endpointMove?.ms ?? null,
    writeDownMs: r.writeUnavailability ? Math.max(r.writeUnavailability.ms, r.longestWriteGap?.ms ?? 0) : null,
    dbDownMs: r.databaseDowntime?.ms ?? null,
    firstWriteMs: r.writeUnavailability && r.fault ? Math.max(0, Math.round(r.writeUnavailability.firstOkAfterMs - r.fault.atMs)) : null,
    lastWriteBeforeMs: r.writeUnavailability && r.fault ? Math.max(0, Math.round(r.fault.atMs - r.writeUnavailability.lastOkBeforeMs)) : null,
    reportedPromotionMs: r.promotion?.reportedMs ?? null,
    lost: r.lost.length,
    run: path.relative(process.cwd(), runDir),
    wallMs,
  };
}
/**
 * One drill for a table: a drill that stops with an error (a bring-up that failed, say) is a row
 * with verdict ERROR and the error's first line, and the bench goes on.
 */
export async function drillRow(bench: Bench, options: Parameters<typeof runDrill>[0]): Promise<{ row: DrillFigures; report?: DrillReport; historyFile?: string }> {
  const { docker, logger, say } = bench;
  const t0 = Date.now();
  try {
    const { report, run } = await runDrill({ ...options, runsDir: bench.outDir });
    const row = figuresOf(report, run.dir, Date.now() - t0);
    row.writesPerSec = report.result.fault ? writesPerSecBefore(readHistory(run.history), report.result.fault.atMs) : null;
    return { row, report, historyFile: run.history };
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!;
    say(`drill stopped with an error: ${message}`);
    await removeClusters(docker, logger, BASE.name).catch(() => {});
    return { row: { verdict: 'ERROR', promotionMs: null, endpointMoveMs: null, writeDownMs: null, dbDownMs: null, firstWriteMs: null, lastWriteBeforeMs: null, reportedPromotionMs: null, lost: 0, run: message, wallMs: Date.now() - t0 } };
  }
}

export const pick = (rows: DrillFigures[], key: 'promotionMs' | 'endpointMoveMs' | 'writeDownMs' | 'dbDownMs' | 'firstWriteMs' | 'lastWriteBeforeMs' | 'reportedPromotionMs' | 'wallMs' | 'psqlGapMs' | 'writesPerSec') => summarize(rows.map((d) => d[key]).filter((v): v is number => v !== null));
export const cells = (s: Summary) => [seconds(s.median), seconds(s.p95), seconds(s.worst)];
