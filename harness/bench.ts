/**
 * `npm run bench`: how fast failover really is, what each layer costs; measured, not asserted
 * (machines are shared and noisy; tests check correctness, this measures speed).
 *
 * Suites (--suites, comma-separated; default configs,scale,layers):
 *   configs    kill-primary drills per configuration: the baseline (fast timing, sync replication,
 *              aware app, Docker alias; --baseline-drills, default 20) and one change at a time
 *              (--drills each, default 5): repmgr's default timing, async replication, the naive
 *              app, the virtual IP, the DigitalOcean floating IP through the simulator. Median, p95
 *              and worst of promotion, endpoint move, write unavailability (clients and database
 *              stamps, and a plain psql loop through the same endpoint beside the app, each attempt
 *              cut at 0.5 s), lost writes; bring-up from cached images (--bring-ups, default 3) and
 *              a cold image build (unless --no-cold).
 *   scale      the baseline drill with 1, 16 and 64 concurrent clients (window, throughput before
 *              the fault, flipdrill's memory and the app container's memory), and with 1, 2 and 4
 *              standbys (promotion, window, bring-up).
 *   layers     inserts through the app's Sequelize layer and through raw pg on the same primary,
 *              in alternating rounds (--layer-seconds, --layer-rounds); flipdrill's own overhead
 *              (operations a second it records with the app out of the loop).
 *   scenarios  every built-in scenario --scenarios N times (--only name,name): PASS count, windows,
 *              where the time goes, and each drill's time from start to verdict.
 *   hand-kill  the cluster on its own: no drill, no flipdrill process watching; a plain psql loop in
 *              a container on the application network inserts through pg-primary (each attempt
 *              cut at 0.5 s) while the primary's container is killed by hand (--hand-kills N,
 *              default 3, on one cluster; the killed node is started again between kills). How
 *              long writes stopped, and when pg-primary resolved to the new primary alone. The
 *              cluster comes from the library, or from docker-compose.yml (--hand-kill-cluster
 *              compose: `docker compose up --build` with flipdrill's local base image).
 *
 *   tuning     the detection-tuning study (harness/bench/tuning.ts): per timing profile (--profiles,
 *              default repmgr-defaults,fast,faster), the primary frozen under load for each stall of
 *              --stalls (default 0.5,1,2,3,5 s) --tuning-runs times (default 5), then thawed: did a
 *              standby get promoted, how long did writes stop; and each profile's kill and freeze
 *              windows (--tuning-windows drills each, default 3). Writes tuning.svg beside bench.md.
 *
 * --load-minutes N (default 0: none) measures on a busy machine: the loaded soak's load generator
 * (a CPU spinner a core and an fsync writer) runs for the whole bench, at most N minutes.
 *
 * Writes bench.json and bench.md into runs/bench-<time>/ and prints the Markdown.
 * Uses its own cluster name, ports and subnets, so a cluster you have running is left alone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pgInserts, sequelizeInserts, type LoopResult } from '../app/bench-layers.ts';
import { connectDocker, createLogger, describeError, FlipdrillError, ImageBuilder, removeClusters, startCluster, TIMING_PROFILES, type ClusterOptions } from '../cluster/index.ts';
import { harnessOverhead } from './bench/harness-overhead.ts';
import { handKillRounds } from './bench/hand-kill.ts';
import { psqlView } from './bench/psql-view.ts';
import { startLoad, stopOnSignals, type Load } from './bench/load.ts';
import { markdownTable, seconds, summarize, type Summary } from './bench/stats.ts';
import { DEFAULT_STALLS_SECS, fastestRidingOut, stallPlot, stallScenario, stallTable, windowTable, type StallRun, type TuningProfile, type WindowRun } from './bench/tuning.ts';
import { runDrill } from './drill.ts';
import type { DrillReport } from './report/report.ts';
import { readHistory } from './history.ts';
import { builtInScenarios, resolveScenario, type Scenario } from './scenario.ts';

const fail = (message: string): never => {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
};
// A known failure (no compose tool, a port taken, a cluster in the way) in one line with its hint;
// anything else with its stack, which is what a bug report needs.
process.on('uncaughtException', (error) => {
  process.stderr.write(`bench: ${error instanceof FlipdrillError ? describeError(error) : (error.stack ?? String(error))}\n`);
  process.exit(1);
});

const { values } = parseArgs({
  options: {
    suites: { type: 'string', default: 'configs,scale,layers' },
    configs: { type: 'string' },
    drills: { type: 'string', default: '5' },
    'baseline-drills': { type: 'string', default: '20' },
    'bring-ups': { type: 'string', default: '3' },
    'no-cold': { type: 'boolean', default: false },
    scenarios: { type: 'string', default: '1' },
    only: { type: 'string' },
    'layer-seconds': { type: 'string', default: '5' },
    'layer-rounds': { type: 'string', default: '3' },
    'hand-kills': { type: 'string', default: '3' },
    'hand-kill-cluster': { type: 'string', default: 'library' },
    'load-minutes': { type: 'string', default: '0' },
    profiles: { type: 'string', default: 'repmgr-defaults,fast,faster' },
    stalls: { type: 'string', default: DEFAULT_STALLS_SECS.join(',') },
    'tuning-runs': { type: 'string', default: '5' },
    'tuning-windows': { type: 'string', default: '3' },
  },
  strict: true,
});

const int = (name: string, raw: string, min: number, max: number): number => {
  const n = Number(raw);
  return Number.isInteger(n) && n >= min && n <= max ? n : fail(`--${name} must be a whole number from ${min} to ${max}, not "${raw}"`);
};
const SUITES = ['configs', 'scale', 'layers', 'scenarios', 'hand-kill', 'tuning'] as const;
const suites = values.suites.split(',').map((s) => s.trim());
for (const s of suites) if (!SUITES.includes(s as (typeof SUITES)[number])) fail(`--suites takes ${SUITES.join(', ')}, not "${s}"`);
const drills = int('drills', values.drills, 1, 50);
const baselineDrills = int('baseline-drills', values['baseline-drills'], 1, 100);
const bringUps = int('bring-ups', values['bring-ups'], 1, 20);
const scenarioRuns = int('scenarios', values.scenarios, 1, 20);
const layerSeconds = int('layer-seconds', values['layer-seconds'], 1, 60);
const layerRounds = int('layer-rounds', values['layer-rounds'], 1, 10);
const handKills = int('hand-kills', values['hand-kills'], 1, 20);
const loadMinutes = int('load-minutes', values['load-minutes'], 0, 240);
const tuningRuns = int('tuning-runs', values['tuning-runs'], 1, 20);
const tuningWindows = int('tuning-windows', values['tuning-windows'], 0, 20);
/** The profiles the study compares: the two the product has, and one faster candidate (one reconnect attempt). */
const STUDY_PROFILES: TuningProfile[] = [
  { name: 'repmgr-defaults', timing: TIMING_PROFILES['repmgr-defaults'] },
  { name: 'fast', timing: TIMING_PROFILES.fast },
  { name: 'faster', timing: { monitorIntervalSecs: 1, reconnectAttempts: 1, reconnectInterval: 0 } },
];
const tuningProfiles = values.profiles.split(',').map((n) => STUDY_PROFILES.find((p) => p.name === n.trim()) ?? fail(`--profiles takes ${STUDY_PROFILES.map((p) => p.name).join(', ')}, not "${n}"`));
const stalls = values.stalls.split(',').map((raw) => {
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0.1 && n <= 60 ? n : fail(`--stalls takes seconds from 0.1 to 60, not "${raw}"`);
});
const handKillCluster = values['hand-kill-cluster'] === 'library' || values['hand-kill-cluster'] === 'compose' ? values['hand-kill-cluster'] : fail(`--hand-kill-cluster takes library or compose, not "${values['hand-kill-cluster']}"`);

const BASE: ClusterOptions = { name: 'flipdrill-bench', portBase: 23432, appPort: 23480, backSubnet: '10.213.51.0/24', frontSubnet: '10.213.52.0/24' };
const killPrimary = resolveScenario('kill-primary');

interface Config {
  name: string;
  label: string;
  cluster: ClusterOptions;
  scenario: Scenario;
  drills: number;
}
/** repmgr's default timing waits about a minute before it elects: give the drill room to see it. */
const patient: Scenario = { ...killPrimary, hold: { ...killPrimary.hold, maxSecs: 180 }, expect: { ...killPrimary.expect, maxWriteDownSecs: 240 } };
const CONFIGS: Config[] = [
  { name: 'baseline', label: 'fast, sync, aware, Docker alias', cluster: {}, scenario: killPrimary, drills: baselineDrills },
  { name: 'timing-repmgr-defaults', label: "repmgr's default timing", cluster: { timing: 'repmgr-defaults' }, scenario: patient, drills },
  { name: 'async', label: 'async replication', cluster: { replication: 'async' }, scenario: killPrimary, drills },
  { name: 'naive', label: "the tutorial's Sequelize config", cluster: { appProfile: 'naive' }, scenario: killPrimary, drills },
  { name: 'virtual-ip', label: 'virtual IP', cluster: { endpoint: 'virtual-ip' }, scenario: killPrimary, drills },
  { name: 'do-simulator', label: 'DigitalOcean floating IP (simulator)', cluster: { endpoint: 'do-simulator' }, scenario: killPrimary, drills },
];
const chosen = values.configs?.split(',').map((s) => s.trim());
for (const c of chosen ?? []) if (!CONFIGS.some((k) => k.name === c)) fail(`--configs takes ${CONFIGS.map((k) => k.name).join(', ')}, not "${c}"`);
const knownScenarios = builtInScenarios();
const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
for (const name of only ?? []) if (!knownScenarios.some((s) => s.name === name)) fail(`--only names an unknown scenario: ${name}`);

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const outDir = path.resolve('runs', `bench-${stamp}`);
mkdirSync(outDir, { recursive: true });
const logger = createLogger({ file: path.join(outDir, 'bench.log'), level: 'info' });
const say = (line: string) => process.stderr.write(`bench: ${line}\n`);
const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
const results: Record<string, unknown> = { command, at: new Date().toISOString(), machine: { cpus: (await import('node:os')).cpus().length, node: process.version } };
const markdown: string[] = [`Command: \`${command}\``, ''];

const docker = await connectDocker({ logger, onStep: say });
await removeClusters(docker, logger, BASE.name);
const builder = new ImageBuilder({ docker, logger, onStep: say });

// On a busy machine, if asked: the loaded soak's load generator for the whole bench (at most
// --load-minutes), started once the images are there, so a cold build is not what it slows.
let load: Load | undefined;
if (loadMinutes > 0) {
  await builder.ensureAll();
  load = startLoad(loadMinutes * 60_000);
  stopOnSignals(load);
  process.on('exit', () => load?.stop());
  results.load = { minutes: loadMinutes, what: 'one CPU spinner a core and a writer fsyncing 256 MB at a time (harness/bench/load.ts)' };
  markdown.push(`Under load: one CPU spinner a core and a writer fsyncing 256 MB at a time, for at most ${loadMinutes} min (harness/bench/load.ts).`, '');
  say(`load started for at most ${loadMinutes} min`);
}

/** The figures of one drill that the tables summarize. */
interface DrillFigures {
  verdict: string;
  promotionMs: number | null;
  endpointMoveMs: number | null;
  writeDownMs: number | null;
  dbDownMs: number | null;
  /** The fault to the first write the new primary acknowledged (ms): the clients' side of the breakdown. */
  firstWriteMs: number | null;
  lost: number;
  run: string;
  /** The drill from its start to its verdict, bring-up and teardown included (ms). */
  wallMs: number;
  /** The same fault seen by a plain psql loop through the endpoint (configs suite): its longest gap (ms). */
  psqlGapMs?: number | null;
}
function figures(report: DrillReport, runDir: string, wallMs: number): DrillFigures {
  const r = report.result;
  return {
    verdict: r.verdict,
    promotionMs: r.promotion?.observedMs ?? null,
    endpointMoveMs: r.endpointMove?.ms ?? null,
    writeDownMs: r.writeUnavailability ? Math.max(r.writeUnavailability.ms, r.longestWriteGap?.ms ?? 0) : null,
    dbDownMs: r.databaseDowntime?.ms ?? null,
    firstWriteMs: r.writeUnavailability && r.fault ? Math.max(0, Math.round(r.writeUnavailability.firstOkAfterMs - r.fault.atMs)) : null,
    lost: r.lost.length,
    run: path.relative(process.cwd(), runDir),
    wallMs,
  };
}
/**
 * One drill for a table: a drill that stops with an error (a bring-up that failed, say) is a row
 * with verdict ERROR and the error's first line, and the bench goes on.
 */
async function drillRow(options: Parameters<typeof runDrill>[0]): Promise<{ row: DrillFigures; report?: DrillReport; historyFile?: string }> {
  const t0 = Date.now();
  try {
    const { report, run } = await runDrill({ ...options, runsDir: outDir });
    return { row: figures(report, run.dir, Date.now() - t0), report, historyFile: run.history };
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!;
    say(`drill stopped with an error: ${message}`);
    await removeClusters(docker, logger, BASE.name).catch(() => {});
    return { row: { verdict: 'ERROR', promotionMs: null, endpointMoveMs: null, writeDownMs: null, dbDownMs: null, firstWriteMs: null, lost: 0, run: message, wallMs: Date.now() - t0 } };
  }
}

/** What is measured so far, on disk after every suite: a bench stopped halfway keeps its figures. */
function save(): void {
  writeFileSync(path.join(outDir, 'bench.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(outDir, 'bench.md'), `${[...markdown, `Details: ${path.relative(process.cwd(), outDir)}/bench.json`].join('\n')}\n`);
}

const pick = (rows: DrillFigures[], key: 'promotionMs' | 'endpointMoveMs' | 'writeDownMs' | 'dbDownMs' | 'firstWriteMs' | 'wallMs' | 'psqlGapMs') => summarize(rows.map((d) => d[key]).filter((v): v is number => v !== null));
const cells = (s: Summary) => [seconds(s.median), seconds(s.p95), seconds(s.worst)];

if (suites.includes('configs')) {
  if (!values['no-cold']) {
    const current = await builder.ensureAll();
    for (const tag of [current.app, current.node, current.base]) await docker.removeImage(tag);
    const t0 = Date.now();
    await builder.ensureAll();
    results.coldImageBuildMs = Date.now() - t0;
    say(`cold image build: ${seconds(Date.now() - t0)}`);
  }
  const images = await builder.ensureAll();
  const upTimes: number[] = [];
  for (let i = 0; i < bringUps; i++) {
    const t0 = Date.now();
    const cluster = await startCluster(BASE, { docker, images, logger });
    upTimes.push(Date.now() - t0);
    await cluster.stop();
    say(`bring-up ${i + 1}/${bringUps}: ${seconds(upTimes.at(-1)!)}`);
  }
  const up = summarize(upTimes);
  results.bringUpMs = { ...up, samples: upTimes };

  const perConfig: Record<string, unknown> = {};
  const rows: string[][] = [];
  for (const config of CONFIGS.filter((c) => !chosen || chosen.includes(c.name))) {
    const drillRows: DrillFigures[] = [];
    for (let i = 0; i < config.drills; i++) {
      // Beside the app, a plain psql loop through the same endpoint; the drill keeps its cluster
      // until the loop is read.
      const view = psqlView({ docker, logger, cluster: BASE.name!, say });
      const { row } = await drillRow({ cluster: { ...BASE, ...config.cluster }, scenario: config.scenario, keep: true, onStep: view.onStep });
      row.psqlGapMs = await view.writeGapMs().catch(() => null);
      await removeClusters(docker, logger, BASE.name);
      drillRows.push(row);
      const d = row;
      say(`${config.name} ${i + 1}/${config.drills}: ${d.verdict}, promotion ${d.promotionMs} ms, endpoint ${d.endpointMoveMs} ms, writes down ${d.writeDownMs} ms (psql ${d.psqlGapMs} ms), lost ${d.lost}`);
    }
    const summary = {
      label: config.label,
      passed: drillRows.filter((d) => d.verdict === 'PASS').length,
      of: drillRows.length,
      promotionMs: pick(drillRows, 'promotionMs'),
      endpointMoveMs: pick(drillRows, 'endpointMoveMs'),
      writeDownMs: pick(drillRows, 'writeDownMs'),
      databaseDowntimeMs: pick(drillRows, 'dbDownMs'),
      psqlGapMs: pick(drillRows, 'psqlGapMs'),
      lost: drillRows.reduce((n, d) => n + d.lost, 0),
      samples: drillRows,
    };
    perConfig[config.name] = summary;
    rows.push([
      `${config.name} (${config.label})`,
      `${summary.passed}/${summary.of}`,
      ...cells(summary.promotionMs),
      ...cells(summary.endpointMoveMs),
      ...cells(summary.writeDownMs),
      ...cells(summary.databaseDowntimeMs),
      ...cells(summary.psqlGapMs),
      String(summary.lost),
    ]);
  }
  results.configs = perConfig;
  markdown.push(
    '### Failover by configuration (kill-primary; medians, p95 and worst in seconds)',
    '',
    markdownTable(
      ['configuration', 'PASS', 'promotion', 'p95', 'worst', 'endpoint move', 'p95', 'worst', 'writes down (clients)', 'p95', 'worst', 'writes down (database)', 'p95', 'worst', 'writes down (a psql loop)', 'p95', 'worst', 'lost'],
      rows,
    ),
    '',
    markdownTable(['bring-up from cached images', 'median', 'p95', 'worst', 'samples'], [['cluster + app, until the app writes through the endpoint', ...cells(up), String(up.n)]]),
    ...(results.coldImageBuildMs ? ['', `Cold image build (base, node, app): ${seconds(Number(results.coldImageBuildMs))}.`] : []),
    '',
  );
}

save();
if (suites.includes('scale')) {
  const rows: string[][] = [];
  const perClients: Record<string, unknown> = {};
  for (const clients of [1, 16, 64]) {
    const scenario: Scenario = { ...killPrimary, workload: { ...killPrimary.workload, concurrency: clients } };
    const drillRows: DrillFigures[] = [];
    const throughputs: number[] = [];
    const ownRss: number[] = [];
    const appMemory: number[] = [];
    for (let i = 0; i < drills; i++) {
      let sampling: Promise<void> | undefined;
      const { row, report, historyFile } = await drillRow({
        cluster: BASE,
        scenario,
        // The app container's memory while it is still loaded, just before the final read.
        onStep: (_step, phase) => {
          if (phase === 'final-read') sampling = docker.memoryUsage(`${BASE.name}-app`).then((bytes) => void (bytes && appMemory.push(bytes))).catch(() => {});
        },
      });
      await sampling;
      ownRss.push(process.memoryUsage().rss);
      drillRows.push(row);
      // Throughput before the fault: acknowledged operations a second during the warm-up.
      const faultNs = (report?.result.fault?.atMs ?? 0) * 1e6;
      if (historyFile && faultNs > 0) throughputs.push(readHistory(historyFile).filter((op) => op.type === 'ok' && op.time < faultNs).length / (faultNs / 1e9));
      say(`${clients} clients ${i + 1}/${drills}: ${row.verdict}, writes down ${row.writeDownMs} ms, ${Math.round(throughputs.at(-1) ?? 0)} ops/s before the fault`);
    }
    const window = pick(drillRows, 'writeDownMs');
    const throughput = summarize(throughputs);
    const mb = (xs: number[]) => (xs.length ? `${(Math.max(...xs) / 1024 / 1024).toFixed(0)} MB` : 'n/a');
    perClients[clients] = { window, throughput, ownRssBytes: ownRss, appMemoryBytes: appMemory, passed: drillRows.filter((d) => d.verdict === 'PASS').length, of: drillRows.length, lost: drillRows.reduce((n, d) => n + d.lost, 0), samples: drillRows };
    rows.push([String(clients), `${drillRows.filter((d) => d.verdict === 'PASS').length}/${drillRows.length}`, ...cells(window), `${Math.round(throughput.median ?? 0)}`, mb(ownRss), mb(appMemory), String(drillRows.reduce((n, d) => n + d.lost, 0))]);
  }
  const standbyRows: string[][] = [];
  const perStandbys: Record<string, unknown> = {};
  for (const standbys of [1, 2, 4]) {
    const drillRows: DrillFigures[] = [];
    const upTimes: number[] = [];
    for (let i = 0; i < drills; i++) {
      let clusterStarted = 0;
      const t0 = Date.now();
      const { row, report } = await drillRow({
        cluster: { ...BASE, standbys },
        scenario: killPrimary,
        onStep: (_step, phase) => {
          if (phase === 'warm-up' && !clusterStarted) clusterStarted = Date.now();
        },
      });
      if (clusterStarted) upTimes.push(clusterStarted - t0);
      drillRows.push(row);
      say(`${standbys} standbys ${i + 1}/${drills}: ${row.verdict}, promoted ${report?.result.promotion?.node ?? '-'}, writes down ${row.writeDownMs} ms`);
    }
    const window = pick(drillRows, 'writeDownMs');
    const promotion = pick(drillRows, 'promotionMs');
    const up = summarize(upTimes);
    perStandbys[standbys] = { window, promotion, bringUpMs: up, passed: drillRows.filter((d) => d.verdict === 'PASS').length, of: drillRows.length, lost: drillRows.reduce((n, d) => n + d.lost, 0), samples: drillRows };
    standbyRows.push([String(standbys), `${drillRows.filter((d) => d.verdict === 'PASS').length}/${drillRows.length}`, ...cells(promotion), ...cells(window), seconds(up.median), String(drillRows.reduce((n, d) => n + d.lost, 0))]);
  }
  results.scale = { clients: perClients, standbys: perStandbys };
  markdown.push(
    '### Scale: concurrent clients (kill-primary, baseline configuration)',
    '',
    markdownTable(['clients', 'PASS', 'writes down median', 'p95', 'worst', 'ops/s before the fault (median)', "flipdrill's RSS (max)", "app container's memory (max)", 'lost'], rows),
    '',
    '### Scale: standbys (kill-primary, baseline configuration, 4 clients)',
    '',
    markdownTable(['standbys', 'PASS', 'promotion median', 'p95', 'worst', 'writes down median', 'p95', 'worst', 'bring-up (drill start to warm-up)', 'lost'], standbyRows),
    '',
  );
}

save();
if (suites.includes('layers')) {
  const images = await builder.ensureAll();
  const cluster = await startCluster(BASE, { docker, images, logger });
  try {
    const { app } = cluster.credentials;
    const conn = { host: '127.0.0.1', port: cluster.node('node1').hostPort, user: app.user, password: app.password, database: app.database };
    const rounds: LoopResult[] = [];
    // Alternating rounds, so drift on a shared machine hits both layers alike.
    for (let i = 0; i < layerRounds; i++) {
      for (const run of [sequelizeInserts, pgInserts]) {
        const result = await run(conn, layerSeconds * 1000, 4);
        rounds.push(result);
        say(`layers round ${i + 1}: ${result.layer} ${Math.round(result.perSecond)} inserts/s`);
      }
    }
    const of = (layer: LoopResult['layer']) => {
      const rs = rounds.filter((r) => r.layer === layer);
      return { perSecond: summarize(rs.map((r) => r.perSecond)), latencyMs: summarize(rs.flatMap((r) => r.latenciesMs)), errors: rs.reduce((n, r) => n + r.errors, 0) };
    };
    const sequelize = of('sequelize');
    const raw = of('pg');
    const overhead = await harnessOverhead(3000, 4);
    results.layers = { concurrency: 4, seconds: layerSeconds, rounds: layerRounds, sequelize, pg: raw, ratio: (sequelize.perSecond.median ?? 0) / (raw.perSecond.median ?? 1), harness: overhead };
    const ms = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(2)} ms`);
    markdown.push(
      `### Cost of each layer (inserts into countries on the primary, 4 concurrent, ${layerRounds} alternating rounds of ${layerSeconds} s)`,
      '',
      markdownTable(
        ['layer', 'inserts/s (median round)', 'latency median', 'p95', 'errors'],
        [
          ['app data layer (Sequelize, aware profile)', `${Math.round(sequelize.perSecond.median ?? 0)}`, ms(sequelize.latencyMs.median), ms(sequelize.latencyMs.p95), String(sequelize.errors)],
          ['raw pg', `${Math.round(raw.perSecond.median ?? 0)}`, ms(raw.latencyMs.median), ms(raw.latencyMs.p95), String(raw.errors)],
        ],
      ),
      '',
      `Sequelize / raw pg throughput: ${((sequelize.perSecond.median ?? 0) / (raw.perSecond.median ?? 1)).toFixed(2)}. flipdrill's own overhead: ${Math.round(overhead.perSecond)} operations a second issued, completed and recorded with the app out of the loop (4 workers, 3 s).`,
      '',
    );
  } finally {
    await cluster.stop();
  }
}

save();
if (suites.includes('scenarios')) {
  const rows: string[][] = [];
  const phases: string[][] = [];
  const perScenario: Record<string, unknown> = {};
  for (const scenario of only ? knownScenarios.filter((s) => only.includes(s.name)) : knownScenarios) {
    const drillRows: DrillFigures[] = [];
    for (let i = 0; i < scenarioRuns; i++) {
      const { row } = await drillRow({ cluster: BASE, scenario });
      drillRows.push(row);
      say(`${scenario.name} ${i + 1}/${scenarioRuns}: ${row.verdict}, writes down ${row.writeDownMs} ms`);
    }
    const passing = drillRows.filter((d) => d.verdict === 'PASS');
    const window = pick(passing, 'writeDownMs');
    const [promotion, endpoint, firstWrite, db, wall] = (['promotionMs', 'endpointMoveMs', 'firstWriteMs', 'dbDownMs', 'wallMs'] as const).map((k) => pick(passing, k));
    const lost = drillRows.reduce((n, d) => n + d.lost, 0);
    perScenario[scenario.name] = { window, promotion, endpoint, firstWrite, databaseDowntime: db, wall, lost, passed: passing.length, of: drillRows.length, samples: drillRows };
    rows.push([scenario.name, `${passing.length}/${drillRows.length}`, seconds(window.median), seconds(window.p95), seconds(db.median), String(lost), seconds(wall.median)]);
    // Where the time goes, as the drill's events place it (medians, ms after the fault).
    if (promotion.n) phases.push([scenario.name, seconds(promotion.median), seconds(endpoint.median), seconds(firstWrite.median)]);
  }
  results.scenarios = perScenario;
  markdown.push('### Scenarios', '', markdownTable(['scenario', 'PASS', 'writes down median (clients)', 'p95', 'database downtime median', 'lost', 'drill, start to verdict (median)'], rows), '');
  if (phases.length) {
    markdown.push(
      '### Where the time goes (medians after the fault: detection, election and promotion end when the database says it is primary; then the endpoint; then the first write the clients get through)',
      '',
      markdownTable(['scenario', 'promoted', 'endpoint moved', 'first write acknowledged'], phases),
      '',
    );
  }
}

if (suites.includes('hand-kill')) {
  const images = await builder.ensureAll();
  const rounds = await handKillRounds({ docker, images, logger, cluster: BASE, from: handKillCluster, rounds: handKills, say });
  const gaps = summarize(rounds.map((r) => r.writeGapMs).filter((v): v is number => v !== undefined));
  const resolved = summarize(rounds.map((r) => r.resolvedMs).filter((v): v is number => v !== undefined));
  results.handKill = { cluster: handKillCluster, writeGapMs: gaps, resolvedMs: resolved, samples: rounds };
  markdown.push(
    `### A hand kill with nobody watching (plain psql through pg-primary, each attempt cut at 0.5 s; the cluster from ${handKillCluster === 'compose' ? 'docker-compose.yml' : 'the library'})`,
    '',
    markdownTable(
      ['figure', 'median', 'p95', 'worst', 'samples'],
      [
        ['writes stopped (last commit before the kill → first after it)', ...cells(gaps), String(gaps.n)],
        ['kill sent → pg-primary resolves to the new primary alone, for good (the loop looks before every attempt)', ...cells(resolved), String(resolved.n)],
      ],
    ),
    '',
  );
  save();
}

if (suites.includes('tuning')) {
  const stallRuns: StallRun[] = [];
  const windowRuns: WindowRun[] = [];
  // repmgr's defaults take about a minute to give up on a primary: room for it.
  const roomy = (s: Scenario): Scenario => ({ ...s, hold: { ...s.hold, maxSecs: 180 }, expect: { ...s.expect, maxWriteDownSecs: 240 } });
  for (const profile of tuningProfiles) {
    const cluster: ClusterOptions = { ...BASE, timing: profile.timing };
    await removeClusters(docker, logger, BASE.name);
    for (const stallSecs of stalls) {
      for (let i = 0; i < tuningRuns; i++) {
        // One cluster for a profile's stalls, as long as none fails over; after a failover, a new one.
        const { row, report } = await drillRow({ cluster, scenario: stallScenario(resolveScenario('freeze-primary'), stallSecs), keep: true });
        const failedOver = Boolean(report?.result.promotion);
        stallRuns.push({ profile: profile.name, stallSecs, verdict: row.verdict, failedOver, writeGapMs: report?.result.longestWriteGap?.ms ?? null });
        say(`${profile.name}, stall ${stallSecs} s, ${i + 1}/${tuningRuns}: ${row.verdict}, ${failedOver ? 'failed over' : 'no failover'}, writes stopped ${seconds(report?.result.longestWriteGap?.ms ?? null)}`);
        if (failedOver || row.verdict !== 'PASS') await removeClusters(docker, logger, BASE.name);
      }
    }
    await removeClusters(docker, logger, BASE.name);
    for (const [fault, name] of [['kill', 'kill-primary'], ['freeze', 'freeze-primary']] as const) {
      for (let i = 0; i < tuningWindows; i++) {
        const { row } = await drillRow({ cluster, scenario: roomy(resolveScenario(name)) });
        windowRuns.push({ profile: profile.name, fault, verdict: row.verdict, writeDownMs: row.writeDownMs });
        say(`${profile.name}, ${name} ${i + 1}/${tuningWindows}: ${row.verdict}, writes down ${seconds(row.writeDownMs)}`);
      }
    }
    results.tuning = { profiles: tuningProfiles, stalls, stallRuns, windowRuns };
    save();
  }
  const killWindows = new Map(tuningProfiles.map((p) => [p.name, summarize(windowRuns.filter((r) => r.profile === p.name && r.fault === 'kill' && r.verdict === 'PASS').map((r) => r.writeDownMs).filter((w): w is number => w !== null)).median]));
  const fastest = fastestRidingOut(stallRuns, tuningProfiles, stalls, killWindows);
  writeFileSync(path.join(outDir, 'tuning.svg'), `${stallPlot(stallRuns, tuningProfiles, stalls)}\n`);
  results.tuning = { profiles: tuningProfiles, stalls, stallRuns, windowRuns, fastestRidingOut: fastest };
  markdown.push(
    '### Detection tuning: stalls of the primary (frozen under load, then thawed)',
    '',
    stallTable(stallRuns, tuningProfiles, stalls),
    '',
    '### Each profile\'s windows',
    '',
    windowTable(windowRuns, tuningProfiles),
    '',
    '### The fastest profile that rode out each stall (none failed over)',
    '',
    markdownTable(['stall', 'profile'], fastest.map((f) => [`${f.stallSecs} s`, f.profile ?? 'none of them'])),
    '',
    'Plot: tuning.svg',
    '',
  );
  save();
}

save();
process.stdout.write(`${[...markdown, `Details: ${path.relative(process.cwd(), outDir)}/bench.json`].join('\n')}\n`);
await removeClusters(docker, logger, BASE.name);
load?.stop();
