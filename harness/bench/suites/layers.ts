/**
 * The layers suite: inserts through the app's Sequelize layer and through raw pg on one primary,
 * in alternating rounds, and flipdrill's own overhead with the app out of the loop.
 */
import { pgInserts, sequelizeInserts, type LoopResult } from '../../../app/bench-layers.ts';
import { startCluster } from '../../../cluster/index.ts';
import { BASE } from '../configurations.ts';
import { harnessOverhead } from '../harness-overhead.ts';
import type { Bench } from '../session.ts';
import { markdownTable, summarize } from '../stats.ts';

export async function run(bench: Bench): Promise<void> {
  const { docker, logger, builder, say, results, markdown } = bench;
  const { layerRounds, layerSeconds } = bench.args;
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
