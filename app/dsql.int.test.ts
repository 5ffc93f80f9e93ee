/**
 * The app's Aurora DSQL profile against the DSQL stand-in (cluster/dsql/stand-in.ts), and the very
 * same tests against plain PostgreSQL: what passes on both is code that runs on DSQL as far as the
 * stand-in knows; what only the stand-in refuses is what a test against plain PostgreSQL would have
 * let through (TRUNCATE, a foreign key, FOR UPDATE by a non-key column, PL/pgSQL, a concurrent
 * update). Also: AWS's connector itself, with made-up credentials, signing a token that reaches the
 * stand-in as the password, and its failure to sign one reported at once, not retried.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { DataTypes, Model, type ModelStatic } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDocker, createLogger, ImageBuilder, startCluster, type StartedCluster } from '../cluster/index.ts';
import { startDsqlStandIn, type DsqlStandIn } from '../cluster/dsql/stand-in.ts';
import { classify } from './failover/classify.ts';
import { AWARE_DEFAULTS, PLATFORM_DEFAULTS, type FailoverConfig } from './failover/config.ts';
import { awsDsqlDriver, createDsqlSequelize, tokenDriver } from './failover/dsql.ts';
import type { FailoverSequelize } from './failover/sequelize.ts';

const CLUSTER = { name: 'fdtest-dsql', portBase: 27532, appPort: 27580, backSubnet: '10.213.61.0/24', frontSubnet: '10.213.62.0/24', app: false };
const log = pino({ level: 'silent' });
const DATABASE = 'flipdrill_dsql';

let cluster: StartedCluster;
let standIn: DsqlStandIn;

beforeAll(async () => {
  const logger = createLogger();
  const docker = await connectDocker({ logger, allowInstall: false });
  const images = await new ImageBuilder({ docker, logger }).ensureAll();
  cluster = await startCluster(CLUSTER, { docker, images, logger });
  const app = cluster.credentials.app;
  await cluster.query('node1', `CREATE DATABASE ${DATABASE} OWNER ${app.user}`);
  await cluster.query('node1', `CREATE SCHEMA myschema AUTHORIZATION ${app.user}`, [], DATABASE);
  standIn = await startDsqlStandIn({ upstream: { host: '127.0.0.1', port: cluster.node('node1').hostPort, database: DATABASE, user: app.user, password: app.password } });
});

afterAll(async () => {
  await standIn?.stop();
  await cluster?.stop();
});

/** The app's DSQL profile, through the token seam, at one of the two servers. */
function dsql(target: 'stand-in' | 'postgres', overrides: Partial<FailoverConfig> = {}): FailoverSequelize {
  const app = cluster.credentials.app;
  const config: FailoverConfig = {
    ...AWARE_DEFAULTS,
    ...PLATFORM_DEFAULTS.dsql,
    platform: 'dsql',
    reads: [],
    // On DSQL: admin and the one database, postgres. Here, without the stand-in: the app's role,
    // which (not being admin) works in myschema.
    ...(target === 'stand-in'
      ? { database: 'postgres', user: 'admin', password: 'a-token', write: { host: standIn.host, port: standIn.port } }
      : { database: DATABASE, user: app.user, password: app.password, write: { host: '127.0.0.1', port: cluster.node('node1').hostPort } }),
    failoverWindowMs: 1000,
    ...overrides,
  };
  return createDsqlSequelize(config, { logger: log, driver: tokenDriver(async () => config.password as string) });
}

/** A table of its own per server, made as the app makes its tables on DSQL: createTable, a UUID key. */
async function widgets(db: FailoverSequelize): Promise<ModelStatic<Model>> {
  const attributes = { id: { type: DataTypes.UUID, primaryKey: true }, name: { type: DataTypes.STRING(100), allowNull: false }, kind: { type: DataTypes.STRING(20), allowNull: false, validate: { isIn: [['small', 'large']] } } };
  await db.sequelize.getQueryInterface().createTable('widgets', attributes);
  const Widget = class extends Model {};
  Widget.init(attributes, { sequelize: db.sequelize, tableName: 'widgets', timestamps: false });
  return Widget;
}

const id = (n: number) => `9b7e6f7e-9999-4999-8999-${String(n).padStart(12, '0')}`;
const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ran',
    (e: unknown) => `${classify(e).code}: ${(e as Error).message}`,
  );

describe.each([
  ['the DSQL stand-in', 'stand-in'],
  ['plain PostgreSQL', 'postgres'],
] as const)("the app's DSQL profile against %s", (_label, target) => {
  const refusedHere = target === 'stand-in';
  let db: FailoverSequelize;
  let Widget: ModelStatic<Model>;

  beforeAll(async () => {
    db = dsql(target);
    Widget = await widgets(db);
  });
  afterAll(async () => {
    await db?.close();
  });

  it("runs the app's way: createTable, UUID keys, STRING with isIn, upsert, destroy instead of truncate, a lock by primary key", async () => {
    await Widget.create({ id: id(1), name: 'one', kind: 'small' });
    await Widget.upsert({ id: id(1), name: 'one again', kind: 'large' });
    await db.sequelize.transaction(async (transaction) => {
      const w = await Widget.findByPk(id(1), { lock: transaction.LOCK.UPDATE, transaction });
      await w!.update({ name: 'locked' }, { transaction });
    });
    expect((await Widget.findByPk(id(1)))!.get('name')).toBe('locked');
    await Widget.destroy({ where: {} });
    expect(await Widget.count()).toBe(0);
  });

  it(`TRUNCATE: ${refusedHere ? 'refused, as DSQL refuses it' : 'runs (DSQL would refuse it)'}`, async () => {
    const result = await outcome(Widget.truncate());
    if (refusedHere) expect(result).toMatch(/^0A000: TRUNCATE is not supported in Aurora DSQL/);
    else expect(result).toBe('ran');
  });

  it(`a foreign key: ${refusedHere ? 'refused' : 'made (DSQL would refuse it)'}`, async () => {
    const result = await outcome(
      db.sequelize.getQueryInterface().createTable('widget_parts', {
        id: { type: DataTypes.UUID, primaryKey: true },
        widget: { type: DataTypes.UUID, references: { model: 'widgets', key: 'id' } },
      }),
    );
    if (refusedHere) expect(result).toMatch(/^0A000: a foreign key is not supported/);
    else expect(result).toBe('ran');
  });

  it(`SELECT ... FOR UPDATE by a column that is not the key: ${refusedHere ? 'refused' : 'runs (DSQL would refuse it)'}`, async () => {
    const result = await outcome(db.sequelize.transaction((transaction) => Widget.findAll({ where: { name: 'one' }, lock: transaction.LOCK.UPDATE, transaction })));
    if (refusedHere) expect(result).toMatch(/^0A000: locking clauses .* need an equality predicate on the table's primary key/);
    else expect(result).toBe('ran');
  });

  it(`PL/pgSQL (a DO block): ${refusedHere ? 'refused' : 'runs (DSQL would refuse it)'}`, async () => {
    const result = await outcome(db.sequelize.query('DO $$ BEGIN PERFORM 1; END $$'));
    if (refusedHere) expect(result).toMatch(/^0A000: PL\/pgSQL \(a DO block\) is not supported/);
    else expect(result).toBe('ran');
  });

  it(`two transactions updating one row: ${refusedHere ? 'the second is told OC000 without waiting' : 'the second waits for the first, then runs (DSQL would abort one)'}`, async () => {
    await Widget.create({ id: id(2), name: 'contended', kind: 'small' });
    const first = await db.sequelize.transaction();
    await Widget.update({ name: 'first' }, { where: { id: id(2) }, transaction: first });
    const second = await db.sequelize.transaction();
    const secondUpdate = outcome(Widget.update({ name: 'second' }, { where: { id: id(2) }, transaction: second }));
    const early = await Promise.race([secondUpdate, sleep(1500).then(() => 'still waiting')]);
    await first.commit();
    const late = await secondUpdate;
    await second.rollback().catch(() => {});
    if (refusedHere) {
      expect(early).toMatch(/^OC000: mutation conflicts with another transaction, retry as needed \(OC000\)/);
    } else {
      expect(early).toBe('still waiting');
      expect(late).toBe('ran');
    }
  });

  it(`a unit of work that meets a conflict: ${refusedHere ? 'run again from BEGIN until it goes through, applied once' : 'no conflict, it waits, applied once'}`, async () => {
    await Widget.create({ id: id(3), name: 'counter', kind: 'small' });
    const holder = await db.sequelize.transaction();
    await Widget.update({ name: 'held' }, { where: { id: id(3) }, transaction: holder });
    const attempts: number[] = [];
    await db.unitOfWork('append', (attempt) =>
      db.sequelize.transaction(async (transaction) => {
        attempts.push(attempt.number);
        // The row is held by another transaction for 300 ms after the first attempt starts.
        if (attempt.number === 1) setTimeout(() => void holder.commit().catch(() => {}), 300);
        await Widget.update({ name: db.sequelize.literal("name || '+'") }, { where: { id: id(3) }, transaction });
      }),
    );
    // Applied once, after the holder's commit, whatever the number of attempts.
    expect((await Widget.findByPk(id(3)))!.get('name')).toBe('held+');
    if (refusedHere) expect(attempts.length).toBeGreaterThan(1);
    else expect(attempts).toEqual([1]);
  });
});

describe('the DSQL stand-in on its own', () => {
  it('gives public to admin only: another role without its search_path is refused, with it (the app sets it on every connection) it works', async () => {
    // A role that is not admin, and no search_path set: as if the afterConnect hook were missing.
    const bare = createDsqlSequelize(
      { ...AWARE_DEFAULTS, ...PLATFORM_DEFAULTS.dsql, platform: 'dsql', reads: [], database: 'postgres', user: 'app_role', password: 'a-token', write: { host: standIn.host, port: standIn.port }, failoverWindowMs: 500, schema: 'myschema' },
      { logger: log, driver: tokenDriver(async () => 'a-token') },
    );
    try {
      // The profile sets search_path TO myschema: the table goes there.
      await bare.sequelize.getQueryInterface().createTable('gadgets', { id: { type: DataTypes.UUID, primaryKey: true } });
      expect(await cluster.query('node1', "SELECT schemaname FROM pg_tables WHERE tablename = 'gadgets'", [], DATABASE)).toEqual([{ schemaname: 'myschema' }]);
      const refused = await outcome(bare.sequelize.query('CREATE TABLE public.gadgets (id uuid PRIMARY KEY)'));
      expect(refused).toMatch(/^42501: permission denied for schema public/);
    } finally {
      await bare.close();
    }
    expect(standIn.stats().refused['public-schema']).toBeGreaterThan(0);
  });

  it("AWS's connector, with made-up credentials, signs a token per connection that reaches the stand-in as the password; without credentials it fails at once", async () => {
    const saved = { ...process.env };
    // Nothing but these: no shared files, no instance metadata service (it would be a real address).
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIAFLIPDRILLEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'not-a-real-secret-key-for-flipdrill-tests',
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/flipdrill/credentials',
      AWS_CONFIG_FILE: '/nonexistent/flipdrill/config',
    });
    delete process.env.AWS_PROFILE;
    const config: FailoverConfig = { ...AWARE_DEFAULTS, ...PLATFORM_DEFAULTS.dsql, platform: 'dsql', reads: [], database: 'postgres', user: 'admin', password: '', write: { host: standIn.host, port: standIn.port }, failoverWindowMs: 3000 };
    const driver = await awsDsqlDriver();
    try {
      const before = standIn.stats().logins.length;
      const db = createDsqlSequelize(config, { logger: log, driver });
      try {
        await db.unitOfWork('select', () => db.sequelize.query('SELECT 1'));
      } finally {
        await db.close();
      }
      const login = standIn.stats().logins.at(-1)!;
      expect(standIn.stats().logins.length).toBeGreaterThan(before);
      expect(login.user).toBe('admin');
      expect(login.password).toMatch(/Action=DbConnectAdmin/);
      expect(login.password).toMatch(/X-Amz-Signature=[0-9a-f]{64}/);

      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
      const none = createDsqlSequelize(config, { logger: log, driver });
      try {
        const error = (await none.unitOfWork('select', () => none.sequelize.query('SELECT 1')).catch((e: unknown) => e)) as { classification: { verdict: string; code: string }; attempts: number };
        expect(error.classification).toMatchObject({ verdict: 'fatal', code: 'DSQL_TOKEN' });
        expect(error.attempts).toBe(1);
      } finally {
        await none.close();
      }
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });
});
