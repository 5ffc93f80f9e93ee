/**
 * The app's data layer against a real cluster, from the host (through the nodes' 127.0.0.1 ports):
 * a write endpoint that leads to a standby is refused when the connection opens, as a definite
 * failure and without leaking connections; a dead read replica falls back to the primary.
 */
import net from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDocker, createLogger, ImageBuilder, startCluster, type StartedCluster } from '../cluster/index.ts';
import type { AppConfig } from './config.ts';
import { AWARE_DEFAULTS, type FailoverConfig } from './failover/config.ts';
import { createDatabase, DatabaseOperationError, type Database } from './db.ts';

const CLUSTER = { name: 'fdtest-app', portBase: 24432, appPort: 24480, backSubnet: '10.213.41.0/24', frontSubnet: '10.213.42.0/24' };
const log = pino({ level: 'silent' });

/** A port on 127.0.0.1 that nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('the failover-aware data layer on a real cluster', () => {
  let cluster: StartedCluster;
  const databases: Database[] = [];

  const config = (write: number, reads: number[], overrides: Partial<FailoverConfig> = {}): AppConfig => ({
    httpPort: 0,
    profile: 'aware',
    failover: {
      ...AWARE_DEFAULTS,
      platform: 'repmgr',
      database: cluster.credentials.app.database,
      user: cluster.credentials.app.user,
      password: cluster.credentials.app.password,
      write: { host: '127.0.0.1', port: write },
      reads: reads.map((port) => ({ host: '127.0.0.1', port })),
      poolMax: 4,
      failoverWindowMs: 300,
      ...overrides,
    },
  });
  const open = (c: AppConfig) => {
    const db = createDatabase(c, log);
    databases.push(db);
    return db;
  };

  beforeAll(async () => {
    const logger = createLogger();
    const docker = await connectDocker({ logger, allowInstall: false });
    const images = await new ImageBuilder({ docker, logger }).ensureAll();
    cluster = await startCluster(CLUSTER, { docker, images, logger });
  });

  afterAll(async () => {
    for (const db of databases) await db.close().catch(() => {});
    await cluster?.stop();
  });

  it('writes through the primary and returns the database stamps', async () => {
    const db = open(config(cluster.node('node1').hostPort, [cluster.node('node2').hostPort]));
    await db.ensureSchema();
    const row = await db.createCountry({ id: '3b7e6f7e-3333-4333-8333-333333333333', name: 'Spain', is_eu_member: true });
    expect(row).toMatchObject({ name: 'Spain', committed_by: 'node1', committed_timeline: 1 });
  });

  it('refuses a write endpoint that leads to a standby, as a definite failure, without leaking connections', async () => {
    const standby = cluster.node('node2').hostPort;
    const db = open(config(standby, [standby]));
    const countConnections = async () =>
      Number((await cluster.query<{ n: string }>('node2', "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'flipdrill-app'"))[0]!.n);

    const error = await db.createCountry({ id: '4b7e6f7e-4444-4444-8444-444444444444', name: 'Nowhere', is_eu_member: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseOperationError);
    expect((error as DatabaseOperationError).classification).toMatchObject({ outcome: 'failed', code: 'ROLE_MISMATCH' });
    // Each refused connection was closed before the error was raised.
    expect(await countConnections()).toBe(0);
  });

  it('reads from the primary when the replica cannot be reached', async () => {
    const db = open(config(cluster.node('node1').hostPort, [await closedPort()]));
    const row = await db.findCountry('3b7e6f7e-3333-4333-8333-333333333333');
    expect(row).toMatchObject({ name: 'Spain', committed_by: 'node1' });
  });
});
