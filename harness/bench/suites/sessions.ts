/**
 * The sessions suite: what keeping a session's reads by WAL position costs. On a cluster with two
 * standbys, sessions write a row and read their own rows back through the aware data layer, with
 * the guarantee (position) and without it (off), in alternating rounds: reads a second, read
 * latency, where the reads were answered, and the reads of a session's own write that missed it
 * (each replica's staleness in normal running: how long after the acknowledgement the miss came).
 */
import { sessionLoop, type SessionLoopResult } from '../../../app/bench-sessions.ts';
import { startCluster } from '../../../cluster/index.ts';
import { BASE } from '../configurations.ts';
import type { Bench } from '../session.ts';
import { markdownTable, summarize } from '../stats.ts';

const CONCURRENCY = 4;

export async function run(bench: Bench): Promise<void> {
  const { docker, logger, builder, say, results, markdown } = bench;
  const { layerRounds, layerSeconds } = bench.args;
  const images = await builder.ensureAll();
  const cluster = await startCluster({ ...BASE, standbys: 2 }, { docker, images, logger });
  try {
    const { app } = cluster.credentials;
    const at = (node: string) => `127.0.0.1:${cluster.node(node).hostPort}`;
    const conn = { user: app.user, password: app.password, database: app.database, write: at('node1'), reads: [at('node2'), at('node3')] };
    const rounds: SessionLoopResult[] = [];
    for (let i = 0; i < layerRounds; i++) {
      for (const mode of ['position', 'off'] as const) {
        const r = await sessionLoop(conn, mode, layerSeconds * 1000, CONCURRENCY);
        rounds.push(r);
        const missed = Object.values(r.missedOwn).reduce((n, l) => n + l.length, 0);
        say(`sessions round ${i + 1}: ${mode} ${Math.round(r.readsPerSecond)} reads/s, ${missed} of ${r.reads} reads missed their session's own write, answered by ${JSON.stringify(r.servedBy)}`);
      }
    }
    const of = (mode: SessionLoopResult['mode']) => {
      const rs = rounds.filter((r) => r.mode === mode);
      const served: Record<string, number> = {};
      const missed: Record<string, number[]> = {};
      for (const r of rs) {
        for (const [node, n] of Object.entries(r.servedBy)) served[node] = (served[node] ?? 0) + n;
        for (const [node, l] of Object.entries(r.missedOwn)) (missed[node] ??= []).push(...l);
      }
      const reads = rs.reduce((n, r) => n + r.reads, 0);
      return { readsPerSecond: summarize(rs.map((r) => r.readsPerSecond)), latencyMs: summarize(rs.flatMap((r) => r.readLatenciesMs)), reads, errors: rs.reduce((n, r) => n + r.errors, 0), served, missed };
    };
    const position = of('position');
    const off = of('off');
    results.sessions = { concurrency: CONCURRENCY, seconds: layerSeconds, rounds: layerRounds, position: { ...position, missed: counts(position.missed) }, off: { ...off, missed: counts(off.missed) } };
    const ms = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(2)} ms`);
    const share = (m: typeof position) => `${Math.round((100 * ((m.served.node2 ?? 0) + (m.served.node3 ?? 0))) / Math.max(1, m.reads))} %`;
    const missedAll = (m: typeof position) => Object.values(m.missed).reduce((n, l) => n + l.length, 0);
    markdown.push(
      `### The cost of keeping a session's reads (two standbys, ${CONCURRENCY} sessions each writing a row and reading its own rows back, ${layerRounds} alternating rounds of ${layerSeconds} s)`,
      '',
      markdownTable(
        ['DB_SESSION_CONSISTENCY', 'reads/s (median round)', 'read latency median', 'p95', 'answered by a standby', "reads that missed the session's own write", 'errors'],
        [position, off].map((m, i) => [i === 0 ? 'position (default)' : 'off', `${Math.round(m.readsPerSecond.median ?? 0)}`, ms(m.latencyMs.median), ms(m.latencyMs.p95), share(m), `${missedAll(m)} of ${m.reads}`, String(m.errors)]),
      ),
      '',
      'Each standby without the guarantee, in normal running: how long after the acknowledgement a read still missed the write it was asked for.',
      '',
      markdownTable(
        ['node', 'reads answered', 'missed', 'median', 'p95', 'worst'],
        Object.keys(off.served)
          .sort()
          .map((node) => {
            const s = summarize(off.missed[node] ?? []);
            return [node, String(off.served[node]), String(s.n), ms(s.median), ms(s.p95), ms(s.worst)];
          }),
      ),
      '',
    );
  } finally {
    await cluster.stop();
  }
}

const counts = (missed: Record<string, number[]>) => Object.fromEntries(Object.entries(missed).map(([node, l]) => [node, summarize(l)]));
