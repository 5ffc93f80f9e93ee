/**
 * The app's data layer: the tutorial's countries in the app database and, optionally, events in
 * an analytics database, each on its own Sequelize instance with its own settings (seed 003: one
 * app, several databases), on one of two setups:
 *
 *   aware  app/failover: timeouts, keepalive, epoch and age checks on pooled connections, a role
 *          check on write connections, whole-unit retries from the classifier, idempotent retries
 *          of writes whose outcome is unknown, read fallback and read-your-writes
 *   naive  the tutorial's configuration as users write it, each operation tried once
 *
 * Sequelize is used only here, in app/migrations.ts and in app/failover.
 */
import { DataTypes, Model, QueryTypes, Utils, type ModelAttributes, type ModelStatic, type Sequelize } from 'sequelize';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { AppConfig } from './config.ts';
import { classify } from './failover/classify.ts';
import { nodeNameSql, stampColumns, type NodeNames } from './db/stamps.ts';
import { findServed, findServedSql, type ServedBy } from './db/served-by.ts';
import type { FailoverConfig } from './failover/settings.ts';
import { createTutorialSequelize } from './failover/naive.ts';
import { createConfiguredSequelize } from './failover/configured.ts';
import { DatabaseOperationError, type Attempt, type FailoverSequelize } from './failover/sequelize.ts';
import { ANALYTICS_MIGRATIONS_TABLE, analyticsMigrations, appMigrations, migrate, sharesMigrationsTable, type MigrationsRecord } from './migrations.ts';
import { platformOf } from './platforms/index.ts';
import { createBank, defineBankModels, type Bank } from './bank.ts';

export { DatabaseOperationError };

export interface CountryInput {
  id: string;
  name: string;
  is_eu_member: boolean;
}

export interface EventInput {
  id: string;
  name: string;
}

/** The database's own stamps on every row: which node committed it, on which timeline, when. */
interface Stamps {
  committed_by: string;
  committed_timeline: number;
  committed_at: string;
}

export type CountryRow = CountryInput & Stamps;
export type EventRow = EventInput & Stamps;

/** One table in one database, with the operations the HTTP layer needs. */
export interface Table<Input, Row> {
  create(input: Input, session?: string): Promise<Row>;
  find(id: string, session?: string): Promise<Row | null>;
  /** find, and which node answered (where the platform's nodes have names): a miss says who missed it. */
  findServed(id: string, session?: string): Promise<{ row: Row | null; servedBy?: ServedBy }>;
  list(limit: number): Promise<Row[]>;
}

export interface Database {
  readonly profile: 'naive' | 'aware' | 'config';
  readonly countries: Table<CountryInput, CountryRow>;
  /** Present when the app is configured with an analytics database. */
  readonly events?: Table<EventInput, EventRow>;
  /** The bank workload's accounts and transfers, in the app database. */
  readonly bank: Bank;
  /** Which node the app database's write endpoint leads to, asked of the database itself. */
  writeEndpointNode(): Promise<{ node: string; inRecovery: boolean }>;
  /** Apply each database's migrations. */
  ensureSchema(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** The pg module for Sequelize: required for Aurora DSQL (AWS's connector, or tokenDriver locally). */
  driver?: typeof pg;
}

/** The node the endpoint leads to, named as the stamps name it (DB_NODE_NAMES). */
const endpointSql = (nodeNames?: NodeNames) => `SELECT ${nodeNameSql(nodeNames)} AS node, pg_is_in_recovery() AS in_recovery`;

type Row = Model & Record<string, unknown>;

/**
 * A model class of its own per Sequelize instance: Model.init binds a class to one instance.
 * `stamps`: the stamp columns as the platform defines them (app/platforms/).
 */
function defineCountry(sequelize: Sequelize, stamps: ModelAttributes): ModelStatic<Row> {
  const Country = class extends Model {};
  Country.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true },
      name: { type: DataTypes.STRING(200), allowNull: false },
      is_eu_member: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      ...stamps,
    },
    { sequelize, modelName: 'Country', tableName: 'countries', timestamps: false },
  );
  return Country as ModelStatic<Row>;
}

function defineEvent(sequelize: Sequelize, stamps: ModelAttributes): ModelStatic<Row> {
  const Event = class extends Model {};
  Event.init(
    { id: { type: DataTypes.UUID, primaryKey: true }, name: { type: DataTypes.STRING(200), allowNull: false }, ...stamps },
    { sequelize, modelName: 'Event', tableName: 'events', timestamps: false },
  );
  return Event as ModelStatic<Row>;
}

function toRow<R>(row: Row | Record<string, unknown>, fields: string[]): R {
  const get = row instanceof Model ? (f: string) => row.get(f) : (f: string) => row[f];
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = get(f);
  out.committed_at = new Date(get('committed_at') as string).toISOString();
  return out as R;
}

interface QueryGenerator {
  insertQuery(table: unknown, values: Record<string, unknown>, attributes: unknown, options: { returning: string[] }): { query: string; bind?: unknown[] };
}

/**
 * The INSERT ... RETURNING that `M.create()` sends, generated once by Sequelize's own query
 * generator from the model: the columns the caller gives as bind parameters, the stamps as their
 * SQL defaults. Sent with `sequelize.query` through the same pools and hooks. create() builds that
 * statement anew for every row, validates what the HTTP layer has already validated (and what
 * the table's constraints check again), and makes a model instance for the answer; measured, that
 * was most of the CPU an insert cost the app (docs/benchmarks.md, "The data layer").
 */
function insertStatement(M: ModelStatic<Row>, given: string[], fields: string[]): { sql: string; columns: string[] } {
  const sequelize = M.sequelize!;
  const attributes = M.getAttributes();
  const columns = Object.keys(attributes).filter((k) => given.includes(k));
  const values: Record<string, unknown> = {};
  for (const [k, a] of Object.entries(attributes)) {
    const sql = a.defaultValue instanceof Utils.Literal ? a.defaultValue : sequelize.literal(sequelize.escape(a.defaultValue as string | number));
    values[k] = columns.includes(k) ? `$${k}` : sql;
  }
  const generator = (sequelize.getQueryInterface() as unknown as { queryGenerator: QueryGenerator }).queryGenerator;
  const { query, bind } = generator.insertQuery(M.getTableName(), values, attributes, { returning: fields });
  // Every given column must have become a bind parameter, in order ($1 is the first column).
  if (!bind || bind.length !== columns.length || bind.some((v, i) => v !== `$${columns[i]}`)) throw new Error(`cannot prepare the insert into ${M.tableName}: ${query}`);
  return { sql: query, columns };
}

const STAMP_FIELDS = ['committed_by', 'committed_timeline', 'committed_at'];
/** What the caller gives for each row; the database adds its stamps. */
const COUNTRY_INPUT = ['id', 'name', 'is_eu_member'];
const EVENT_INPUT = ['id', 'name'];
const COUNTRY_FIELDS = [...COUNTRY_INPUT, ...STAMP_FIELDS];
const EVENT_FIELDS = [...EVENT_INPUT, ...STAMP_FIELDS];

/**
 * Where a database's migrations are recorded: in its schema (DB_SCHEMA), and for the analytics
 * migrations in a table of their own when the two databases are one.
 */
function migrationsRecord(config: AppConfig, database: 'app' | 'analytics'): MigrationsRecord {
  const cfg = database === 'app' ? config.failover : config.analytics!;
  const own = database === 'analytics' && sharesMigrationsTable(config.failover, cfg);
  return { ...(cfg.searchPath ? { schema: cfg.searchPath } : {}), ...(own ? { table: ANALYTICS_MIGRATIONS_TABLE } : {}) };
}

export function createDatabase(config: AppConfig, log: Logger, options: DatabaseOptions = {}): Database {
  if (config.profile === 'config') return naiveDatabase(config, (cfg) => createConfiguredSequelize(cfg, config.sequelizeOptions ?? {}), 'config');
  return config.profile === 'naive' ? naiveDatabase(config) : awareDatabase(config, log, options);
}

function awareSequelize(config: FailoverConfig, log: Logger, options: DatabaseOptions): FailoverSequelize {
  return platformOf(config).sequelize(config, { logger: log, driver: options.driver });
}

/** A table on the aware data layer: idempotent inserts through units of work, reads with fallback. */
function awareTable<Input extends { id: string }, R>(db: FailoverSequelize, M: ModelStatic<Row>, columns: string[], fields: string[], log: Logger, served: { nodeNames?: NodeNames } | false): Table<Input, R> {
  /**
   * If an earlier attempt's outcome is unknown (its connection died while committing), a
   * duplicate key on the retry means that attempt committed: the row is read back from the
   * primary and, if it is the same write, the insert succeeded. Never reported twice, never
   * reported failed when it happened.
   */
  const insert = insertStatement(M, columns, fields);
  let findSql: ((id: string) => string) | undefined;
  async function insertOnce(input: Input, attempt: Attempt): Promise<Row | Record<string, unknown>> {
    try {
      const given = input as unknown as Record<string, unknown>;
      const rows = await M.sequelize!.query<Record<string, unknown>>(insert.sql, { bind: insert.columns.map((c) => given[c]), type: QueryTypes.SELECT, useMaster: true });
      return rows[0]!;
    } catch (error) {
      if (!attempt.earlierOutcomeUnknown || classify(error).code !== '23505') throw error;
      const existing = await M.findByPk(input.id, { useMaster: true });
      const same = existing && Object.entries(input).every(([k, v]) => existing.get(k) === v);
      if (!same) throw error;
      log.info({ id: input.id, attempt: attempt.number }, 'an earlier attempt had committed: the retry found its row');
      return existing;
    }
  }
  return {
    async create(input, session) {
      const row = await db.unitOfWork(`insert into ${M.tableName}`, (attempt) => insertOnce(input, attempt), { idempotent: true });
      const timeline = (row instanceof Model ? row.get('committed_timeline') : row.committed_timeline) as number | undefined;
      await db.noteWrite(session, typeof timeline === 'number' ? timeline : undefined);
      return toRow<R>(row, fields);
    },
    async find(id, session) {
      const found = await db.read(`find in ${M.tableName}`, (useMaster) => M.findByPk(id, { useMaster }), session);
      return found ? toRow<R>(found, fields) : null;
    },
    async findServed(id, session) {
      if (!served) return { row: await this.find(id, session) };
      const sql = (findSql ??= findServedSql(M, fields, served.nodeNames));
      // The answer says where its node stood: the session's guarantees are kept by it.
      const { row, servedBy } = await db.readAt(`find in ${M.tableName}`, async (useMaster) => {
        const answer = await findServed(M, sql, id, useMaster);
        return { value: answer, at: answer.at };
      }, session);
      return { row: row ? toRow<R>(row, fields) : null, servedBy };
    },
    async list(limit) {
      const rows = await db.read(`list ${M.tableName}`, (useMaster) => M.findAll({ useMaster, limit, order: [['committed_at', 'ASC']] }));
      return rows.map((r) => toRow<R>(r, fields));
    },
  };
}

function awareDatabase(config: AppConfig, log: Logger, options: DatabaseOptions): Database {
  const platform = platformOf(config.failover);
  const app = awareSequelize(config.failover, log, options);
  const analytics = config.analytics ? awareSequelize(config.analytics, log.child({ database: config.analytics.database }), options) : undefined;
  const Country = defineCountry(app.sequelize, platform.stamps(app.sequelize, config.nodeNames));
  const Event = analytics ? defineEvent(analytics.sequelize, platformOf(config.analytics!).stamps(analytics.sequelize, config.nodeNames)) : undefined;
  const ENDPOINT_SQL = endpointSql(config.nodeNames);

  /**
   * Migrations run on a Sequelize instance of their own with no replicas: umzug reads what has
   * already run (SequelizeMeta) with ordinary queries, which a replicated instance would send to a
   * replica that may not have the latest migration yet.
   */
  const migrateOne = async (database: 'app' | 'analytics', models: ModelStatic<Row>[], migrations: typeof appMigrations) => {
    const cfg = database === 'app' ? config.failover : config.analytics!;
    const db = awareSequelize({ ...cfg, reads: [] }, log, options);
    try {
      // The migrations, or what the platform makes instead (DSQL: the models' tables).
      await platformOf(cfg).createTables(db, { database: cfg.database, models, migrations, record: migrationsRecord(config, database) });
    } finally {
      await db.close();
    }
  };

  const bankModels = defineBankModels(app.sequelize, platform.stamps(app.sequelize, config.nodeNames));
  const bank = createBank(
    app.sequelize,
    bankModels,
    {
      write: (what, work) => app.unitOfWork(what, (attempt) => work(attempt), { idempotent: true }),
      read: (what, work) => app.read(what, work),
      noteWrite: (session) => app.noteWrite(session),
    },
    config.nodeNames,
  );

  return {
    profile: 'aware',
    countries: awareTable<CountryInput, CountryRow>(app, Country, COUNTRY_INPUT, COUNTRY_FIELDS, log, platform.nodeStamps && { nodeNames: config.nodeNames }),
    bank,
    ...(analytics && Event
      ? { events: awareTable<EventInput, EventRow>(analytics, Event, EVENT_INPUT, EVENT_FIELDS, log, platformOf(config.analytics!).nodeStamps && { nodeNames: config.nodeNames }) }
      : {}),
    async writeEndpointNode() {
      const rows = await app.unitOfWork('health', () => app.sequelize.query<{ node: string; in_recovery: boolean }>(ENDPOINT_SQL, { type: QueryTypes.SELECT, useMaster: true }), {
        idempotent: true,
      });
      return { node: rows[0]?.node ?? '?', inRecovery: Boolean(rows[0]?.in_recovery) };
    },
    async ensureSchema() {
      // The app's migrations make the countries and the bank's tables (on DSQL: the models' tables);
      // then, not at the same time, the analytics database's.
      await migrateOne('app', [Country, bankModels.Account, bankModels.Transfer], appMigrations);
      if (config.analytics && Event) await migrateOne('analytics', [Event], analyticsMigrations);
    },
    async close() {
      await Promise.all([app.close(), analytics?.close()]);
    },
  };
}

/**
 * The tutorial's way: one try, and whatever goes wrong is a 500 the app cannot explain. The
 * outcome is always "unknown" (the app does not know whether its write happened); the code is
 * still reported, so a drill can count the errors by kind.
 */
function naiveDatabase(config: AppConfig, make: (cfg: FailoverConfig) => Sequelize = createTutorialSequelize, profile: 'naive' | 'config' = 'naive'): Database {
  const app = make(config.failover);
  const analytics = config.analytics ? make(config.analytics) : undefined;
  // The tutorial's configuration is for PostgreSQL: its stamps, whatever the platform.
  const Country = defineCountry(app, stampColumns(app, config.nodeNames));
  const Event = analytics ? defineEvent(analytics, stampColumns(analytics, config.nodeNames)) : undefined;
  const ENDPOINT_SQL = endpointSql(config.nodeNames);
  const once = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw new DatabaseOperationError({ ...classify(error), outcome: 'unknown' }, error);
    }
  };
  const table = <Input extends { id: string }, R>(M: ModelStatic<Row>, fields: string[], findSql = findServedSql(M, fields, config.nodeNames)): Table<Input, R> => ({
    create: async (input) => toRow<R>(await once(() => M.create({ ...(input as Record<string, unknown>) })), fields),
    async find(id) {
      const found = await once(() => M.findByPk(id));
      return found ? toRow<R>(found, fields) : null;
    },
    // Sequelize's own choice of replica, as findByPk makes it: a SELECT on the read pool.
    async findServed(id) {
      const { row, servedBy } = await once(() => findServed(M, findSql, id, false));
      return { row: row ? toRow<R>(row, fields) : null, servedBy };
    },
    list: async (limit) => (await once(() => M.findAll({ limit, order: [['committed_at', 'ASC']] }))).map((r) => toRow<R>(r, fields)),
  });
  const bank = createBank(
    app,
    defineBankModels(app, stampColumns(app, config.nodeNames)),
    {
      write: (_what, work) => once(() => work({ earlierOutcomeUnknown: false })),
      read: (_what, work) => once(() => work(false)),
    },
    config.nodeNames,
  );
  return {
    profile,
    countries: table<CountryInput, CountryRow>(Country, COUNTRY_FIELDS),
    bank,
    ...(Event ? { events: table<EventInput, EventRow>(Event, EVENT_FIELDS) } : {}),
    async writeEndpointNode() {
      const rows = await once(() => app.query<{ node: string; in_recovery: boolean }>(ENDPOINT_SQL, { type: QueryTypes.SELECT, useMaster: true }));
      return { node: rows[0]?.node ?? '?', inRecovery: Boolean(rows[0]?.in_recovery) };
    },
    async ensureSchema() {
      // As sequelize-cli would: against the primary only, one database after the other.
      for (const database of config.analytics ? (['app', 'analytics'] as const) : (['app'] as const)) {
        const direct = make({ ...(database === 'app' ? config.failover : config.analytics!), reads: [] });
        try {
          await once(() => migrate(direct, database === 'app' ? appMigrations : analyticsMigrations, migrationsRecord(config, database)));
        } finally {
          await direct.close();
        }
      }
    },
    async close() {
      await Promise.all([app.close(), analytics?.close()]);
    },
  };
}
