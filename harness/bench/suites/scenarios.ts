/**
 * The scenarios suite: every built-in scenario (or --only's) --scenarios times: PASS count,
 * windows, where the time goes, and each drill's time from start to verdict.
 */
import { BASE } from '../configurations.ts';
import { drillRow, pick, type DrillFigures } from '../drill-figures.ts';
import type { Bench } from '../session.ts';
import { markdownTable, seconds } from '../stats.ts';

export async function run(bench: Bench): Promise<void> {
  const { say, results, markdown } = bench;
  const { knownScenarios, only, scenarioRuns } = bench.args;
  const rows: string[][] = [];
  const phases: string[][] = [];
  const perScenario: Record<string, unknown> = {};
  for (const scenario of only ? knownScenarios.filter((s) => only.includes(s.name)) : knownScenarios) {
    const drillRows: DrillFigures[] = [];
    for (let i = 0; i < scenarioRuns; i++) {
      const { row } = await drillRow(bench, { cluster: BASE, scenario });
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
