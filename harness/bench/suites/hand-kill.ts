/**
 * The hand-kill suite: the cluster on its own, its primary killed by hand while a plain psql loop
 * inserts through pg-primary (harness/bench/hand-kill.ts); no drill, no flipdrill process watching.
 */
import { BASE } from '../configurations.ts';
import { cells } from '../drill-figures.ts';
import { handKillRounds } from '../hand-kill.ts';
import { save, type Bench } from '../session.ts';
import { markdownTable, summarize } from '../stats.ts';

export async function run(bench: Bench): Promise<void> {
  const { docker, logger, builder, say, results, markdown } = bench;
  const { handKillCluster, handKills } = bench.args;
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
  save(bench);
}
