/**
 * The tutorial's Sequelize configuration, exactly as users write it (shared/seeds/002): replicated
 * reads and writes, a bigger pool, and nothing else. No timeouts, Sequelize's default retry, the
 * server version asked of the write host, no role check, no fallback for a dead replica. What the
 * cluster decides is added: TLS when it requires it, the schema when the app has one of its own.
 *
 * It exists so a drill can measure what those defaults do in a failover, next to the aware
 * profile (`flipdrill compare`). Do not copy it: docs/concepts/sequelize-config.md, "What to change in your Sequelize
 * config" lists what each missing setting costs, from those drills.
 */
import pg from 'pg';
import { Sequelize } from 'sequelize';
import { searchPathHooks, sslOptions, type FailoverConfig } from './settings.ts';

export function createTutorialSequelize(config: Pick<FailoverConfig, 'database' | 'user' | 'password' | 'write' | 'reads' | 'tls' | 'searchPath'>): Sequelize {
  return new Sequelize(config.database, config.user, config.password as string, {
    dialect: 'postgres',
    // The one addition: a bundled app has no node_modules to require pg from.
    dialectModule: pg,
    port: config.write.port,
    // No replicas (as for migrations, which sequelize-cli runs against the primary): one host.
    ...(config.reads.length > 0
      ? { replication: { read: config.reads.map((r) => ({ host: r.host, port: r.port })), write: { host: config.write.host, port: config.write.port } } }
      : { host: config.write.host }),
    pool: { max: 10, idle: 30000 },
    logging: false,
    // RDS's documented form, when the cluster requires TLS.
    ...(config.tls ? { dialectOptions: { ssl: sslOptions(config.tls) } } : {}),
    // Where the cluster keeps the app's tables (DB_SCHEMA), as a user's own hook would say it.
    ...(config.searchPath ? { hooks: searchPathHooks(config.searchPath) } : {}),
  });
}
