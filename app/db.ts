/**
 * The app's data layer: the tutorial's Country model on one of two Sequelize setups.
 *
 *   aware  app/failover: timeouts, keepalive, epoch and age checks on pooled connections, a role
 *          check on write connections, whole-unit retries from the classifier, idempotent retries
 *          of writes whose outcome is unknown, read fallback and read-your-writes
 *   naive  the tutorial's configuration as users write it, each operation tried once
 *
 * Sequelize is used only here and in app/failover.
 */
import { DataTypes, Model, QueryTypes, type Sequelize } from 'sequelize';
import type { Logger } from 'pino';
import { classify } from './failover/classify.ts';
import { createTutorialSequelize } from './failover/naive.ts';
import { createFailoverSequelize, DatabaseOperationError, type Attempt, type FailoverSequelize } from './failover/sequelize.ts';
import { createDsqlSequelize } from './failover/dsql.ts';
import type { Platform } from './failover/config.ts';
import type pg from 'pg';
import type { AppConfig } from './config.ts';

export { DatabaseOperationError };

/** One model class per database: Model.init binds a class to one Sequelize instance. */
export class Country extends Model {
  declare id: string;
  declare name: string;
  declare is_eu_member: boolean;
  declare committed_by: string;
  declare committed_timeline: number;
  declare committed_at: Date;
}

export interface CountryInput {
  id: string;
  name: string;
  is_eu_member: boolean;
}

/** A row as the API returns it: what the client wrote plus the database's own stamps. */
export interface CountryRow extends CountryInput {
  committed_by: string;
  committed_timeline: number;
  committed_at: string;
}

export interface Database {
  readonly profile: 'naive' | 'aware';
  /** `session` (optional) ties reads to earlier writes for read-your-writes. */
  createCountry(input: CountryInput, session?: string): Promise<CountryRow>;
  findCountry(id: string, session?: string): Promise<CountryRow | null>;
  listCountries(limit: number): Promise<CountryRow[]>;
  /** Which node the write endpoint leads to, asked of the database itself. */
  writeEndpointNode(): Promise<{ node: string; inRecovery: boolean }>;
  ensureSchema(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The stamps use PostgreSQL's cluster_name and WAL position, which a repmgr node and RDS have;
 * Aurora DSQL has neither (nor timelines), so there the stamps are plain.
 */
function stamps(sequelize: Sequelize, platform: Platform) {
  if (platform === 'dsql') {
    return { by: sequelize.literal("'dsql'"), timeline: 1, at: sequelize.literal('CURRENT_TIMESTAMP') };
  }
  return {
    by: sequelize.literal("current_setting('cluster_name')"),
    timeline: sequelize.literal("('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int"),
    at: sequelize.literal('clock_timestamp()'),
  };
}

function defineCountry(sequelize: Sequelize, platform: Platform = 'repmgr'): typeof Country {
  const stamp = stamps(sequelize, platform);
  // A subclass per call: two databases in one process (or in a test) must not share the binding.
  const Bound = class extends Country {};
  Bound.init(
    {
      // The client chooses the id (a UUID), so an unknown outcome can be checked and a retry detected.
      id: { type: DataTypes.UUID, primaryKey: true },
      name: { type: DataTypes.STRING(200), allowNull: false },
      is_eu_member: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      // Stamped by the server that commits the row: which node, on which timeline, when. The
      // checker uses them to measure downtime from the database's own clock and to spot writes
      // committed by two different primaries.
      committed_by: { type: DataTypes.TEXT, allowNull: false, defaultValue: stamp.by },
      committed_timeline: { type: DataTypes.INTEGER, allowNull: false, defaultValue: stamp.timeline },
      committed_at: { type: DataTypes.DATE(6), allowNull: false, defaultValue: stamp.at },
    },
    { sequelize, modelName: 'Country', tableName: 'countries', timestamps: false },
  );
  return Bound;
}

const toRow = (c: Country): CountryRow => ({
  id: c.id,
  name: c.name,
  is_eu_member: c.is_eu_member,
  committed_by: c.committed_by,
  committed_timeline: c.committed_timeline,
  committed_at: new Date(c.committed_at).toISOString(),
});

const ENDPOINT_SQL = "SELECT current_setting('cluster_name') AS node, pg_is_in_recovery() AS in_recovery";

export interface DatabaseOptions {
  /** The pg module for Sequelize: required for Aurora DSQL (AWS's connector, or tokenDriver locally). */
  driver?: typeof pg;
}

export function createDatabase(config: AppConfig, log: Logger, options: DatabaseOptions = {}): Database {
  return config.profile === 'naive' ? naiveDatabase(config) : awareDatabase(config, log, options);
}

function awareDatabase(config: AppConfig, log: Logger, options: DatabaseOptions): Database {
  const platform = config.failover.platform;
  if (platform === 'dsql' && !options.driver) throw new Error('the dsql platform needs a driver: awsDsqlDriver() or tokenDriver()');
  const db: FailoverSequelize =
    platform === 'dsql' ? createDsqlSequelize(config.failover, { logger: log, driver: options.driver! }) : createFailoverSequelize(config.failover, { logger: log, driver: options.driver });
  const { sequelize } = db;
  const Country = defineCountry(sequelize, platform);

  /**
   * An idempotent insert. If an earlier attempt's outcome is unknown (its connection died while
   * committing), a duplicate key on the retry means that attempt committed: the row is read back
   * from the primary and, if it is the same write, the insert succeeded. Never reported twice,
   * never reported failed when it happened.
   */
  async function insertOnce(input: CountryInput, attempt: Attempt): Promise<Country> {
    try {
      return await Country.create({ ...input });
    } catch (error) {
      if (!attempt.earlierOutcomeUnknown || classify(error).code !== '23505') throw error;
      const existing = await Country.findByPk(input.id, { useMaster: true });
      if (existing && existing.name === input.name && existing.is_eu_member === input.is_eu_member) {
        log.info({ id: input.id, attempt: attempt.number }, 'an earlier attempt had committed: the retry found its row');
        return existing;
      }
      throw error;
    }
  }

  return {
    profile: 'aware',
    async createCountry(input, session) {
      const row = await db.unitOfWork('insert', (attempt) => insertOnce(input, attempt), { idempotent: true });
      db.noteWrite(session);
      return toRow(row);
    },
    async findCountry(id, session) {
      const found = await db.read('find', (useMaster) => Country.findByPk(id, { useMaster }), session);
      return found ? toRow(found) : null;
    },
    async listCountries(limit) {
      const rows = await db.read('list', (useMaster) => Country.findAll({ useMaster, limit, order: [['committed_at', 'ASC']] }));
      return rows.map(toRow);
    },
    async writeEndpointNode() {
      const rows = await db.unitOfWork('health', () => sequelize.query<{ node: string; in_recovery: boolean }>(ENDPOINT_SQL, { type: QueryTypes.SELECT, useMaster: true }), {
        idempotent: true,
      });
      return { node: rows[0]?.node ?? '?', inRecovery: Boolean(rows[0]?.in_recovery) };
    },
    async ensureSchema() {
      // DSQL: createTable, not sync(): sync's index introspection breaks on DSQL's metadata.
      const create = platform === 'dsql' ? () => sequelize.getQueryInterface().createTable(Country.getTableName(), Country.getAttributes()) : () => Country.sync();
      await db.unitOfWork('create table', async () => void (await create()), { idempotent: true });
    },
    close: () => db.close(),
  };
}

/**
 * The tutorial's way: one try, and whatever goes wrong is a 500 the app cannot explain. The
 * outcome is always "unknown" (the app does not know whether its write happened); the code is
 * still reported, so a drill can count the errors by kind.
 */
function naiveDatabase(config: AppConfig): Database {
  const sequelize = createTutorialSequelize(config.failover);
  const Country = defineCountry(sequelize);
  const once = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw new DatabaseOperationError({ ...classify(error), outcome: 'unknown' }, error);
    }
  };
  return {
    profile: 'naive',
    createCountry: async (input) => toRow(await once(() => Country.create({ ...input }))),
    async findCountry(id) {
      const found = await once(() => Country.findByPk(id));
      return found ? toRow(found) : null;
    },
    listCountries: async (limit) => (await once(() => Country.findAll({ limit, order: [['committed_at', 'ASC']] }))).map(toRow),
    async writeEndpointNode() {
      const rows = await once(() => sequelize.query<{ node: string; in_recovery: boolean }>(ENDPOINT_SQL, { type: QueryTypes.SELECT, useMaster: true }));
      return { node: rows[0]?.node ?? '?', inRecovery: Boolean(rows[0]?.in_recovery) };
    },
    ensureSchema: () => once(() => Country.sync()).then(() => undefined),
    close: () => sequelize.close(),
  };
}
