/**
 * `npm run bench`: the figures the README reports, measured, not asserted (machines are shared
 * and noisy; tests check correctness, this measures speed).
 *
 *   cold image build   flipdrill's images removed, then built again (skipped with --no-cold)
 *   bring-up           cluster + app from cached images, until the app writes through the endpoint
 *   drills             kill-primary drills: promotion, endpoint move, write unavailability
 *
 *   scenarios          with --scenarios N: every built-in scenario N times, its write-downtime window
 *
 * Usage: npm run bench -- [--drills 5] [--bring-ups 3] [--no-cold] [--scenarios N [--only name,name]] [--endpoint do-simulator]
 * Uses its own cluster name, ports and subnets, so a cluster you have running is left alone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connectDocker, createLogger, ImageBuilder, removeClusters, startCluster } from '../cluster/index.ts';
import { runDrill } from './drill.ts';
import { builtInScenarios } from './scenario.ts';

const { values } = parseArgs({
  options: {
    drills: { type: 'string', default: '5' },
    'bring-ups': { type: 'string', default: '3' },
    'no-cold': { type: 'boolean', default: false },
    scenarios: { type: 'string', default: '0' },
    only: { type: 'string' },
    endpoint: { type: 'string' },
  },
  strict: true,
});
const drills = Number(values.drills);
const scenarioRuns = Number(values.scenarios);
if (!Number.isInteger(scenarioRuns) || scenarioRuns < 0 || scenarioRuns > 20) {
  process.stderr.write('bench: --scenarios must be 0 to 20\n');
  process.exit(2);
}
const knownScenarios = builtInScenarios();
const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = only?.filter((name) => !knownScenarios.some((s) => s.name === name)) ?? [];
if (unknown.length) {
  process.stderr.write(`bench: --only names unknown scenarios: ${unknown.join(', ')} (built-in: ${knownScenarios.map((s) => s.name).join(', ')})\n`);
  process.exit(2);
}
const benchScenarios = only ? knownScenarios.filter((s) => only.includes(s.name)) : knownScenarios;
const bringUps = Number(values['bring-ups']);
if (!Number.isInteger(drills) || drills < 1 || drills > 50 || !Number.isInteger(bringUps) || bringUps < 1 || bringUps > 20) {
  process.stderr.write('bench: --drills must be 1 to 50 and --bring-ups 1 to 20\n');
  process.exit(2);
}

if (values.endpoint !== undefined && values.endpoint !== 'docker-alias' && values.endpoint !== 'do-simulator') {
  process.stderr.write('bench: --endpoint must be docker-alias or do-simulator\n');
  process.exit(2);
}
const CLUSTER = {
  name: 'flipdrill-bench',
  portBase: 23432,
  appPort: 23480,
  backSubnet: '10.213.51.0/24',
  frontSubnet: '10.213.52.0/24',
  endpoint: (values.endpoint ?? 'docker-alias') as 'docker-alias' | 'do-simulator',
};
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const outDir = path.resolve('runs', `bench-${stamp}`);
mkdirSync(outDir, { recursive: true });
const logger = createLogger({ file: path.join(outDir, 'bench.log'), level: 'info' });
const say = (line: string) => process.stderr.write(`bench: ${line}\n`);

function stats(xs: number[]): { n: number; median: number; worst: number; best: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { n: s.length, median: Math.round(median), worst: Math.round(s.at(-1)!), best: Math.round(s[0]!) };
}

const docker = await connectDocker({ logger, onStep: say });
await removeClusters(docker, logger, CLUSTER.name);
const builder = new ImageBuilder({ docker, logger, onStep: say });
const results: Record<string, unknown> = { command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(), at: new Date().toISOString() };

if (!values['no-cold']) {
  const current = await builder.ensureAll();
  for (const tag of [current.app, current.node, current.base]) await docker.removeImage(tag);
  const t0 = Date.now();
  await builder.ensureAll();
  results.coldImageBuildMs = Date.now() - t0;
  say(`cold image build: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const images = await builder.ensureAll();
const upTimes: number[] = [];
for (let i = 0; i < bringUps; i++) {
  const t0 = Date.now();
  const cluster = await startCluster(CLUSTER, { docker, images, logger });
  upTimes.push(Date.now() - t0);
  await cluster.stop();
  say(`bring-up ${i + 1}/${bringUps}: ${((upTimes.at(-1)!) / 1000).toFixed(2)} s`);
}
results.bringUpMs = { ...stats(upTimes), samples: upTimes };

const drillRows: { verdict: string; promotionMs: number | null; repmgrPromoteMs: number | null; endpointMoveMs: number | null; writeDownMs: number | null; dbDownMs: number | null; ipMoveMs: number | null; lost: number; run: string }[] = [];
for (let i = 0; i < drills; i++) {
  const { report, run } = await runDrill({ cluster: CLUSTER, runsDir: outDir });
  const r = report.result;
  drillRows.push({
    verdict: r.verdict,
    promotionMs: r.promotion?.observedMs ?? null,
    repmgrPromoteMs: r.promotion?.reportedMs ?? null,
    endpointMoveMs: r.endpointMove?.ms ?? null,
    writeDownMs: r.writeUnavailability?.ms ?? null,
    dbDownMs: r.databaseDowntime?.ms ?? null,
    ipMoveMs: r.floatingIp?.moveMs ?? null,
    lost: r.lost.length,
    run: path.relative(process.cwd(), run.dir),
  });
  const last = drillRows.at(-1)!;
  say(`drill ${i + 1}/${drills}: ${last.verdict}, promotion ${last.promotionMs} ms, endpoint ${last.endpointMoveMs} ms, writes down ${last.writeDownMs} ms, lost ${last.lost}`);
}
const numbers = (key: 'promotionMs' | 'repmgrPromoteMs' | 'endpointMoveMs' | 'writeDownMs' | 'dbDownMs' | 'ipMoveMs') =>
  drillRows.map((d) => d[key]).filter((v): v is number => v !== null);
results.drills = {
  passed: drillRows.filter((d) => d.verdict === 'PASS').length,
  of: drillRows.length,
  promotionMs: stats(numbers('promotionMs')),
  repmgrPromoteEventMs: stats(numbers('repmgrPromoteMs')),
  endpointMoveMs: stats(numbers('endpointMoveMs')),
  writeUnavailabilityMs: stats(numbers('writeDownMs')),
  databaseDowntimeMs: stats(numbers('dbDownMs')),
  ...(numbers('ipMoveMs').length ? { floatingIpMoveMs: stats(numbers('ipMoveMs')) } : {}),
  lostAcknowledgedWrites: drillRows.reduce((n, d) => n + d.lost, 0),
  samples: drillRows,
};
const scenarioRows: string[] = [];
if (scenarioRuns > 0) {
  const perScenario: Record<string, unknown> = {};
  for (const scenario of benchScenarios) {
    const windows: number[] = [];
    let passed = 0;
    for (let i = 0; i < scenarioRuns; i++) {
      const { report } = await runDrill({ cluster: CLUSTER, runsDir: outDir, scenario });
      const r = report.result;
      // Only a run in which writes resumed has a window; a FAIL is counted, not averaged in.
      const down = r.writeUnavailability ? Math.max(r.writeUnavailability.ms, r.longestWriteGap?.ms ?? 0) : null;
      if (down !== null && r.verdict === 'PASS') windows.push(down);
      if (r.verdict === 'PASS') passed += 1;
      say(`${scenario.name} ${i + 1}/${scenarioRuns}: ${r.verdict}, writes down ${down === null ? 'n/a (never resumed)' : `${Math.round(down)} ms`}, lost ${r.lost.length}`);
    }
    const s = windows.length ? stats(windows) : null;
    perScenario[scenario.name] = { passed, of: scenarioRuns, writeDownMs: s };
    const cell = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);
    scenarioRows.push(`| ${scenario.name} | ${cell(s?.median)} | ${cell(s?.worst)} | ${passed} of ${scenarioRuns} |`);
  }
  results.scenarios = perScenario;
}
writeFileSync(path.join(outDir, 'bench.json'), `${JSON.stringify(results, null, 2)}\n`);

const d = results.drills as { floatingIpMoveMs?: ReturnType<typeof stats>; passed: number; of: number; promotionMs: ReturnType<typeof stats>; repmgrPromoteEventMs: ReturnType<typeof stats>; endpointMoveMs: ReturnType<typeof stats>; writeUnavailabilityMs: ReturnType<typeof stats>; databaseDowntimeMs: ReturnType<typeof stats>; lostAcknowledgedWrites: number };
const up = results.bringUpMs as ReturnType<typeof stats>;
const lines = [
  `| figure | median | worst | samples |`,
  `| --- | --- | --- | --- |`,
  ...(results.coldImageBuildMs ? [`| cold image build | ${(Number(results.coldImageBuildMs) / 1000).toFixed(1)} s | | 1 |`] : []),
  `| bring-up from cached images | ${(up.median / 1000).toFixed(2)} s | ${(up.worst / 1000).toFixed(2)} s | ${up.n} |`,
  `| promotion (kill → database answers primary) | ${(d.promotionMs.median / 1000).toFixed(2)} s | ${(d.promotionMs.worst / 1000).toFixed(2)} s | ${d.promotionMs.n} |`,
  `| repmgr promote event (kill → event timestamp) | ${(d.repmgrPromoteEventMs.median / 1000).toFixed(2)} s | ${(d.repmgrPromoteEventMs.worst / 1000).toFixed(2)} s | ${d.repmgrPromoteEventMs.n} |`,
  `| endpoint move (kill → alias on new primary) | ${(d.endpointMoveMs.median / 1000).toFixed(2)} s | ${(d.endpointMoveMs.worst / 1000).toFixed(2)} s | ${d.endpointMoveMs.n} |`,
  `| write unavailability window (clients) | ${(d.writeUnavailabilityMs.median / 1000).toFixed(2)} s | ${(d.writeUnavailabilityMs.worst / 1000).toFixed(2)} s | ${d.writeUnavailabilityMs.n} |`,
  `| downtime seen by the database (commit stamps) | ${(d.databaseDowntimeMs.median / 1000).toFixed(2)} s | ${(d.databaseDowntimeMs.worst / 1000).toFixed(2)} s | ${d.databaseDowntimeMs.n} |`,
  ...(d.floatingIpMoveMs ? [`| floating IP move at the simulated DigitalOcean (action started → completed) | ${(d.floatingIpMoveMs.median / 1000).toFixed(2)} s | ${(d.floatingIpMoveMs.worst / 1000).toFixed(2)} s | ${d.floatingIpMoveMs.n} |`] : []),
  ``,
  `${d.passed} of ${d.of} drills PASS; ${d.lostAcknowledgedWrites} acknowledged writes lost. Details: ${path.relative(process.cwd(), outDir)}/bench.json`,
];
if (scenarioRows.length) lines.push('', '| scenario | writes down, median | worst | PASS |', '| --- | --- | --- | --- |', ...scenarioRows);
process.stdout.write(`${lines.join('\n')}\n`);
await removeClusters(docker, logger, CLUSTER.name);
