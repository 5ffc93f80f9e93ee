/**
 * The only place a Sequelize instance is built. Replicated reads and writes as in the tutorial
 * (shared/seeds/002): writes through the floating endpoint, reads from the replicas. Sequelize's
 * defaults do not survive a failover (shared/reference/sequelize-failover.md); every setting below
 * says which failure it is for. The full failover-aware module (read-your-writes, idempotent
 * retries of unknown outcomes, profiles for RDS and Aurora DSQL) grows from here.
 */
import pg from 'pg';
import { DataTypes, Model, QueryTypes, Sequelize, type Options } from 'sequelize';
import type { Logger } from 'pino';
import { classify, RoleMismatchError, type Classification } from './classify.ts';
import type { AppConfig } from './config.ts';

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

export class DatabaseOperationError extends Error {
  constructor(readonly classification: Classification, cause: unknown) {
    super(classification.message, { cause });
    this.name = 'DatabaseOperationError';
  }
}

interface TaggedConnection {
  _invalid?: boolean;
  _ending?: boolean;
  __flipdrillEpoch?: number;
  connection?: { stream?: { setKeepAlive?: (on: boolean, delay: number) => void } };
  query(sql: string): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}

export interface Database {
  createCountry(input: CountryInput): Promise<CountryRow>;
  findCountry(id: string): Promise<CountryRow | null>;
  listCountries(limit: number): Promise<CountryRow[]>;
  /** Which node the write endpoint leads to, asked of the database itself. */
  writeEndpointNode(): Promise<{ node: string; inRecovery: boolean }>;
  ensureSchema(): Promise<void>;
  close(): Promise<void>;
}

const WRITE_ROLE = '__flipdrillWrite';

export function createDatabase(config: AppConfig, log: Logger): Database {
  // Bumped on every sign that the primary moved. `validate` then refuses every pooled connection
  // opened before, so no request keeps talking to a demoted or dead node ([E6], [E17]).
  let epoch = 0;
  const signalFailover = (c: Classification) => {
    if (!c.failoverSignal) return;
    epoch += 1;
    log.debug({ epoch, code: c.code }, 'failover signal: recycling pooled connections');
  };

  // databaseVersion is honoured at run time but missing from Sequelize v6's Options type.
  const options: Options & { databaseVersion: string } = {
    dialect: 'postgres',
    // Pass pg explicitly: the bundled app has no node_modules for Sequelize to require it from.
    dialectModule: pg,
    database: config.database,
    username: config.user,
    password: config.password,
    logging: false,
    replication: {
      read: config.reads.map((r) => ({ host: r.host, port: r.port })),
      write: { host: config.write.host, port: config.write.port, [WRITE_ROLE]: true } as { host: string; port: number },
    },
    // Without this Sequelize asks the write host for its version on first use, so with the
    // primary down even reads fail (sequelize#9845, [E4]).
    databaseVersion: '15.0.0',
    // Sequelize's query-level retry re-runs a statement on the same dead connection and its
    // backoff is shorter than any failover ([E5], [E15]): off. Requests retry whole operations below.
    retry: { max: 1 },
    pool: {
      max: config.poolMax,
      min: 0,
      // Idle connections to a node that is no longer primary go away quickly.
      idle: 5000,
      evict: 1000,
      // One timer covers waiting for a connection and opening one; keep it near the connect timeout.
      acquire: config.connectTimeoutMs + 2000,
      // Synchronous only (sequelize-pool calls it without await): keep the default checks and add the epoch.
      validate: (connection: unknown) => {
        const c = connection as TaggedConnection;
        return !c._invalid && !c._ending && c.__flipdrillEpoch === epoch;
      },
    },
    dialectOptions: {
      application_name: 'flipdrill-app',
      // pg waits forever by default: a black-holed endpoint would hang every request ([E8]).
      connectionTimeoutMillis: config.connectTimeoutMs,
      query_timeout: config.queryTimeoutMs,
      // Server-side guard for a statement the client gave up on. It does not cut a commit's wait
      // for a synchronous standby (measured on PG 15: a 1 s statement_timeout, the standby
      // frozen, the INSERT kept waiting), so it cannot turn such a wait into an acknowledgement.
      statement_timeout: config.queryTimeoutMs,
      idle_in_transaction_session_timeout: 10_000,
      keepAlive: true,
    },
    hooks: {
      afterConnect: async (connection: unknown, hostConfig: unknown) => {
        const c = connection as TaggedConnection;
        c.__flipdrillEpoch = epoch;
        // Sequelize drops keepAliveInitialDelayMillis; set the delay on the socket itself ([E14]).
        c.connection?.stream?.setKeepAlive?.(true, config.keepAliveDelayMs);
        if ((hostConfig as Record<string, unknown>)[WRITE_ROLE]) {
          // libpq's target_session_attrs=read-write, by hand: the endpoint may still (or again)
          // lead to a standby. End the connection before throwing or it leaks ([E16]).
          const { rows } = await c.query('SHOW transaction_read_only');
          if (rows[0]?.transaction_read_only === 'on') {
            await c.end().catch(() => {});
            throw new RoleMismatchError(`the write endpoint ${config.write.host} leads to a read-only node`);
          }
        }
      },
    },
  };

  const sequelize = new Sequelize(options);

  Country.init(
    {
      // The client chooses the id (a UUID), so an unknown outcome can be checked and a retry detected.
      id: { type: DataTypes.UUID, primaryKey: true },
      name: { type: DataTypes.STRING(200), allowNull: false },
      is_eu_member: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      // Stamped by the server that commits the row: which node, on which timeline, when. The
      // checker uses them to measure downtime from the database's own clock and to spot writes
      // committed by two different primaries.
      committed_by: { type: DataTypes.TEXT, allowNull: false, defaultValue: sequelize.literal("current_setting('cluster_name')") },
      committed_timeline: {
        type: DataTypes.INTEGER,
        allowNull: false,
        defaultValue: sequelize.literal("('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int"),
      },
      committed_at: { type: DataTypes.DATE(6), allowNull: false, defaultValue: sequelize.literal('clock_timestamp()') },
    },
    { sequelize, modelName: 'Country', tableName: 'countries', timestamps: false },
  );

  const toRow = (c: Country): CountryRow => ({
    id: c.id,
    name: c.name,
    is_eu_member: c.is_eu_member,
    committed_by: c.committed_by,
    committed_timeline: c.committed_timeline,
    committed_at: new Date(c.committed_at).toISOString(),
  });

  /**
   * Run one operation; on an error that surely did not execute (refused connect, read-only node,
   * server starting), retry with backoff until `requestRetryMs` is spent. Anything else is
   * reported with its classification: the HTTP layer turns it into outcome failed / unknown.
   */
  async function withRetry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + config.requestRetryMs;
    let delay = 50;
    for (;;) {
      try {
        return await fn();
      } catch (error) {
        const c = classify(error);
        signalFailover(c);
        if (!c.retryable || Date.now() + delay > deadline) throw new DatabaseOperationError(c, error);
        log.debug({ what, code: c.code, delay }, 'retrying an operation that did not execute');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 400);
      }
    }
  }

  /** Reads go to a replica; if that replica cannot be reached, to the primary instead (sequelize#7180). */
  async function read<T>(what: string, fn: (useMaster: boolean) => Promise<T>): Promise<T> {
    try {
      return await fn(false);
    } catch (error) {
      const c = classify(error);
      signalFailover(c);
      if (c.outcome === 'unknown' || c.retryable) return withRetry(what, () => fn(true));
      throw new DatabaseOperationError(c, error);
    }
  }

  return {
    async createCountry(input) {
      return toRow(await withRetry('insert', () => Country.create({ ...input })));
    },
    async findCountry(id) {
      const found = await read('find', (useMaster) => Country.findByPk(id, { useMaster }));
      return found ? toRow(found) : null;
    },
    async listCountries(limit) {
      const rows = await read('list', (useMaster) => Country.findAll({ useMaster, limit, order: [['committed_at', 'ASC']] }));
      return rows.map(toRow);
    },
    async writeEndpointNode() {
      const rows = (await withRetry('health', () =>
        sequelize.query("SELECT current_setting('cluster_name') AS node, pg_is_in_recovery() AS in_recovery", {
          type: QueryTypes.SELECT,
          useMaster: true,
        }),
      )) as { node: string; in_recovery: boolean }[];
      const row = rows[0];
      return { node: row?.node ?? '?', inRecovery: Boolean(row?.in_recovery) };
    },
    async ensureSchema() {
      await withRetry('create table', () => Country.sync());
    },
    async close() {
      await sequelize.close();
    },
  };
}
