/**
 * sequelize-cli's environments for the app's two databases (one app, several databases, each with
 * its own migrations and seeders): development, test and production, each read from the
 * environment as the app reads it (app/config.ts: DATABASE_URL, DB_*, DB_SSLMODE...), after
 * `.env.<environment>` and then `.env` in the current directory, if they exist (a variable already
 * set wins over both, as dotenv does).
 *
 *   development, test  where nothing is said: the local cluster's node1 as `flipdrill up`
 *                      publishes it (127.0.0.1:15432)
 *   production         nothing assumed: DATABASE_URL or DB_WRITE_HOST must say where
 *
 * Migrations go to the primary only, never to a replica (the CLI reads what has run from
 * SequelizeMeta, which a lagging replica may not have yet).
 */
import path from 'node:path';
import dotenv from 'dotenv';
import pg from 'pg';
import type { Options } from 'sequelize';
import { AppConfigError, loadConfig } from '../config.ts';
import { sslOptions } from '../failover/settings.ts';
import { ANALYTICS_MIGRATIONS_TABLE, sharesMigrationsTable } from '../migrations.ts';

export const ENVIRONMENTS = ['development', 'test', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
export const DATABASES = ['app', 'analytics'] as const;
export type DatabaseName = (typeof DATABASES)[number];

const LOCAL = { DB_WRITE_HOST: '127.0.0.1', DB_PORT: '15432' };

/**
 * One environment's Sequelize options for one database, as sequelize-cli takes them; for the
 * analytics migrations, when the two databases are one, the app's table of their own
 * (SequelizeMetaAnalytics), so the CLI and the app read the same record. A schema of the app's own
 * (DB_SCHEMA) is the app's alone: sequelize-cli would create it, and look for its record in public.
 */
export function cliOptions(database: DatabaseName, environment: Environment, given: NodeJS.ProcessEnv = process.env, dir = process.cwd()): Options & { migrationStorageTableName?: string } {
  // The files fill in what is not set; a file that is not there is no error.
  const env: NodeJS.ProcessEnv = { ...given };
  dotenv.config({ path: [path.join(dir, `.env.${environment}`), path.join(dir, '.env')], processEnv: env as Record<string, string>, quiet: true });
  const where = env.DATABASE_URL || env.DB_WRITE_HOST;
  if (environment === 'production' && !where) throw new AppConfigError('the production environment needs DATABASE_URL or DB_WRITE_HOST (nothing is assumed there)');
  const config = loadConfig({ ...(environment === 'production' || env.DATABASE_URL ? {} : LOCAL), ...env, ANALYTICS_DB_NAME: env.ANALYTICS_DB_NAME || 'flipdrill_analytics', DB_READ_HOSTS: '' });
  const f = config.failover;
  const own = database === 'app' ? f : config.analytics!;
  if (own.searchPath) throw new AppConfigError(`the db:* commands do not take ${database === 'app' || !env.ANALYTICS_DB_SCHEMA ? 'DB_SCHEMA' : 'ANALYTICS_DB_SCHEMA'}: the app migrates its own schema when it starts`);
  return {
    dialect: 'postgres',
    dialectModule: pg,
    host: f.write.host,
    port: f.write.port,
    database: own.database,
    username: f.user,
    password: f.password as string,
    logging: false,
    dialectOptions: { connectionTimeoutMillis: f.connectTimeoutMs, application_name: 'flipdrill-migrate', ...(f.tls ? { ssl: sslOptions(f.tls) } : {}) },
    ...(database === 'analytics' && sharesMigrationsTable(f, own) ? { migrationStorageTableName: ANALYTICS_MIGRATIONS_TABLE } : {}),
  };
}

/**
 * A sequelize-cli config file's export: every environment, each built only when sequelize-cli asks
 * for it (so a production without its settings does not stop a development migration).
 */
export function cliConfig(database: DatabaseName): Record<Environment, Options> {
  const config = {} as Record<Environment, Options>;
  for (const environment of ENVIRONMENTS) Object.defineProperty(config, environment, { enumerable: true, get: () => cliOptions(database, environment) });
  return config;
}
