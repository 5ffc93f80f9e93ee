/**
 * The configs suite: kill-primary drills per configuration, the baseline and one change at a time,
 * each beside a plain psql loop through the same endpoint; bring-up from cached images, and a cold
 * image build unless --no-cold.
 */
import { removeClusters, startCluster } from '../../../cluster/index.ts';
import { BASE } from '../configurations.ts';
import { cells, drillRow, pick, type DrillFigures } from '../drill-figures.ts';
import { psqlView } from '../psql-view.ts';
import type { Bench } from '../session.ts';
import { markdownTable, seconds, summarize } from '../stats.ts';

export async function run(bench: Bench): Promise<void> {
  const { docker, logger, builder, say, results, markdown } = bench;
  const { noCold, bringUps, configs, chosen } = bench.args;
  if (!noCold) {
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
  const phases: string[][] = [];
  for (const config of configs.filter((c) => !chosen || chosen.includes(c.name))) {
    const drillRows: DrillFigures[] = [];
    for (let i = 0; i < config.drills; i++) {
      // Beside the app, a plain psql loop through the same endpoint; the drill keeps its cluster
      // until the loop is read.
      const view = psqlView({ docker, logger, cluster: BASE.name!, say });
      const { row } = await drillRow(bench, { cluster: { ...BASE, ...config.cluster }, scenario: config.scenario, keep: true, onStep: view.onStep });
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
      lastWriteBeforeMs: pick(drillRows, 'lastWriteBeforeMs'),
      reportedPromotionMs: pick(drillRows, 'reportedPromotionMs'),
      firstWriteMs: pick(drillRows, 'firstWriteMs'),
      writesPerSec: pick(drillRows, 'writesPerSec'),
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
      summary.writesPerSec.median === null ? 'n/a' : summary.writesPerSec.median.toFixed(0),
    ]);
    // Where the clients' window goes: the stretch before the fault (since the last acknowledged
    // write), then from the fault on the manager's promote event, the database answering as
    // primary, the endpoint's move and the first acknowledged write (each a median after the fault).
    phases.push([
      config.name,
      ...[summary.lastWriteBeforeMs, summary.reportedPromotionMs, summary.promotionMs, summary.endpointMoveMs, summary.firstWriteMs, summary.writeDownMs].map((s) => `${seconds(s.median)} (p95 ${seconds(s.p95)})`),
    ]);
  }
  results.configs = perConfig;
  markdown.push(
    '### Failover by configuration (kill-primary; medians, p95 and worst in seconds)',
    '',
    markdownTable(
      ['configuration', 'PASS', 'promotion', 'p95', 'worst', 'endpoint move', 'p95', 'worst', 'writes down (clients)', 'p95', 'worst', 'writes down (database)', 'p95', 'worst', 'writes down (a psql loop)', 'p95', 'worst', 'lost', 'writes/s before the fault (median)'],
      rows,
    ),
    '',
    'Where the window goes (medians, p95 in brackets; "last write before the fault" is before the fault, the rest are times after it):',
    '',
    markdownTable(['configuration', 'last write before the fault', "repmgr's promote event", 'answers as primary', 'endpoint moved', 'first write acknowledged', 'writes down (clients)'], phases),
    '',
    markdownTable(['bring-up from cached images', 'median', 'p95', 'worst', 'samples'], [['cluster + app, until the app writes through the endpoint', ...cells(up), String(up.n)]]),
    ...(results.coldImageBuildMs ? ['', `Cold image build (base, node, app): ${seconds(Number(results.coldImageBuildMs))}.`] : []),
    '',
  );
}
