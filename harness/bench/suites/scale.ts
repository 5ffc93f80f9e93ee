/**
 * The scale suite: the baseline drill with 1, 16 and 64 concurrent clients (window, throughput
 * before the fault, flipdrill's memory and the app container's), and with 1, 2 and 4 standbys.
 */
import { readHistory } from '../../history.ts';
import type { Scenario } from '../../scenario.ts';
import { BASE, killPrimary } from '../configurations.ts';
import { cells, drillRow, pick, type DrillFigures } from '../drill-figures.ts';
import type { Bench } from '../session.ts';
import { markdownTable, seconds, summarize } from '../stats.ts';

export async function run(bench: Bench): Promise<void> {
  const { docker, say, results, markdown } = bench;
  const { drills } = bench.args;
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
      const { row, report, historyFile } = await drillRow(bench, {
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
      const { row, report } = await drillRow(bench, {
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
