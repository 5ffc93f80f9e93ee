/**
 * The app's configuration, from the environment. Every value has a default that suits the local
 * flipdrill cluster; the data layer's settings are explained in app/failover/.
 *
 *   APP_PROFILE             aware (default), naive (the tutorial's Sequelize configuration) or config
 *   SEQUELIZE_OPTIONS       with config: your Sequelize options, JSON (app/failover/configured.ts)
 *   DB_PLATFORM             repmgr (default), rds or dsql
 *   DB_NAME, DB_USER, DB_PASSWORD
 *   DB_WRITE_HOST           the floating endpoint, host[:port]
 *   DB_READ_HOSTS           replicas, comma-separated host[:port]
 *   DB_PORT                 default port (5432)
 *   DB_SSL_CA / DB_SSL_CA_FILE   the CA (PEM text or a file): TLS required and verified
 *   DB_CONNECT_TIMEOUT_MS, DB_QUERY_TIMEOUT_MS, DB_KEEPALIVE_DELAY_MS, DB_POOL_MAX,
 *   DB_FAILOVER_WINDOW_MS, DB_READ_YOUR_WRITES_MS, DB_MAX_CONNECTION_AGE_MS
 *
 * A second database (seed 003: one app, several databases), with settings of its own:
 *   ANALYTICS_DB_NAME        enables it (same user, password, write endpoint and TLS)
 *   ANALYTICS_DB_READ_HOSTS  its replicas (default none: reads go through the write endpoint)
 *   ANALYTICS_DB_FAILOVER_WINDOW_MS
 */
import { readFileSync } from 'node:fs';
import { AWARE_DEFAULTS, PLATFORM_DEFAULTS, type Endpoint, type FailoverConfig, type Platform, type TlsConfig } from './failover/config.ts';

export type AppProfile = 'naive' | 'aware' | 'config';

export interface AppConfig {
  httpPort: number;
  profile: AppProfile;
  failover: FailoverConfig;
  /** The analytics database, if the app has one. */
  analytics?: FailoverConfig;
  /** The config profile: Sequelize options of yours (SEQUELIZE_OPTIONS, JSON). */
  sequelizeOptions?: Record<string, unknown>;
}

export class AppConfigError extends Error {}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new AppConfigError(`${name} must be a non-negative integer, not "${raw}"`);
  return value;
}

function endpoint(spec: string, defaultPort: number): Endpoint {
  const [host, port] = spec.trim().split(':');
  if (!host) throw new AppConfigError(`empty host in "${spec}"`);
  return { host, port: port ? Number(port) : defaultPort };
}

function tlsFrom(env: NodeJS.ProcessEnv): TlsConfig | undefined {
  if (env.DB_SSL_CA) return { ca: env.DB_SSL_CA, caSource: 'DB_SSL_CA' };
  const file = env.DB_SSL_CA_FILE;
  if (!file) return undefined;
  try {
    return { ca: readFileSync(file, 'utf8'), caSource: file };
  } catch (error) {
    throw new AppConfigError(`DB_SSL_CA_FILE ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const password = env.DB_PASSWORD;
  if (!password) throw new AppConfigError('DB_PASSWORD is required (flipdrill generates one per cluster)');
  const profile = (env.APP_PROFILE ?? 'aware') as AppProfile;
  if (profile !== 'aware' && profile !== 'naive' && profile !== 'config') throw new AppConfigError(`APP_PROFILE must be aware, naive or config, not "${profile}"`);
  let sequelizeOptions: Record<string, unknown> | undefined;
  if (profile === 'config') {
    try {
      sequelizeOptions = JSON.parse(env.SEQUELIZE_OPTIONS ?? '') as Record<string, unknown>;
    } catch {
      throw new AppConfigError('APP_PROFILE=config needs SEQUELIZE_OPTIONS: your Sequelize options as JSON');
    }
  }
  const platform = (env.DB_PLATFORM ?? 'repmgr') as Platform;
  if (!(platform in PLATFORM_DEFAULTS)) throw new AppConfigError(`DB_PLATFORM must be repmgr, rds or dsql, not "${platform}"`);
  const port = intFrom(env, 'DB_PORT', 5432);
  const base = { ...AWARE_DEFAULTS, ...PLATFORM_DEFAULTS[platform] };
  const tls = tlsFrom(env);
  const failover: FailoverConfig = {
    ...base,
    platform,
    database: env.DB_NAME ?? 'flipdrill',
    user: env.DB_USER ?? 'flipdrill_app',
    password,
    write: endpoint(env.DB_WRITE_HOST ?? 'pg-primary', port),
    reads: platform === 'dsql' ? [] : (env.DB_READ_HOSTS ?? 'node2,node1').split(',').filter(Boolean).map((h) => endpoint(h, port)),
    ...(tls ? { tls } : {}),
    connectTimeoutMs: intFrom(env, 'DB_CONNECT_TIMEOUT_MS', base.connectTimeoutMs),
    queryTimeoutMs: intFrom(env, 'DB_QUERY_TIMEOUT_MS', base.queryTimeoutMs),
    keepAliveDelayMs: intFrom(env, 'DB_KEEPALIVE_DELAY_MS', base.keepAliveDelayMs),
    poolMax: intFrom(env, 'DB_POOL_MAX', base.poolMax),
    failoverWindowMs: intFrom(env, 'DB_FAILOVER_WINDOW_MS', base.failoverWindowMs),
    readYourWritesMs: intFrom(env, 'DB_READ_YOUR_WRITES_MS', base.readYourWritesMs),
    maxConnectionAgeMs: intFrom(env, 'DB_MAX_CONNECTION_AGE_MS', base.maxConnectionAgeMs),
  };
  const analyticsName = env.ANALYTICS_DB_NAME;
  const analytics: FailoverConfig | undefined = analyticsName
    ? {
        ...failover,
        database: analyticsName,
        // Its own replication settings: analytics reads are few and must see the latest write.
        reads: (env.ANALYTICS_DB_READ_HOSTS ?? '').split(',').filter(Boolean).map((h) => endpoint(h, port)),
        failoverWindowMs: intFrom(env, 'ANALYTICS_DB_FAILOVER_WINDOW_MS', failover.failoverWindowMs),
      }
    : undefined;
  return { httpPort: intFrom(env, 'PORT', 8080), profile, failover, ...(analytics ? { analytics } : {}), ...(sequelizeOptions ? { sequelizeOptions } : {}) };
}
