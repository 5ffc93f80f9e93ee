/**
 * A Sequelize built from a config of yours (one environment of a sequelize-cli config.json or
 * config.js): exactly your options (pool, dialectOptions, retry, replication...), with only the
 * hosts, the port, the credentials and (DB_SCHEMA) the search_path pointed at the drill's cluster.
 * It answers "does my config survive a failover".
 *
 * The options arrive as JSON; regular expressions (retry.match) travel as { "$regexp": source,
 * "flags": flags } and are made RegExps again here. Functions cannot travel and are not there.
 */
import pg from 'pg';
import { Sequelize, type Options } from 'sequelize';
import { searchPathHooks, sslOptions, type FailoverConfig } from './settings.ts';

/** Undo the JSON-safe encoding: { $regexp, flags } objects become RegExps again, deep. */
export function reviveOptions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reviveOptions);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.$regexp === 'string') return new RegExp(o.$regexp, typeof o.flags === 'string' ? o.flags : '');
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, reviveOptions(v)]));
  }
  return value;
}

/** What of a sequelize-cli environment is the cluster's to say: where, and as whom. */
const OURS = ['host', 'port', 'username', 'password', 'database', 'dialect', 'dialectModule', 'dialectModulePath', 'use_env_variable', 'url'];

export function createConfiguredSequelize(config: Pick<FailoverConfig, 'database' | 'user' | 'password' | 'write' | 'reads' | 'tls' | 'searchPath'>, yours: Record<string, unknown>): Sequelize {
  const options = reviveOptions(yours) as Record<string, unknown>;
  for (const key of OURS) delete options[key];
  const write = { host: config.write.host, port: config.write.port };
  // Your replication, if you have one, on the cluster's nodes: the endpoint for writes, each replica
  // for reads. With no replicas (migrations run against the primary only, as sequelize-cli's do):
  // one host.
  const replication = Boolean(options.replication) && config.reads.length > 0;
  delete options.replication;
  if (replication) options.replication = { write, read: config.reads.map((r) => ({ host: r.host, port: r.port })) };
  const dialectOptions = { ...((options.dialectOptions as Record<string, unknown> | undefined) ?? {}) };
  if (config.tls) dialectOptions.ssl = { ...((dialectOptions.ssl as Record<string, unknown> | undefined) ?? {}), ...sslOptions(config.tls) };
  return new Sequelize(config.database, config.user, config.password as string, {
    ...(options as Options),
    dialect: 'postgres',
    // A bundled app has no node_modules to require pg from.
    dialectModule: pg,
    ...(replication ? {} : write),
    dialectOptions,
    // The schema the cluster keeps the app's tables in (DB_SCHEMA), set on every new connection.
    ...(config.searchPath ? { hooks: { ...((options.hooks as Record<string, unknown> | undefined) ?? {}), ...searchPathHooks(config.searchPath) } } : {}),
    logging: false,
  });
}
