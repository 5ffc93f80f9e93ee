/**
 * Capture the errors pg and Sequelize really raise in a failover, from a running flipdrill
 * cluster, into app/failover/fixtures/captured-errors.json. The classifier's unit tests run on
 * these captures, so they test what the drivers do, not what we think they do.
 *
 *   npm run flipdrill -- up --tls          (any cluster; --tls adds the untrusted-CA case)
 *   npx tsx app/failover/capture-errors.ts [--name flipdrill]
 *
 * Every connection goes to the cluster's published ports on 127.0.0.1, or to a proxy this script
 * runs on 127.0.0.1 in front of them (to reset or close a connection in the middle of a query).
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import pino from 'pino';
import { QueryTypes, Sequelize, Transaction, type Options } from 'sequelize';
import { attachCluster, connectDocker, createLogger, waitFor, type StartedCluster } from '../../cluster/index.ts';
import { generateUnrelatedCa } from '../../cluster/tls.ts';
import { AWARE_DEFAULTS } from './settings.ts';
import { createFailoverSequelize } from './sequelize.ts';

export interface CapturedError {
  name?: string;
  message?: string;
  code?: string;
  parent?: CapturedError;
  original?: CapturedError;
}

export interface Capture {
  case: string;
  /** How the error was produced. */
  how: string;
  /** Which layer raised it: Sequelize (as an app sees it) or pg. */
  layer: 'sequelize' | 'pg' | 'failover-module';
  error: CapturedError;
}

/** Keep what a classifier could read: name, message, code, and the wrapped errors. */
function serialize(e: unknown, depth = 0): CapturedError {
  const o = e as Record<string, unknown>;
  const out: CapturedError = {};
  if (typeof o?.name === 'string') out.name = o.name;
  if (typeof o?.message === 'string') out.message = o.message;
  if (typeof o?.code === 'string') out.code = o.code;
  if (depth < 2 && o?.parent) out.parent = serialize(o.parent, depth + 1);
  if (depth < 2 && o?.original && o.original !== o.parent) out.original = serialize(o.original, depth + 1);
  return out;
}

async function expectError(what: string, fn: () => Promise<unknown>): Promise<unknown> {
  if (process.env.CAPTURE_VERBOSE) process.stderr.write(`capturing: ${what}\n`);
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error(`capturing "${what}": no error was raised`);
}

/** Wait (at most 10 s) until the server runs the sleep of the connection named `application`. */
async function whenSleeping(cluster: StartedCluster, node: string, application: string): Promise<void> {
  await waitFor(`${application}'s query to run`, async () => {
    const rows = await cluster.query(node, "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND query LIKE 'SELECT pg_sleep%'", [application]);
    return rows.length > 0;
  }, { timeoutMs: 10_000, intervalMs: 20 });
}

/** A TCP proxy on 127.0.0.1 in front of a node port, which can cut its connections on demand. */
async function proxyTo(port: number) {
  const sockets: { client: net.Socket; server: net.Socket }[] = [];
  const proxy = net.createServer((client) => {
    const server = net.connect(port, '127.0.0.1');
    client.pipe(server).pipe(client);
    client.on('error', () => {});
    server.on('error', () => {});
    sockets.push({ client, server });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return {
    port: (proxy.address() as net.AddressInfo).port,
    /** RST to the client, as when a floating IP moves away under an open connection. */
    reset: () => sockets.forEach(({ client, server }) => (client.resetAndDestroy(), server.destroy())),
    /** FIN to the client, as when a proxy or the node closes it. */
    close: () => sockets.forEach(({ client, server }) => (client.destroy(), server.destroy())),
    stop: () => new Promise<void>((r) => proxy.close(() => r())),
  };
}

/** TLS as the app uses it, when the cluster requires it. */
const tlsOf = (cluster: StartedCluster) => (cluster.credentials.ca ? { ssl: { require: true, rejectUnauthorized: true, ca: cluster.credentials.ca } } : {});

function sequelizeTo(cluster: StartedCluster, port: number, extra: Record<string, unknown> = {}, password = cluster.credentials.app.password): Sequelize {
  const { ssl, ...dialectOptions } = { ...tlsOf(cluster), ...extra } as Record<string, unknown>;
  return new Sequelize(cluster.credentials.app.database, cluster.credentials.app.user, password, {
    dialect: 'postgres',
    dialectModule: pg,
    host: '127.0.0.1',
    port,
    logging: false,
    retry: { max: 1 },
    pool: { max: 2, min: 0, acquire: 5000 },
    databaseVersion: '15.0.0',
    dialectOptions: { connectionTimeoutMillis: 3000, ...dialectOptions, ...(ssl ? { ssl } : {}) },
  } as Options);
}

export async function captureErrors(cluster: StartedCluster): Promise<Capture[]> {
  const primary = (await cluster.primary())!;
  const standby = cluster.dataNodes.find((n) => n.name !== primary)!.name;
  const primaryPort = cluster.node(primary).hostPort;
  const standbyPort = cluster.node(standby).hostPort;
  const captures: Capture[] = [];
  const add = (c: string, how: string, layer: Capture['layer'], error: unknown) => captures.push({ case: c, how, layer, error: serialize(error) });
  const closers: (() => Promise<unknown>)[] = [];
  const seq = (port: number, extra?: Record<string, unknown>, password?: string) => {
    const s = sequelizeTo(cluster, port, extra, password);
    closers.push(() => s.close());
    return s;
  };

  try {
    const closed = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => closed.once('listening', r));
    const closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    add('connection refused', 'connect to a closed port on 127.0.0.1', 'sequelize', await expectError('refused', () => seq(closedPort).authenticate()));

    const resetter = net.createServer((s) => s.resetAndDestroy());
    await new Promise<void>((r) => resetter.listen(0, '127.0.0.1', r));
    add('reset at connect', 'a server that answers the connection with RST', 'sequelize', await expectError('reset at connect', () => seq((resetter.address() as net.AddressInfo).port).authenticate()));
    resetter.close();

    for (const [kind, cut] of [
      ['reset', 'reset'],
      ['terminated', 'close'],
    ] as const) {
      const proxy = await proxyTo(primaryPort);
      const s = seq(proxy.port, { application_name: `capture-${kind}` });
      await s.authenticate();
      // The error is awaited from the start, so its rejection is never unhandled.
      const query = expectError(kind, () => s.query('SELECT pg_sleep(2)'));
      await whenSleeping(cluster, primary, `capture-${kind}`);
      proxy[cut]();
      add(
        kind === 'reset' ? 'reset mid-query' : 'connection terminated mid-query',
        kind === 'reset' ? 'RST from a proxy while SELECT pg_sleep(2) runs' : 'FIN from a proxy while SELECT pg_sleep(2) runs',
        'sequelize',
        await query,
      );
      await proxy.stop();
    }

    const app = seq(primaryPort);
    await app.query('CREATE TABLE IF NOT EXISTS capture_errors (id int PRIMARY KEY, n int NOT NULL)');
    await app.query('INSERT INTO capture_errors VALUES (1, 0) ON CONFLICT (id) DO NOTHING');

    const victim = seq(primaryPort, { application_name: 'capture-victim' });
    await victim.authenticate();
    const sleeping = expectError('57P01', () => victim.query('SELECT pg_sleep(5)'));
    await whenSleeping(cluster, primary, 'capture-victim');
    await cluster.query(primary, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'capture-victim'");
    add('57P01 admin shutdown', 'pg_terminate_backend() while SELECT pg_sleep(5) runs', 'sequelize', await sleeping);

    const client = new pg.Client({ host: '127.0.0.1', port: primaryPort, user: cluster.credentials.app.user, password: cluster.credentials.app.password, database: cluster.credentials.app.database, application_name: 'capture-victim-pg', ...tlsOf(cluster) });
    client.on('error', () => {});
    await client.connect();
    const pgSleeping = expectError('57P01 pg', () => client.query('SELECT pg_sleep(5)'));
    await whenSleeping(cluster, primary, 'capture-victim-pg');
    await cluster.query(primary, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'capture-victim-pg'");
    add('57P01 admin shutdown', 'pg_terminate_backend() while SELECT pg_sleep(5) runs', 'pg', await pgSleeping);
    await client.end().catch(() => {});

    add('25006 read-only', `INSERT on the standby ${standby}`, 'sequelize', await expectError('25006', () => seq(standbyPort).query('INSERT INTO capture_errors VALUES (2, 0)')));
    const pgStandby = new pg.Client({ host: '127.0.0.1', port: standbyPort, user: cluster.credentials.app.user, password: cluster.credentials.app.password, database: cluster.credentials.app.database, ...tlsOf(cluster) });
    await pgStandby.connect();
    add('25006 read-only', `INSERT on the standby ${standby}`, 'pg', await expectError('25006 pg', () => pgStandby.query('INSERT INTO capture_errors VALUES (2, 0)')));
    await pgStandby.end();

    // Two SERIALIZABLE transactions that both read, then both write: one must fail with 40001.
    const a = await app.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.SERIALIZABLE });
    const b = await app.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.SERIALIZABLE });
    await app.query('SELECT n FROM capture_errors WHERE id = 1', { transaction: a, type: QueryTypes.SELECT });
    await app.query('SELECT n FROM capture_errors WHERE id = 1', { transaction: b, type: QueryTypes.SELECT });
    await app.query('UPDATE capture_errors SET n = n + 1 WHERE id = 1', { transaction: a });
    await a.commit();
    add('40001 serialization failure', 'two SERIALIZABLE transactions read then update the same row', 'sequelize', await expectError('40001', () => app.query('UPDATE capture_errors SET n = n + 1 WHERE id = 1', { transaction: b })));
    await b.rollback().catch(() => {});

    add('23505 duplicate key', 'the same primary key inserted twice (what an idempotent retry of a committed insert meets)', 'sequelize', await expectError('23505', () => app.query('INSERT INTO capture_errors VALUES (1, 0)')));

    add('query read timeout', 'query_timeout 300 ms on SELECT pg_sleep(1)', 'sequelize', await expectError('timeout', () => seq(primaryPort, { query_timeout: 300 }).query('SELECT pg_sleep(1)')));

    add('28P01 bad password', 'the app user with a wrong password', 'sequelize', await expectError('28P01', () => seq(primaryPort, {}, 'not-the-password').authenticate()));

    // A transaction whose connection died: the next statement in it is not even sent.
    const proxy = await proxyTo(primaryPort);
    const doomed = seq(proxy.port);
    const t = await doomed.transaction();
    await doomed.query('SELECT 1', { transaction: t });
    proxy.reset();
    // Until pg has seen the reset and marked the client unusable.
    const pgClient = (t as unknown as { connection: { _queryable?: boolean } }).connection;
    await waitFor('pg to notice the reset', async () => pgClient._queryable === false, { timeoutMs: 5000, intervalMs: 10 });
    add('not queryable', 'a statement in a transaction whose connection was reset', 'sequelize', await expectError('not queryable', () => doomed.query('SELECT 1', { transaction: t })));
    await t.rollback().catch(() => {});
    await proxy.stop();

    const failover = createFailoverSequelize(
      {
        ...AWARE_DEFAULTS,
        platform: 'repmgr',
        database: cluster.credentials.app.database,
        user: cluster.credentials.app.user,
        password: cluster.credentials.app.password,
        write: { host: '127.0.0.1', port: standbyPort },
        reads: [{ host: '127.0.0.1', port: standbyPort }],
        ...(cluster.credentials.ca ? { tls: { ca: cluster.credentials.ca } } : {}),
      },
      { logger: pino({ level: 'silent' }) },
    );
    closers.push(() => failover.close());
    add('role mismatch', 'the failover module with its write endpoint on the standby', 'failover-module', await expectError('role', () => failover.sequelize.query('SELECT 1', { useMaster: true })));

    if (cluster.credentials.ca) {
      add('untrusted certificate', 'TLS with rejectUnauthorized and a CA that did not sign the server', 'sequelize', await expectError('tls', () => seq(primaryPort, { ssl: { require: true, rejectUnauthorized: true, ca: generateUnrelatedCa() } }).authenticate()));
    }
    await app.query('DROP TABLE capture_errors');
  } finally {
    for (const close of closers) await close().catch(() => {});
  }
  return captures;
}

export const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'captured-errors.json');

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { name: { type: 'string', default: 'flipdrill' } } });
  const logger = createLogger();
  const cluster = await attachCluster(await connectDocker({ logger }), logger, values.name);
  if (!cluster) {
    process.stderr.write(`capture-errors: no cluster named "${values.name}" is running (npm run flipdrill -- up --tls)\n`);
    process.exit(2);
  }
  const captures = await captureErrors(cluster);
  mkdirSync(path.dirname(FIXTURE), { recursive: true });
  const require = createRequire(import.meta.url);
  const [server] = await cluster.query<{ version: string }>((await cluster.primary())!, "SELECT current_setting('server_version') AS version");
  const versions = { pg: require('pg/package.json').version, sequelize: require('sequelize/package.json').version, postgres: server?.version, node: process.version, tls: Boolean(cluster.credentials.ca) };
  writeFileSync(FIXTURE, `${JSON.stringify({ capturedAt: new Date().toISOString(), versions, captures }, null, 2)}\n`);
  process.stdout.write(`captured ${captures.length} errors into ${path.relative(process.cwd(), FIXTURE)}\n`);
}
