/**
 * The cluster on its own, measured as a user would: no drill and no flipdrill process watching,
 * only a plain psql loop inserting through `pg-primary` from a container on the application
 * network, while the primary's container is killed by hand. The endpoint agent inside the cluster
 * is all that moves the endpoint. Between kills the killed node is started again and rejoins.
 */
import { names, startCluster, waitFor, type ClusterOptions, type DockerClient, type Images, type Logger } from '../../cluster/index.ts';
import { startComposeCluster } from './compose-cluster.ts';
import { settledLookup, startInsertLoop, writeGapMs, type ProbeTarget } from '../probe/front-probe.ts';

export interface HandKillRound {
  killed: string;
  /** Last commit before the kill → first commit after it, as psql saw it. */
  writeGapMs?: number;
  /** Kill sent → pg-primary resolves to one address, not the killed node's, and stays so (the loop's own look-ups). */
  resolvedMs?: number;
  /** The node pg-primary resolved to. */
  resolvedTo?: string;
}

/** Where the cluster comes from: the library (startCluster), or docker-compose.yml. */
export type HandKillCluster = 'library' | 'compose';

export async function handKillRounds(o: { docker: DockerClient; images: Images; logger: Logger; cluster: ClusterOptions; from: HandKillCluster; rounds: number; say: (line: string) => void }): Promise<HandKillRound[]> {
  const { docker } = o;
  const started =
    o.from === 'compose'
      ? await startComposeCluster(o)
      : await startCluster(o.cluster, { docker, images: o.images, logger: o.logger }).then((c) => ({ cluster: c, stop: () => c.stop() }));
  const { cluster } = started;
  const probe: ProbeTarget = { docker, cluster: cluster.spec.name, app: cluster.credentials.app };
  const rounds: HandKillRound[] = [];
  try {
    for (let i = 1; i <= o.rounds; i++) {
      const primary = await cluster.primary();
      if (!primary) throw new Error('no primary before the kill');
      const loop = await startInsertLoop(probe, { attemptMs: 500, maxSecs: 120 });
      try {
        const warm = Date.now();
        await waitFor('ten commits through pg-primary before the kill', async () => (await loop.committedSince(warm)) >= 10, { timeoutMs: 60_000, intervalMs: 200 });
        const killedAt = Date.now();
        await docker.killContainer(names.container(cluster.spec, primary), 'SIGKILL');
        const killedIp = cluster.node(primary).frontIp;
        // Nothing else runs meanwhile: the loop looks the name up itself before every attempt.
        await waitFor('ten commits after the kill', async () => (await loop.committedSince(killedAt)) >= 10, { timeoutMs: 60_000, intervalMs: 200 });
        const record = await loop.stop();
        const gap = writeGapMs(record.attempts, killedAt);
        const settled = settledLookup(record.lookups, killedAt, killedIp);
        const resolvedMs = settled ? settled.at - killedAt : undefined;
        const resolvedTo = settled ? (cluster.spec.nodes.find((n) => n.frontIp === settled.address)?.name ?? settled.address) : undefined;
        rounds.push({ killed: primary, ...(gap !== undefined ? { writeGapMs: gap } : {}), ...(resolvedMs !== undefined ? { resolvedMs } : {}), ...(resolvedTo ? { resolvedTo } : {}) });
        o.say(`hand kill ${i}/${o.rounds}: ${primary} killed; writes stopped ${gap ?? '?'} ms; pg-primary on ${resolvedTo} after ${resolvedMs} ms`);
      } finally {
        await loop.stop().catch(() => []);
      }
      // Back as a standby before the next kill.
      await docker.startContainer(names.container(cluster.spec, primary));
      await waitFor(
        `${primary} a standby again`,
        async () => (await cluster.observe()).nodes.some((n) => n.name === primary && n.role === 'standby') && (await cluster.isReady(primary)),
        { timeoutMs: 180_000, intervalMs: 500 },
      );
    }
  } finally {
    await started.stop();
  }
  return rounds;
}
