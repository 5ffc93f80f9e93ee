/**
 * The sequelize-cli workflow against a real cluster that requires TLS: `npm run db:migrate`,
 * `db:seed`, `db:migrate:undo` and `db:migrate:status` for each of the app's two databases, in
 * the test environment, with the CA from a file (sslmode verify-full by default). The app's own
 * start runs the same migration files and finds them done. Databases of their own, so the app's
 * are left alone.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../app/db.ts';
import { AWARE_DEFAULTS } from '../app/failover/config.ts';
import { connectDocker, createLogger, ImageBuilder, REPO_ROOT, startCluster, type StartedCluster } from '../cluster/index.ts';
import { runCommand } from './test-support/run-command.ts';

const CLUSTER = { name: 'fdtest-dbcli', portBase: 28632, appPort: 28680, backSubnet: '10.213.63.0/24', frontSubnet: '10.213.64.0/24', tls: true, app: false };
const names = { app: 'flipdrill_cli', analytics: 'flipdrill_cli_analytics' };

let cluster: StartedCluster;
let env: NodeJS.ProcessEnv;
const opened: Database[] = [];

beforeAll(async () => {
  const logger = createLogger();
  const docker = await connectDocker({ logger, allowInstall: false });
  const images = await new ImageBuilder({ docker, logger }).ensureAll();
  cluster = await startCluster(CLUSTER, { docker, images, logger });
  for (const db of Object.values(names)) await cluster.query('node1', `CREATE DATABASE ${db} OWNER ${cluster.credentials.app.user}`);
  const ca = path.join(mkdtempSync(path.join(os.tmpdir(), 'flipdrill-ca-')), 'ca.pem');
  writeFileSync(ca, cluster.credentials.ca!);
  env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DB_USER: cluster.credentials.app.user,
    DB_PASSWORD: cluster.credentials.app.password,
    DB_NAME: names.app,
    ANALYTICS_DB_NAME: names.analytics,
    DB_WRITE_HOST: '127.0.0.1',
    DB_PORT: String(cluster.node('node1').hostPort),
    DB_SSL_CA_FILE: ca,
  };
});

afterAll(async () => {
  for (const db of opened) await db.close().catch(() => {});
  await cluster?.stop();
});

const npm = async (script: string, args: string[], environment = env) => {
  const r = await runCommand('npm', ['run', '-s', script, '--', ...args], { cwd: REPO_ROOT, env: environment, timeoutMs: 120_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
};
const tables = async (database: string) =>
  (await cluster.query<{ t: string }>('node1', "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", [], database)).map((r) => r.t);
const meta = async (database: string) => (await cluster.query<{ name: string }>('node1', 'SELECT name FROM "SequelizeMeta" ORDER BY 1', [], database)).map((r) => r.name);

describe('the sequelize-cli workflow: npm run db:migrate, db:seed, db:migrate:undo, per database', () => {
  it('migrates both databases (test environment), and a second run does nothing', async () => {
    const first = await npm('db:migrate', ['--env', 'test']);
    expect(first.status, first.output).toBe(0);
    expect(first.output).toMatch(/== 0001-countries: migrated/);
    expect(first.output).toMatch(/== 0001-events: migrated/);
    expect(await tables(names.app)).toEqual(['SequelizeMeta', 'accounts', 'countries', 'transfers']);
    expect(await tables(names.analytics)).toEqual(['SequelizeMeta', 'events']);
    const again = await npm('db:migrate', ['--env', 'test']);
    expect(again.status, again.output).toBe(0);
    expect(again.output).not.toMatch(/: migrated/);
    expect(again.output).toMatch(/No migrations were executed/);
  });

  it("the app's own start finds them done: the same migrations, recorded in the same SequelizeMeta", async () => {
    const { app, ca } = cluster.credentials;
    const failover = {
      ...AWARE_DEFAULTS,
      platform: 'repmgr' as const,
      database: names.app,
      user: app.user,
      password: app.password,
      write: { host: '127.0.0.1', port: cluster.node('node1').hostPort },
      reads: [],
      tls: { ca: ca! },
      failoverWindowMs: 2000,
    };
    const db = createDatabase({ httpPort: 0, profile: 'aware', failover, analytics: { ...failover, database: names.analytics } }, pino({ level: 'silent' }));
    opened.push(db);
    // Had it run them again, createTable would fail on a table that is there.
    await db.ensureSchema();
    expect(await meta(names.app)).toEqual(['0001-countries.ts', '0002-bank.ts']);
    expect(await meta(names.analytics)).toEqual(['0001-events.ts']);
  });

  it('seeds twice and has the same rows (the seeders are idempotent)', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await npm('db:seed', ['--env', 'test']);
      expect(r.status, r.output).toBe(0);
    }
    const [countries] = await cluster.query<{ n: string }>('node1', "SELECT count(*) AS n FROM countries WHERE id::text LIKE '00000000-5eed-%'", [], names.app);
    expect(Number(countries!.n)).toBe(3);
    const [events] = await cluster.query<{ n: string }>('node1', 'SELECT count(*) AS n FROM events', [], names.analytics);
    expect(Number(events!.n)).toBe(1);
  });

  it('undoes the last migration of one database only, says so in its status, and migrates it again', async () => {
    const undo = await npm('db:migrate:undo', ['--db', 'analytics', '--env', 'test']);
    expect(undo.status, undo.output).toBe(0);
    expect(await tables(names.analytics)).toEqual(['SequelizeMeta']);
    expect(await meta(names.analytics)).toEqual([]);
    expect(await tables(names.app)).toContain('countries');
    const status = await npm('db:migrate:status', ['--db', 'analytics', '--env', 'test']);
    expect(status.output).toMatch(/down 0001-events\.ts/);
    const redo = await npm('db:migrate', ['--db', 'analytics', '--env', 'test']);
    expect(redo.status, redo.output).toBe(0);
    expect(await tables(names.analytics)).toEqual(['SequelizeMeta', 'events']);
  });

  it('refuses bad input in one line with exit 2, and production without saying where', async () => {
    const bad = await npm('db:migrate', ['--db', 'nope']);
    expect(bad.status).toBe(2);
    expect(bad.output).toMatch(/^db: --db takes app, analytics, all, not "nope"/);
    const { DB_WRITE_HOST: _, ...withoutHost } = env;
    const r = await npm('db:migrate:status', ['--env', 'production'], withoutHost);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/production environment needs DATABASE_URL or DB_WRITE_HOST/);
  });
});
