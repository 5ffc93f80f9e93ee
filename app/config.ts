/**
 * The app's configuration, from the environment. Every value has a default that suits the local
 * flipdrill cluster; each one is explained where it is used (app/db.ts).
 */
export interface HostPort {
  host: string;
  port: number;
}

export interface AppConfig {
  httpPort: number;
  database: string;
  user: string;
  password: string;
  /** Writes go through the floating endpoint: a Docker alias, a floating IP, a virtual IP. */
  write: HostPort;
  /** Reads go to the replicas (the tutorial lists the standby, then the primary). */
  reads: HostPort[];
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  keepAliveDelayMs: number;
  poolMax: number;
  /** How long a request keeps retrying errors that surely did not execute (refused connect, read-only node). */
  requestRetryMs: number;
}

export class AppConfigError extends Error {}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new AppConfigError(`${name} must be a non-negative integer, not "${raw}"`);
  return value;
}

function hostPort(spec: string, defaultPort: number): HostPort {
  const [host, port] = spec.trim().split(':');
  if (!host) throw new AppConfigError(`empty host in "${spec}"`);
  return { host, port: port ? Number(port) : defaultPort };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const password = env.DB_PASSWORD;
  if (!password) throw new AppConfigError('DB_PASSWORD is required (flipdrill generates one per cluster)');
  const port = intFrom(env, 'DB_PORT', 5432);
  return {
    httpPort: intFrom(env, 'PORT', 8080),
    database: env.DB_NAME ?? 'flipdrill',
    user: env.DB_USER ?? 'flipdrill_app',
    password,
    write: hostPort(env.DB_WRITE_HOST ?? 'pg-primary', port),
    reads: (env.DB_READ_HOSTS ?? 'node2,node1').split(',').filter(Boolean).map((h) => hostPort(h, port)),
    connectTimeoutMs: intFrom(env, 'DB_CONNECT_TIMEOUT_MS', 2000),
    queryTimeoutMs: intFrom(env, 'DB_QUERY_TIMEOUT_MS', 3000),
    keepAliveDelayMs: intFrom(env, 'DB_KEEPALIVE_DELAY_MS', 5000),
    poolMax: intFrom(env, 'DB_POOL_MAX', 8),
    requestRetryMs: intFrom(env, 'REQUEST_RETRY_MS', 1500),
  };
}
