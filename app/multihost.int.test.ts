/**
 * The app's data layer on a multi-host endpoint against a real cluster, configured as
 * pg_auto_failover hands an endpoint out: one DATABASE_URL naming the standby first and the
 * primary second, with target_session_attrs=read-write, loaded by loadConfig as app/main.ts loads
 * it. Writes go to the primary, and the standby the layer asked on the way is let go; after the
 * primary is killed and repmgr promotes the standby, writes succeed through the same data-layer
 * instance on the new primary, with nothing reconfigured. Every connection goes to 127.0.0.1.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDocker, createLogger, ImageBuilder, startCluster, waitFor, type StartedCluster } from '../cluster/index.ts';
import { loadConfig } from './config.ts';
import { createDatabase, DatabaseOperationError, type Database } from './db.ts';

const CLUSTER = { name: 'fdtest-mh', portBase: 37000, appPort: 37050, backSubnet: '10.230.3.0/24', frontSubnet: '10.230.4.0/24', app: false };

/** The layer's log lines, kept to read what it said about its hosts. */
const lines: Record<string, unknown>[] = [];
const log = pino(
  { level: 'debug' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  }),
);

const id = (n: number) => `5c7e6f7e-5555-4555-8555-${String(n).padStart(12, '0')}`;

describe('the data layer on a multi-host DATABASE_URL, standby first, through a failover', () => {
  let cluster: StartedCluster;
  let db: Database | undefined;

  beforeAll(async () => {
    const logger = createLogger();
    const docker = await connectDocker({ logger, allowInstall: false });
    const images = await new ImageBuilder({ docker, logger }).ensureAll();
    cluster = await startCluster(CLUSTER, { docker, images, logger });
  });

  afterAll(async () => {
    await db?.close().catch(() => {});
    await cluster?.stop();
  });

  it('writes on the primary, and on the promoted standby after the primary is killed, through the same instance', async () => {
    const [primary, standby] = [cluster.node('node1'), cluster.node('node2')];
    const { user, password, database } = cluster.credentials.app;
    const url = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${standby.hostPort},127.0.0.1:${primary.hostPort}/${encodeURIComponent(database)}?target_session_attrs=read-write`;
    const config = loadConfig({ DATABASE_URL: url, DB_READ_HOSTS: '' });
    expect(config.failover.writeHosts).toEqual([
      { host: '127.0.0.1', port: standby.hostPort },
      { host: '127.0.0.1', port: primary.hostPort },
    ]);
    db = createDatabase(config, log);
    await db.ensureSchema();

    const before = await db.countries.create({ id: id(1), name: 'Primaryland', is_eu_member: false });
    expect(before).toMatchObject({ committed_by: 'node1', committed_timeline: 1 });
    // The standby was asked and let go: no connection of the app's is left on it.
    const appSessions = await cluster.query<{ n: string }>('node2', "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'flipdrill-app'");
    expect(Number(appSessions[0]!.n)).toBe(0);

    const killedAt = Date.now();
    const linesBefore = lines.length;
    await cluster.kill('node1');
    // Each write is one unit of work with the layer's own failover window (4 s) and backoff; the
    // test only writes again, with new ids, until one lands, as a client would.
    const failures: string[] = [];
    let n = 2;
    const after = await waitFor(
      'a write through the same data layer to land after the kill',
      async () => {
        try {
          return await db!.countries.create({ id: id(n), name: `Failoverland ${n}`, is_eu_member: false });
        } catch (error) {
          if (!(error instanceof DatabaseOperationError)) throw error;
          failures.push(`${error.classification.verdict} ${error.classification.code}`);
          // A write whose outcome is unknown may have landed: the next one gets a new id.
          n += 1;
          return undefined;
        }
      },
      { timeoutMs: 90_000, intervalMs: 100 },
    );
    const downMs = Date.now() - killedAt;
    expect(after).toMatchObject({ committed_by: 'node2', committed_timeline: 2 });
    // Nothing the layer met on the way was fatal: refused connections, a standby, a dead pool.
    expect(failures.filter((f) => f.startsWith('fatal'))).toEqual([]);
    expect(await db.writeEndpointNode()).toEqual({ node: 'node2', inRecovery: false });
    // The layer said where its write connections went: to the primary at the start (the
    // migrations' instance and the app's each found it), to the promoted standby after the kill.
    const moves = lines.filter((l) => l.msg === 'new write connections go to another host').map((l) => (l.to as { port: number }).port);
    expect(moves.at(-1)).toBe(standby.hostPort);
    expect(new Set(moves.slice(0, -1))).toEqual(new Set([primary.hostPort]));
    // For the record: how long writes were down, what the retried attempts and the failed units
    // of work said.
    const retries = lines.slice(linesBefore).filter((l) => l.msg === 'retrying a unit of work').map((l) => String(l.code));
    process.stderr.write(
      `multihost: a write landed on node2 ${(downMs / 1000).toFixed(1)} s after the kill began; attempts retried: ${retries.join(', ') || 'none'}; failed units of work: ${failures.join(', ') || 'none'}\n`,
    );
    expect(await cluster.primary()).toBe('node2');
  });
});
