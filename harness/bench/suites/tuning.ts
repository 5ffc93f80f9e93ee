/**
 * The tuning suite, the detection-tuning study (what it decides and draws is harness/bench/tuning.ts):
 * per timing profile, the primary frozen under load for each stall and thawed, and the profile's
 * kill and freeze windows. Writes tuning.svg beside bench.md.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { removeClusters, type ClusterOptions } from '../../../cluster/index.ts';
import { resolveScenario, type Scenario } from '../../scenario.ts';
import { BASE } from '../configurations.ts';
import { drillRow } from '../drill-figures.ts';
import { save, type Bench } from '../session.ts';
import { markdownTable, seconds, summarize } from '../stats.ts';
import { fastestRidingOut, stallPlot, stallScenario, stallTable, windowTable, type StallRun, type WindowRun } from '../tuning.ts';

export async function run(bench: Bench): Promise<void> {
  const { docker, logger, outDir, say, results, markdown } = bench;
  const { tuningProfiles, stalls, tuningRuns, tuningWindows } = bench.args;
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
        const { row, report } = await drillRow(bench, { cluster, scenario: stallScenario(resolveScenario('freeze-primary'), stallSecs), keep: true });
        const failedOver = Boolean(report?.result.promotion);
        stallRuns.push({ profile: profile.name, stallSecs, verdict: row.verdict, failedOver, writeGapMs: report?.result.longestWriteGap?.ms ?? null });
        say(`${profile.name}, stall ${stallSecs} s, ${i + 1}/${tuningRuns}: ${row.verdict}, ${failedOver ? 'failed over' : 'no failover'}, writes stopped ${seconds(report?.result.longestWriteGap?.ms ?? null)}`);
        if (failedOver || row.verdict !== 'PASS') await removeClusters(docker, logger, BASE.name);
      }
    }
    await removeClusters(docker, logger, BASE.name);
    for (const [fault, name] of [['kill', 'kill-primary'], ['freeze', 'freeze-primary']] as const) {
      for (let i = 0; i < tuningWindows; i++) {
        const { row } = await drillRow(bench, { cluster, scenario: roomy(resolveScenario(name)) });
        windowRuns.push({ profile: profile.name, fault, verdict: row.verdict, writeDownMs: row.writeDownMs });
        say(`${profile.name}, ${name} ${i + 1}/${tuningWindows}: ${row.verdict}, writes down ${seconds(row.writeDownMs)}`);
      }
    }
    results.tuning = { profiles: tuningProfiles, stalls, stallRuns, windowRuns };
    save(bench);
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
  save(bench);
}
