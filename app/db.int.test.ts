/**
 * The app's data layer against a real cluster that requires TLS, from the host (through the nodes'
 * 127.0.0.1 ports): everything goes over TLS verified against the cluster's CA; a wrong CA and a
 * connection without TLS are refused at once with a clear message; a write endpoint that leads to
 * a standby is refused when the connection opens, without leaking connections; a dead read replica
 * falls back to the primary; read-your-writes reads a session's own write from the primary while
 * the replica lags; units of work are retried whole after a serialization failure; a password
 * function (Aurora DSQL's token provider) is called for every new connection; DATABASE_URL with
 * each sslmode does what libpq's does, and a certificate that does not name the host is refused;
 * DB_SCHEMA puts the tables in a schema of the app's own, and DB_NODE_NAMES=table names the nodes
 * as a table says.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDocker, createLogger, ImageBuilder, startCluster, waitFor, type StartedCluster } from '../cluster/index.ts';
import { loadConfig, type AppConfig } from './config.ts';
import { AWARE_DEFAULTS, PLATFORM_DEFAULTS, type FailoverConfig } from './failover/config.ts';
import { tokenDriver } from './failover/dsql.ts';
import { createDatabase, DatabaseOperationError, type Database } from './db.ts';
import { QueryTypes, Transaction } from 'sequelize';
import { generateUnrelatedCa } from '../cluster/tls.ts';
import { createFailoverSequelize, type FailoverSequelize } from './failover/sequelize.ts';

const CLUSTER = { name: 'fdtest-app', portBase: 24432, appPort: 24480, backSubnet: '10.213.41.0/24', frontSubnet: '10.213.42.0/24', tls: true };
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
      tls: { ca: cluster.credentials.ca! },
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
    const row = await db.countries.create({ id: '3b7e6f7e-3333-4333-8333-333333333333', name: 'Spain', is_eu_member: true });
    expect(row).toMatchObject({ name: 'Spain', committed_by: 'node1', committed_timeline: 1 });
  });

  it('refuses a write endpoint that leads to a standby, as a definite failure, without leaking connections', async () => {
    const standby = cluster.node('node2').hostPort;
    const db = open(config(standby, [standby]));
    const countConnections = async () =>
      Number((await cluster.query<{ n: string }>('node2', "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'flipdrill-app'"))[0]!.n);

    const error = await db.countries.create({ id: '4b7e6f7e-4444-4444-8444-444444444444', name: 'Nowhere', is_eu_member: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseOperationError);
    expect((error as DatabaseOperationError).classification).toMatchObject({ outcome: 'failed', code: 'ROLE_MISMATCH' });
    // Each refused connection was closed before the error was raised.
    expect(await countConnections()).toBe(0);
  });

  it('reads from the primary when the replica cannot be reached', async () => {
    const db = open(config(cluster.node('node1').hostPort, [await closedPort()]));
    const row = await db.countries.find('3b7e6f7e-3333-4333-8333-333333333333');
    expect(row).toMatchObject({ name: 'Spain', committed_by: 'node1' });
  });

  it('reads from a replica while the write endpoint is unreachable from the start; the tutorial configuration cannot', async () => {
    const unreachable = await closedPort();
    const aware = open(config(unreachable, [cluster.node('node2').hostPort]));
    expect(await aware.countries.find('3b7e6f7e-3333-4333-8333-333333333333')).toMatchObject({ name: 'Spain' });
    // Without a fixed databaseVersion, Sequelize first asks the write host for its version.
    const naive = open({ ...config(unreachable, [cluster.node('node2').hostPort]), profile: 'naive' });
    const error = (await naive.countries.find('3b7e6f7e-3333-4333-8333-333333333333').catch((e: unknown) => e)) as DatabaseOperationError;
    expect(error).toBeInstanceOf(DatabaseOperationError);
    expect(error.classification.code).toBe('ECONNREFUSED');
  });

  it('answers success, once, for an insert whose acknowledgement was lost: the retry meets 23505 and finds its own row', async () => {
    // A proxy in front of the primary that swallows the server's answer to the first INSERT and
    // then resets the connection: the row is committed, the app cannot know. Later connections pass.
    let swallowed = false;
    const proxy = net.createServer((client) => {
      const server = net.connect(cluster.node('node1').hostPort, '127.0.0.1');
      let blackhole = false;
      client.on('data', (chunk: Buffer) => {
        if (!swallowed && chunk.includes('INSERT INTO')) {
          swallowed = true;
          blackhole = true;
          setTimeout(() => (client.resetAndDestroy(), server.destroy()), 500);
        }
        server.write(chunk);
      });
      server.on('data', (chunk: Buffer) => {
        if (!blackhole) client.write(chunk);
      });
      client.on('error', () => server.destroy());
      server.on('error', () => client.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const port = (proxy.address() as net.AddressInfo).port;
      // The proxy must read the statements, so this one connection goes without TLS, as the
      // superuser (the cluster refuses only the app's user without TLS).
      const { user, password } = cluster.credentials.superuser;
      const db = open(config(port, [cluster.node('node2').hostPort], { failoverWindowMs: 5000, tls: undefined, user, password }));
      const id = '9b7e6f7e-9999-4999-8999-999999999999';
      const row = await db.countries.create({ id, name: 'Ackless', is_eu_member: true });
      expect(swallowed).toBe(true);
      expect(row).toMatchObject({ id, name: 'Ackless', committed_by: 'node1' });
      const [count] = await cluster.query<{ n: string }>('node1', 'SELECT count(*) AS n FROM countries WHERE id = $1', [id], cluster.credentials.app.database);
      expect(Number(count!.n)).toBe(1);
    } finally {
      proxy.close();
    }
  });

  it('goes over TLS: the server reports every app connection encrypted', async () => {
    const rows = await cluster.query<{ ssl: boolean }>(
      'node1',
      "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'flipdrill-app' AND a.usename = $1",
      [cluster.credentials.app.user],
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.ssl)).toBe(true);
  });

  it('refuses a server whose certificate the given CA did not sign, at once and in words', async () => {
    const db = open(config(cluster.node('node1').hostPort, [cluster.node('node2').hostPort], { tls: { ca: generateUnrelatedCa() }, failoverWindowMs: 10_000 }));
    const error = (await db.countries.create({ id: '5b7e6f7e-5555-4555-8555-555555555555', name: 'Nowhere', is_eu_member: false }).catch((e: unknown) => e)) as DatabaseOperationError;
    expect(error).toBeInstanceOf(DatabaseOperationError);
    expect(error.classification).toMatchObject({ verdict: 'fatal', outcome: 'failed', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(error.message).toMatch(/^the database's TLS certificate is not trusted .*check the CA the app was given/);
    // Not retried for the 10 s failover window: a certificate does not fix itself.
    expect(error.attempts).toBe(1);
  });

  it('is refused without TLS, as RDS with rds.force_ssl refuses it', async () => {
    const db = open(config(cluster.node('node1').hostPort, [cluster.node('node2').hostPort], { tls: undefined }));
    const error = (await db.countries.create({ id: '6b7e6f7e-6666-4666-8666-666666666666', name: 'Nowhere', is_eu_member: false }).catch((e: unknown) => e)) as DatabaseOperationError;
    expect(error.classification).toMatchObject({ verdict: 'fatal', code: '28000' });
    expect(error.message).toContain('no encryption');
  });

  describe('configured as RDS hands it out: DATABASE_URL and sslmode, loaded by loadConfig', () => {
    const caFile = () => {
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'flipdrill-ca-')), 'ca.pem');
      writeFileSync(file, cluster.credentials.ca!);
      return file;
    };
    /** The app's configuration from the environment, as app/main.ts loads it, with no replicas. */
    const fromEnv = (host: string, port: number, query: string, extra: Record<string, string> = {}) => {
      const { user, password, database } = cluster.credentials.app;
      const loaded = loadConfig({ DATABASE_URL: `postgres://${user}:${encodeURIComponent(password)}@${host}:${port}/${database}${query}`, DB_READ_HOSTS: '', ...extra });
      return { ...loaded, failover: { ...loaded.failover, failoverWindowMs: Math.min(loaded.failover.failoverWindowMs, 2000) } };
    };
    const write = (db: Database, n: number) => db.countries.create({ id: `7b7e6f7e-7777-4777-8777-${String(n).padStart(12, '0')}`, name: `Urlland ${n}`, is_eu_member: false });
    const refusal = async (db: Database, n: number) => (await write(db, n).catch((e: unknown) => e)) as DatabaseOperationError;

    it('verify-full: through 127.0.0.1, which the certificate names, it writes; through the node\'s own address, which it does not, it is refused as a name mismatch, at once', async () => {
      const ca = caFile();
      const ok = open(fromEnv('127.0.0.1', cluster.node('node1').hostPort, `?sslmode=verify-full&sslrootcert=${ca}`));
      await expect(write(ok, 1)).resolves.toMatchObject({ committed_by: 'node1' });
      // The node's address on the cluster's own application network (a subnet this project
      // created): reachable from the host, and in no certificate.
      const byAddress = open(fromEnv(cluster.node('node1').frontIp, 5432, `?sslmode=verify-full&sslrootcert=${ca}`));
      const error = await refusal(byAddress, 2);
      expect(error).toBeInstanceOf(DatabaseOperationError);
      expect(error.classification).toMatchObject({ verdict: 'fatal', code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
      expect(error.attempts).toBe(1);
    });

    it('verify-ca: the same address is accepted (the chain is checked, the name is not); a CA that did not sign it is refused', async () => {
      const byAddress = open(fromEnv(cluster.node('node1').frontIp, 5432, `?sslmode=verify-ca&sslrootcert=${caFile()}`));
      await expect(write(byAddress, 3)).resolves.toMatchObject({ committed_by: 'node1' });
      const wrong = path.join(mkdtempSync(path.join(os.tmpdir(), 'flipdrill-ca-')), 'other.pem');
      writeFileSync(wrong, generateUnrelatedCa());
      const error = await refusal(open(fromEnv(cluster.node('node1').frontIp, 5432, `?sslmode=verify-ca&sslrootcert=${wrong}`)), 4);
      expect(error.classification).toMatchObject({ verdict: 'fatal', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    });

    it('require: refused without a CA unless accepted explicitly; accepted, it is encrypted and unproven (a wrong CA would not matter)', async () => {
      expect(() => fromEnv('127.0.0.1', cluster.node('node1').hostPort, '?sslmode=require')).toThrow(/DB_SSL_ACCEPT_UNVERIFIED=true/);
      const db = open(fromEnv('127.0.0.1', cluster.node('node1').hostPort, '?sslmode=require', { DB_SSL_ACCEPT_UNVERIFIED: 'true' }));
      await expect(write(db, 5)).resolves.toMatchObject({ committed_by: 'node1' });
    });

    it('disable: the cluster, like RDS with rds.force_ssl, refuses the connection', async () => {
      const error = await refusal(open(fromEnv('127.0.0.1', cluster.node('node1').hostPort, '?sslmode=disable')), 6);
      expect(error.classification).toMatchObject({ verdict: 'fatal', code: '28000' });
    });

    it('the rds platform: its defaults (a 120 s failover window) and verify-full by default with a CA, writing over TLS', async () => {
      const loaded = loadConfig({ DATABASE_URL: `postgres://${cluster.credentials.app.user}:${encodeURIComponent(cluster.credentials.app.password)}@127.0.0.1:${cluster.node('node1').hostPort}/${cluster.credentials.app.database}?sslrootcert=${caFile()}`, DB_PLATFORM: 'rds', DB_READ_HOSTS: '' });
      expect(loaded.failover).toMatchObject({ platform: 'rds', failoverWindowMs: PLATFORM_DEFAULTS.rds.failoverWindowMs, tls: { mode: 'verify-full' } });
      const db = open(loaded);
      await expect(write(db, 7)).resolves.toMatchObject({ committed_by: 'node1' });
    });
  });

  it('reads a session its own write from the primary while the replica lags (read-your-writes), and others from the replica', async () => {
    const db = open(config(cluster.node('node1').hostPort, [cluster.node('node2').hostPort], { readYourWritesMs: 10_000 }));
    await cluster.query('node2', 'SELECT pg_wal_replay_pause()');
    try {
      const id = '7b7e6f7e-7777-4777-8777-777777777777';
      await db.countries.create({ id, name: 'Lagland', is_eu_member: false }, 'session-a');
      expect(await db.countries.find(id, 'session-a')).toMatchObject({ name: 'Lagland' });
      // Another session reads from the replica, which has not replayed the write.
      expect(await db.countries.find(id, 'session-b')).toBeNull();
    } finally {
      await cluster.query('node2', 'SELECT pg_wal_replay_resume()');
    }
  });

  describe('session guarantees by WAL position (the default), with the replica replay paused', () => {
    const pausedReplica = async (body: () => Promise<void>) => {
      await cluster.query('node2', 'SELECT pg_wal_replay_pause()');
      try {
        await body();
      } finally {
        await cluster.query('node2', 'SELECT pg_wal_replay_resume()');
      }
    };

    it("reads a session's own write from the primary while the replica lags, another session's from the replica, and the replica again once it has replayed it", async () => {
      const db = open(config(cluster.node('node1').hostPort, [cluster.node('node2').hostPort]));
      const id = '8b7e6f7e-8888-4888-8888-888888888881';
      await pausedReplica(async () => {
        await db.countries.create({ id, name: 'Poslandia', is_eu_member: false }, 'pos-a');
        // The replica answered first, behind the write: refused, and read again on the primary.
        expect(await db.countries.findServed(id, 'pos-a')).toMatchObject({ row: { name: 'Poslandia' }, servedBy: { node: 'node1', recovery: false, timeline: 1 } });
        // Another session never wrote: the replica's answer (it has not replayed the row) stands.
        expect(await db.countries.findServed(id, 'pos-b')).toMatchObject({ row: null, servedBy: { node: 'node2', recovery: true } });
      });
      // Replayed now: the writing session's reads go back to the replica.
      await waitFor('the replica answers the session its own write', async () => (await db.countries.findServed(id, 'pos-a')).servedBy?.node === 'node2', { timeoutMs: 10_000, intervalMs: 100 });
      expect(await db.countries.findServed(id, 'pos-a')).toMatchObject({ row: { name: 'Poslandia' }, servedBy: { node: 'node2' } });
    });

    it('never takes back what a session saw: once it read a row on the primary, the lagging replica does not answer it', async () => {
      const db = open(config(cluster.node('node1').hostPort, [cluster.node('node2').hostPort, cluster.node('node1').hostPort]));
      const id = '8b7e6f7e-8888-4888-8888-888888888882';
      await pausedReplica(async () => {
        await db.countries.create({ id, name: 'Monotonia', is_eu_member: false }, 'pos-writer');
        // Two reads at a time: once the pool holds a connection to each read host (Sequelize opens
        // them in turn), a round has an answer from the lagging node2 and one from node1. Until then
        // (a busy machine: the first read returns node2's connection before node1's is open) both
        // may come from node2, so the rounds go on until the session has seen the row, then three more.
        const rounds = async (db: Database, session: string) => {
          const out = [];
          let seenAt = -1;
          for (let i = 0; i < 12 && (seenAt < 0 || i <= seenAt + 3); i++) {
            const round = await Promise.all([db.countries.findServed(id, session), db.countries.findServed(id, session)]);
            out.push(round);
            if (seenAt < 0 && round.some((a) => a.row !== null)) seenAt = i;
          }
          return { seenAt, after: out.slice(seenAt + 1) };
        };
        const kept = await rounds(db, 'pos-m');
        expect(kept.seenAt).toBeGreaterThanOrEqual(0);
        expect(kept.after).toHaveLength(3);
        // After the round that saw it, every answer has it: node2's answers were refused and read again on node1.
        expect(kept.after.flat().every((a) => a.row !== null && a.servedBy?.node === 'node1')).toBe(true);
        // Without the guarantee, node2 goes on answering that it is not there.
        const off = open(config(cluster.node('node1').hostPort, [cluster.node('node2').hostPort, cluster.node('node1').hostPort], { sessionConsistency: 'off' }));
        const loose = await rounds(off, 'pos-off');
        expect(loose.after.flat().filter((a) => a.row === null && a.servedBy?.node === 'node2').length).toBeGreaterThan(0);
      });
    });
  });

  describe("a schema of the app's own and node names from a table, as a drill on a cluster whose nodes share a cluster_name sets them", () => {
    it('DB_SCHEMA=flipdrill and DB_NODE_NAMES=table: the tables and both migration records land in flipdrill, not public, on every pool; rows name the node as node_names says', async () => {
      const { user, password, database } = cluster.credentials.app;
      const sql = <T extends Record<string, unknown>>(text: string, params: unknown[] = []) => cluster.query<T>('node1', text, params, database);
      // What the drill does: the schema (the app's to create tables in), node_names with the
      // primary's address as the app's connections reach it, and nothing for the replica.
      const [{ address }] = (await sql<{ address: string }>("SELECT host(inet_server_addr()) || ':' || inet_server_port() AS address")) as [{ address: string }];
      await sql(`CREATE SCHEMA flipdrill AUTHORIZATION "${user}"`);
      await sql('CREATE TABLE flipdrill.node_names (address text PRIMARY KEY, name text NOT NULL)');
      await sql(`GRANT SELECT ON flipdrill.node_names TO "${user}"`);
      await sql("INSERT INTO flipdrill.node_names VALUES ($1, 'pgX')", [address]);

      const ca = path.join(mkdtempSync(path.join(os.tmpdir(), 'flipdrill-ca-')), 'ca.pem');
      writeFileSync(ca, cluster.credentials.ca!);
      const loaded = loadConfig({
        DATABASE_URL: `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${cluster.node('node1').hostPort}/${database}?sslrootcert=${ca}`,
        DB_READ_HOSTS: `127.0.0.1:${cluster.node('node2').hostPort}`,
        DB_SCHEMA: 'flipdrill',
        DB_NODE_NAMES: 'table',
        // The analytics database is the app database, in the same schema.
        ANALYTICS_DB_NAME: database,
      });
      const db = open(loaded);
      await db.ensureSchema();

      const id = 'ab7e6f7e-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
      expect(await db.countries.create({ id, name: 'Schemaland', is_eu_member: false })).toMatchObject({ id, committed_by: 'pgX', committed_timeline: 1 });
      expect(await db.events!.create({ id: 'bb7e6f7e-bbbb-4bbb-8bbb-bbbbbbbbbbbb', name: 'drilled' })).toMatchObject({ committed_by: 'pgX' });
      expect(await db.writeEndpointNode()).toEqual({ node: 'pgX', inRecovery: false });
      expect(await db.bank.open('schema-', 2, 100)).toMatchObject({ node: 'pgX', replica: false });
      expect(await db.bank.transfer({ id: 'cb7e6f7e-cccc-4ccc-8ccc-cccccccccccc', from: 'schema-a0', to: 'schema-a1', amount: 5 })).toMatchObject({ committed_by: 'pgX' });

      const tables = await sql<{ schemaname: string; tablename: string }>(
        "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = 'flipdrill' OR tablename IN ('events', 'SequelizeMetaAnalytics') ORDER BY 1, 2",
      );
      expect(tables).toEqual(['SequelizeMeta', 'SequelizeMetaAnalytics', 'accounts', 'countries', 'events', 'node_names', 'transfers'].map((tablename) => ({ schemaname: 'flipdrill', tablename })));
      // The row is in flipdrill's countries only (public has its own, from the tests above).
      const holders: string[] = [];
      for (const { schemaname } of await sql<{ schemaname: string }>("SELECT schemaname FROM pg_tables WHERE tablename = 'countries' ORDER BY 1")) {
        const [{ n }] = (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schemaname}".countries WHERE id = $1`, [id])) as [{ n: number }];
        if (n > 0) holders.push(schemaname);
      }
      expect(holders).toEqual(['flipdrill']);
      // Each set of migrations in its own record.
      expect((await sql<{ name: string }>('SELECT name FROM flipdrill."SequelizeMeta" ORDER BY 1')).map((r) => r.name)).toEqual(['0001-countries.ts', '0002-bank.ts']);
      expect((await sql<{ name: string }>('SELECT name FROM flipdrill."SequelizeMetaAnalytics" ORDER BY 1')).map((r) => r.name)).toEqual(['0001-events.ts']);

      // The read pool's connections have the search_path too: the replica answers from
      // flipdrill's accounts, and names itself by its cluster_name, which node_names does not map.
      const fromReplica = await waitFor(
        "the replica's answer with both accounts",
        async () => {
          const s = await db.bank.snapshot('schema-', 'replica');
          return s.replica && Object.keys(s.balances).length === 2 ? s : undefined;
        },
        { timeoutMs: 15_000 },
      );
      expect(fromReplica).toEqual({ node: 'node2', replica: true, balances: { 'schema-a0': 95, 'schema-a1': 105 } });
    });
  });

  describe('the failover module on its own', () => {
    const modules: FailoverSequelize[] = [];
    const module = (overrides: Partial<FailoverConfig>) => {
      const m = createFailoverSequelize(config(cluster.node('node1').hostPort, [], overrides).failover, { logger: log });
      modules.push(m);
      return m;
    };
    afterAll(async () => {
      for (const m of modules) await m.close().catch(() => {});
    });

    it('retries a SERIALIZABLE unit of work whole after a serialization failure, so concurrent increments all count', async () => {
      const m = module({ failoverWindowMs: 20_000, poolMax: 8 });
      await m.sequelize.query('CREATE TABLE IF NOT EXISTS counter (id int PRIMARY KEY, n int NOT NULL)');
      await m.sequelize.query('INSERT INTO counter VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET n = 0');
      let retried = 0;
      // Every first attempt reads before any of them writes (a barrier, not luck with timing: on a
      // busy machine the eight could otherwise run one after another and never conflict).
      const workers = 8;
      let read = 0;
      let allRead!: () => void;
      const everyoneHasRead = new Promise<void>((resolve) => (allRead = resolve));
      const barrier = async () => {
        read += 1;
        if (read === workers) allRead();
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`only ${read} of ${workers} first attempts read within 20 s`)), 20_000)));
        await Promise.race([everyoneHasRead, deadline]).finally(() => clearTimeout(timer));
      };
      const increment = () =>
        m.unitOfWork('increment', (attempt) => {
          if (attempt.number > 1) retried += 1;
          return m.sequelize.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.SERIALIZABLE }, async (transaction) => {
            const [row] = await m.sequelize.query<{ n: number }>('SELECT n FROM counter WHERE id = 1', { transaction, type: QueryTypes.SELECT });
            if (attempt.number === 1) await barrier();
            await m.sequelize.query('UPDATE counter SET n = $1 WHERE id = 1', { transaction, bind: [row!.n + 1] });
          });
        });
      await Promise.all(Array.from({ length: workers }, increment));
      const [row] = await m.sequelize.query<{ n: number }>('SELECT n FROM counter WHERE id = 1', { type: QueryTypes.SELECT });
      expect(row!.n).toBe(workers);
      // All eight read n = 0 before any wrote: only one of them can commit first time; the other
      // seven fail to serialize and are run again whole, and still every increment counts.
      expect(retried).toBeGreaterThanOrEqual(workers - 1);
    });

    it('calls a password function for every new connection (a token provider), and retires connections past their age', async () => {
      let tokens = 0;
      const password = async () => {
        tokens += 1;
        return cluster.credentials.app.password;
      };
      const m = module({ password, maxConnectionAgeMs: 1, poolMax: 1 });
      for (let i = 0; i < 3; i++) {
        await m.sequelize.query('SELECT 1', { type: QueryTypes.SELECT });
        await new Promise((r) => setTimeout(r, 10));
      }
      // Each query found the pooled connection too old, so each opened a new one with a new token.
      expect(tokens).toBe(3);
    });
  });

  describe('the Aurora DSQL profile, through its seams, against the local primary', () => {
    const dsqlConfig = (): AppConfig => {
      const base = config(cluster.node('node1').hostPort, []);
      return { ...base, failover: { ...base.failover, ...PLATFORM_DEFAULTS.dsql, platform: 'dsql', database: 'flipdrill_dsql' } };
    };

    // Both tests use it: made here, so that either runs on its own.
    beforeAll(async () => {
      await cluster.query('node1', `CREATE DATABASE flipdrill_dsql OWNER ${cluster.credentials.app.user}`);
      // The app's user is not DSQL's admin: its tables go to a schema of its own, as on DSQL.
      await cluster.query('node1', `CREATE SCHEMA myschema AUTHORIZATION ${cluster.credentials.app.user}`, [], 'flipdrill_dsql');
    });

    it('gets a token for every connection through dialectModule, sends no client_min_messages, makes its table with createTable, and writes', async () => {
      const sent: string[] = [];
      let tokens = 0;
      const driver = tokenDriver(
        async () => {
          tokens += 1;
          return cluster.credentials.app.password;
        },
        (sql) => sent.push(sql),
      );
      const db = createDatabase(dsqlConfig(), log, { driver });
      databases.push(db);
      await db.ensureSchema();
      const row = await db.countries.create({ id: '8b7e6f7e-8888-4888-8888-888888888888', name: 'Dsqland', is_eu_member: false });
      expect(row).toMatchObject({ name: 'Dsqland', committed_by: 'dsql', committed_timeline: 1 });
      expect(tokens).toBeGreaterThan(0);
      expect(sent.some((q) => /client_min_messages/i.test(q))).toBe(false);
      expect(sent.some((q) => /^CREATE TABLE IF NOT EXISTS "countries"/.test(q))).toBe(true);
      // Not admin: every connection set its search_path, and the table is in myschema, not public.
      expect(sent.some((q) => q === 'SET search_path TO "myschema"')).toBe(true);
      expect(await cluster.query('node1', "SELECT schemaname FROM pg_tables WHERE tablename = 'countries'", [], 'flipdrill_dsql')).toEqual([{ schemaname: 'myschema' }]);
      // sync() would have read the table's indexes back from the catalogue; createTable does not.
      expect(sent.some((q) => /pg_index/.test(q))).toBe(false);
    });
  });
});

describe('a read from a node on a replaced timeline, refused by the aware layer', () => {
  // node2 promoted by hand while node1 stays up as a primary and node3 goes on following it: node1
  // is a deposed primary and node3 a standby still following it, both on timeline 1.
  const THREE = { name: 'fdtest-app-deposed', portBase: 24532, appPort: 24580, backSubnet: '10.213.43.0/24', frontSubnet: '10.213.44.0/24', standbys: 2, app: false };
  let cluster: StartedCluster;
  const databases: Database[] = [];

  beforeAll(async () => {
    const logger = createLogger();
    const docker = await connectDocker({ logger, allowInstall: false });
    cluster = await startCluster(THREE, { docker, images: await new ImageBuilder({ docker, logger }).ensureAll(), logger });
  });

  afterAll(async () => {
    for (const db of databases) await db.close().catch(() => {});
    await cluster?.stop();
  });

  it('once node2 answered as primary on timeline 2, no answer comes from node3 or node1 on timeline 1: each such read goes to the primary, or fails', async () => {
    const { user, password, database } = cluster.credentials.app;
    // The app's role may read pg_stat_wal_receiver's received_tli: each standby says its timeline.
    await cluster.query('node1', `GRANT pg_read_all_stats TO "${user}"`);
    const port = (node: string) => cluster.node(node).hostPort;
    const db = createDatabase(
      {
        httpPort: 0,
        profile: 'aware',
        failover: { ...AWARE_DEFAULTS, platform: 'repmgr', database, user, password, write: { host: '127.0.0.1', port: port('node1') }, reads: [port('node2'), port('node3')].map((p) => ({ host: '127.0.0.1', port: p })), poolMax: 4, failoverWindowMs: 300 },
      },
      log,
    );
    databases.push(db);
    await db.ensureSchema();
    const id = '9b7e6f7e-9999-4999-8999-999999999991';
    await db.countries.create({ id, name: 'Deposia', is_eu_member: false }, 'writer');
    const replayed = async (node: string) => (await cluster.query<{ n: string }>(node, `SELECT count(*) AS n FROM countries WHERE id = '${id}'`, [], database))[0]?.n === '1';
    await waitFor('both standbys replayed the row', async () => (await replayed('node2')) && (await replayed('node3')), { timeoutMs: 10_000, intervalMs: 100 });

    // Four reads at a time, so the pool opens connections to both read hosts (Sequelize takes them
    // in turn as it opens connections) and both answer. Until node3's connection is open (a busy
    // machine: node2's, opened first, can serve every read of the first rounds), the rounds go on.
    const AT_ONCE = 4;
    const round = () => Promise.all(Array.from({ length: AT_ONCE }, () => db.countries.findServed(id, 'reader').then((a) => a.servedBy?.node ?? '?', () => 'failed')));
    const before: string[] = [];
    await waitFor('a read answered by node3', async () => (before.push(...(await round())), before.includes('node3')), { timeoutMs: 15_000, intervalMs: 50 });
    expect(before).not.toContain('failed');

    await cluster.query('node2', 'SELECT pg_promote(true, 30)');
    await waitFor('node2 answers as primary', async () => (await cluster.query<{ r: boolean }>('node2', 'SELECT pg_is_in_recovery() AS r'))[0]?.r === false, { timeoutMs: 30_000, intervalMs: 200 });
    const after: string[] = [];
    for (let i = 0; i < 6; i++) after.push(...(await round()));
    const first = after.indexOf('node2');
    expect(first).toBeGreaterThanOrEqual(0);
    // From the round after the one node2 first answered in (others ran beside it), node3's answers
    // were refused and read again on the primary's pool, which leads to node1, also on timeline 1:
    // refused too, so those reads failed.
    const later = after.slice((Math.floor(first / AT_ONCE) + 1) * AT_ONCE);
    expect(later.length).toBeGreaterThanOrEqual(12);
    expect(later.filter((n) => n === 'node3' || n === 'node1')).toEqual([]);
    expect(later).toContain('failed');
  });
});
