/**
 * `flipdrill compare`: the same scenario against the tutorial's Sequelize setup (naive), or your
 * own Sequelize config (config, with --sequelize-config), and the failover-aware one (aware), each
 * on a fresh cluster, side by side. What the naive setup gets
 * wrong shows up as numbers: a longer window, writes that never resume, errors by kind.
 */
import { attachCluster, ConfigError, connectDocker, createLogger, type AppProfile } from '../cluster/index.ts';
import type { CheckResult } from './checker/types.ts';
import { runDrill, type DrillOptions } from './drill.ts';
import type { DrillReport } from './report/report.ts';
import { shownPath } from './report/run-folder.ts';

export const COMPARISON_SCHEMA = 'flipdrill.comparison/v1';

export interface ComparisonColumn {
  /** naive, config or aware: flipdrill's app on that setup; client: your client module (--client). */
  profile: AppProfile | 'client';
  runDir: string;
  verdict: 'PASS' | 'FAIL';
  /** The scenario's measure: the longer of the client window and the longest gap; null when writes never resumed. */
  writeDownMs: number | null;
  /** Writes were acknowledged by the primary after the fault, without anyone restarting the app. */
  recovered: boolean;
  writes: { ok: number; fail: number; info: number };
  reads: { ok: number; fail: number };
  lost: number;
  /** Reads against their session, and from a replaced timeline (absent from comparisons written before sessions). */
  sessions?: { readYourWrites: number; monotonicReads: number; deposedReads: number };
  errors: Record<string, number>;
  failedChecks: string[];
}

export interface Comparison {
  schema: typeof COMPARISON_SCHEMA;
  scenario: string;
  columns: ComparisonColumn[];
}

function column(profile: ComparisonColumn['profile'], runDir: string, r: CheckResult): ComparisonColumn {
  const errors: Record<string, number> = {};
  for (const counts of [r.counts.write, r.counts.read]) for (const [code, n] of Object.entries(counts.errors)) errors[code] = (errors[code] ?? 0) + n;
  return {
    profile,
    runDir,
    verdict: r.verdict,
    writeDownMs: r.writeUnavailability ? Math.max(r.writeUnavailability.ms, r.longestWriteGap?.ms ?? 0) : null,
    recovered: r.writesAfterFault.onNewPrimary > 0,
    writes: { ok: r.counts.write.ok, fail: r.counts.write.fail, info: r.counts.write.info + r.counts.write.open },
    reads: { ok: r.counts.read.ok, fail: r.counts.read.fail },
    lost: r.lost.length,
    ...(r.sessions ? { sessions: { readYourWrites: r.sessions.readYourWrites.length, monotonicReads: r.sessions.monotonicReads.length, deposedReads: r.sessions.deposedReads.length } } : {}),
    errors,
    failedChecks: r.checks.filter((c) => !c.ok).map((c) => c.name),
  };
}

/**
 * Run the scenario once per profile, naive first. Each run brings up its own cluster, so both
 * start from the same state; a cluster already running under that name is refused rather than
 * reused, since a drill would leave it changed for the second run.
 */
export async function runComparison(options: DrillOptions & { profiles?: readonly ComparisonColumn['profile'][] }): Promise<Comparison> {
  const name = options.cluster?.name ?? 'flipdrill';
  const logger = createLogger();
  const running = await attachCluster(await connectDocker({ logger, onStep: options.onStep }), logger, name);
  if (running) {
    throw new ConfigError(`compare brings up a fresh cluster for each profile, and a cluster named "${name}" is running`, {
      hint: 'remove it (npm run flipdrill -- down) or give compare another --name, ports and subnets',
    });
  }
  const columns: ComparisonColumn[] = [];
  let scenario = '';
  // Your client module beside the aware app; else the tutorial's setup (or your config) beside it.
  const profiles = options.profiles ?? (options.cluster?.client ? (['client', 'aware'] as const) : (['naive', 'aware'] as const));
  for (const profile of profiles) {
    options.onStep?.(profile === 'client' ? `--- your client module ${options.cluster?.client} ---` : `--- the ${profile} app ---`);
    let runDir = '';
    const { client: _client, ...appCluster } = options.cluster ?? {};
    const { report }: { report: DrillReport } = await runDrill({
      ...options,
      keep: false,
      cluster: profile === 'client' ? { ...options.cluster } : { ...appCluster, appProfile: profile },
      onRunFolder: (run) => {
        runDir = run.dir;
        options.onRunFolder?.(run);
      },
    });
    scenario = report.scenario;
    columns.push(column(profile, runDir, report.result));
  }
  return { schema: COMPARISON_SCHEMA, scenario, columns };
}

const fmt = (ms: number | null) => (ms === null ? 'never resumed' : `${(ms / 1000).toFixed(2)} s`);

export function renderComparison(c: Comparison): string {
  const rows: [string, (col: ComparisonColumn) => string][] = [
    ['verdict', (col) => col.verdict],
    ['writes down', (col) => fmt(col.writeDownMs)],
    ['recovered without a restart', (col) => (col.recovered ? 'yes' : 'NO')],
    ['writes ok / failed / unknown', (col) => `${col.writes.ok} / ${col.writes.fail} / ${col.writes.info}`],
    ['reads ok / failed', (col) => `${col.reads.ok} / ${col.reads.fail}`],
    ['acknowledged writes lost', (col) => String(col.lost)],
    ['reads missing own write / gone back / from a replaced timeline', (col) => (col.sessions ? `${col.sessions.readYourWrites} / ${col.sessions.monotonicReads} / ${col.sessions.deposedReads}` : 'n/a')],
  ];
  const codes = [...new Set(c.columns.flatMap((col) => Object.keys(col.errors)))].sort(
    (a, b) => Math.max(...c.columns.map((col) => col.errors[b] ?? 0)) - Math.max(...c.columns.map((col) => col.errors[a] ?? 0)),
  );
  for (const code of codes.slice(0, 8)) rows.push([`  errors ${code}`, (col) => String(col.errors[code] ?? 0)]);
  if (codes.length > 8) rows.push([`  errors, other kinds`, (col) => String(codes.slice(8).reduce((n, k) => n + (col.errors[k] ?? 0), 0))]);
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const colWidth = Math.max(16, ...c.columns.flatMap((col) => rows.map(([, value]) => value(col).length + 2)));
  const lines = [`flipdrill compare: ${c.scenario}`, `${''.padEnd(width)}${c.columns.map((col) => col.profile.padEnd(colWidth)).join('')}`];
  for (const [label, value] of rows) lines.push(`${label.padEnd(width)}${c.columns.map((col) => value(col).padEnd(colWidth)).join('')}`);
  for (const col of c.columns) {
    if (col.failedChecks.length) lines.push(`${col.profile} failed: ${col.failedChecks.join('; ')}`);
    lines.push(`${col.profile} run folder: ${shownPath(col.runDir)}`);
  }
  return lines.join('\n');
}
