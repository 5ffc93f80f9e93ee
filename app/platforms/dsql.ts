/**
 * Aurora DSQL (the failover layer's side: app/failover/dsql.ts): one endpoint, no replicas, no
 * role change, IAM tokens instead of a password, TLS only, no cluster_name, WAL or timelines.
 *
 *   DB_DSQL_AUTH=password   send DB_PASSWORD instead of an IAM token (a local stand-in)
 *   DB_DSQL_SCHEMA          a role other than admin: its schema (default myschema)
 */
import { DataTypes } from 'sequelize';
import { awsDsqlDriver, createDsqlSequelize, tokenDriver } from '../failover/dsql.ts';
import type { AppPlatform } from './platform.ts';

/** AWS's connector signs a token for every connection; a password only with DB_DSQL_AUTH=password. */
const passwordAuth = (env: NodeJS.ProcessEnv): boolean => env.DB_DSQL_AUTH === 'password';

export const dsql: AppPlatform<'dsql'> = {
  name: 'dsql',
  // Sessions end at 60 min, so recycle at 55; conflicts are retried quickly (the connector's own
  // backoff is 1 to 100 ms).
  failover: { reads: [], verifyRoleOnConnect: false, maxConnectionAgeMs: 55 * 60_000, backoff: { baseMs: 1, maxMs: 100 } },
  nodeStamps: false,
  env: {
    tokens: (env) => !passwordAuth(env),
    // TLS only: verified against the system's CAs unless told otherwise (a local stand-in: disable).
    tlsDefaults: (env) => (env.DB_SSLMODE ? {} : { DB_SSLMODE: 'verify-full', DB_SSL_CA_FILE: 'system' }),
    replicas: false,
    settings: (env) => ({ schema: env.DB_DSQL_SCHEMA || 'myschema' }),
  },
  // No cluster_name, WAL or timelines: the stamps are plain.
  stamps: (sequelize) => ({
    committed_by: { type: DataTypes.TEXT, allowNull: false, defaultValue: sequelize.literal("'dsql'") },
    committed_timeline: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
    committed_at: { type: DataTypes.DATE(6), allowNull: false, defaultValue: sequelize.literal('CURRENT_TIMESTAMP') },
  }),
  // AWS's connector mints an IAM token per connection; DB_DSQL_AUTH=password sends DB_PASSWORD
  // through the same seam instead (a local PostgreSQL standing in for DSQL).
  driver: async (config, env) => (passwordAuth(env) ? tokenDriver(async () => config.password as string) : await awsDsqlDriver()),
  sequelize(config, options) {
    if (!options.driver) throw new Error('the dsql platform needs a driver: awsDsqlDriver() or tokenDriver()');
    return createDsqlSequelize(config, { logger: options.logger, driver: options.driver });
  },
  // createTable for each model, not sync() nor umzug's storage table (made with sync()): sync's
  // index introspection breaks on DSQL's metadata. One DDL statement per transaction.
  async createTables(db, { models }) {
    const qi = db.sequelize.getQueryInterface();
    for (const M of models) await db.unitOfWork(`create ${M.tableName}`, async () => void (await qi.createTable(M.getTableName(), M.getAttributes())), { idempotent: true });
  },
};
