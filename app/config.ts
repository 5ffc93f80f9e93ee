/**
 * The app's configuration, from the environment. Every value has a default that suits the local
 * flipdrill cluster; the data layer's settings are explained in app/failover/.
 *
 *   APP_PROFILE             aware (default), naive (the tutorial's Sequelize configuration) or config
 *   SEQUELIZE_OPTIONS       with config: your Sequelize options, JSON (app/failover/configured.ts)
 *   DB_PLATFORM             repmgr (default), rds or dsql
 *   DB_DSQL_SCHEMA          dsql, a role other than admin: its schema (default myschema)
 *   DB_DSQL_AUTH=password   dsql: send DB_PASSWORD instead of an IAM token (a local stand-in)
 *   DB_NAME, DB_USER, DB_PASSWORD
 *   DB_PASSWORD_FILE        a file holding the password, in DB_PASSWORD's place (flipdrill's app
 *                           container gets it so: `docker inspect` shows no password)
 *   DB_SCHEMA               a schema of the app's own, a plain name (lower-case letters, digits, _):
 *                           every connection's search_path, so the tables, SequelizeMeta and
 *                           node_names are there; it must exist (default: the server's search_path)
 *   DB_NODE_NAMES           what names the node in the rows' committed_by: cluster_name (the
 *                           default) or table, the node_names table in DB_SCHEMA, for clusters
 *                           whose nodes share a cluster_name (app/db/stamps.ts)
 *   DB_WRITE_HOST           the floating endpoint, host[:port]; or several, comma-separated: a
 *                           multi-host endpoint, tried in order (IPv6 in brackets: [::1]:5432)
 *   DB_TARGET_SESSION_ATTRS what a write connection must find, libpq's target_session_attrs: any,
 *                           read-write (the default), read-only, primary, standby, prefer-standby
 *   DB_READ_HOSTS           replicas, comma-separated host[:port]
 *   DB_PORT                 default port (5432)
 *   DATABASE_URL            postgres://user:password@host:port[,host:port...]/database?sslmode=...
 *                           &sslrootcert=...&target_session_attrs=... (cluster/lib/postgres-url.ts;
 *                           its parts are defaults: a DB_* variable that is set wins)
 *   DB_SSLMODE              disable, require, verify-ca or verify-full, as libpq means them
 *                           (default: verify-full with a CA, disable without)
 *   DB_SSL_CA / DB_SSL_CA_FILE   the CA (PEM text or a file; `system`: the system's CAs)
 *   DB_SSL_ACCEPT_UNVERIFIED=true   lets sslmode=require go without a CA (encrypted, unproven)
 *   DB_CONNECT_TIMEOUT_MS, DB_QUERY_TIMEOUT_MS, DB_KEEPALIVE_DELAY_MS, DB_POOL_MAX,
 *   DB_FAILOVER_WINDOW_MS, DB_READ_YOUR_WRITES_MS, DB_MAX_CONNECTION_AGE_MS
 *   DB_SESSION_CONSISTENCY  position (default): a session's reads keep read-your-writes and
 *                           monotonic reads by WAL position; off: Sequelize's replica choice
 *
 * A second database (seed 003: one app, several databases), with settings of its own:
 *   ANALYTICS_DB_NAME        enables it (same user, password, write endpoint and TLS)
 *   ANALYTICS_DB_SCHEMA      its schema (default DB_SCHEMA); the same database and schema as the
 *                            app's: its migrations are recorded in SequelizeMetaAnalytics
 *   ANALYTICS_DB_READ_HOSTS  its replicas (default none: reads go through the write endpoint)
 *   ANALYTICS_DB_FAILOVER_WINDOW_MS
 */
import { readFileSync } from 'node:fs';
import { envSecret } from '../cluster/lib/env-secret.ts';
import { formatHost, parseHostList, parsePostgresUrl, PostgresUrlError, type PostgresUrl } from '../cluster/lib/postgres-url.ts';
import { AWARE_DEFAULTS, TARGET_SESSION_ATTRS, type Endpoint, type FailoverConfig, type TargetSessionAttrs, type TlsConfig } from './failover/settings.ts';
import { PLATFORM_NAMES, platformNamed } from './platforms/index.ts';
import { NODE_NAMES, type NodeNames } from './db/stamps.ts';

export type AppProfile = 'naive' | 'aware' | 'config';

export interface AppConfig {
  httpPort: number;
  profile: AppProfile;
  failover: FailoverConfig;
  /** The analytics database, if the app has one. */
  analytics?: FailoverConfig;
  /** The config profile: Sequelize options of yours (SEQUELIZE_OPTIONS, JSON). */
  sequelizeOptions?: Record<string, unknown>;
  /** What names the node in committed_by (DB_NODE_NAMES); absent: cluster_name. */
  nodeNames?: NodeNames;
}

export class AppConfigError extends Error {}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new AppConfigError(`${name} must be a non-negative integer, not "${raw}"`);
  return value;
}

/** DB_SESSION_CONSISTENCY: position (the default) or off. */
function sessionConsistencyFrom(env: NodeJS.ProcessEnv, fallback: FailoverConfig['sessionConsistency']): FailoverConfig['sessionConsistency'] {
  const raw = env.DB_SESSION_CONSISTENCY;
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'position' && raw !== 'off') throw new AppConfigError(`DB_SESSION_CONSISTENCY must be position or off, not "${raw}"`);
  return raw;
}

/** A comma-separated host[:port] list (DB_WRITE_HOST, DB_READ_HOSTS); empty items are skipped. */
function endpoints(name: string, spec: string, defaultPort: number): Endpoint[] {
  const items = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) return [];
  try {
    return parseHostList(items.join(',')).map((h) => ({ host: h.host, port: h.port ?? defaultPort }));
  } catch (error) {
    if (error instanceof PostgresUrlError) throw new AppConfigError(`${name} ${error.message}`);
    throw error;
  }
}

function targetSessionAttrs(raw: string | undefined): TargetSessionAttrs | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!(TARGET_SESSION_ATTRS as readonly string[]).includes(raw)) throw new AppConfigError(`target_session_attrs must be one of ${TARGET_SESSION_ATTRS.join(', ')}, not "${raw}"`);
  return raw as TargetSessionAttrs;
}

/** A schema name that needs no quoting and means the same quoted or not. */
const PLAIN_NAME = /^[a-z_][a-z0-9_]*$/;

function schemaFrom(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  // 63 bytes: PostgreSQL cuts longer names short, and the app would then look in another schema.
  if (!PLAIN_NAME.test(raw) || raw.length > 63) throw new AppConfigError(`${name} must be a plain schema name (a-z, 0-9 and _, not starting with a digit, at most 63), not "${raw}"`);
  return raw;
}

function nodeNamesFrom(env: NodeJS.ProcessEnv): NodeNames {
  const raw = env.DB_NODE_NAMES;
  if (raw === undefined || raw === '') return 'cluster_name';
  if (!(NODE_NAMES as readonly string[]).includes(raw)) throw new AppConfigError(`DB_NODE_NAMES must be ${NODE_NAMES.join(' or ')}, not "${raw}"`);
  return raw as NodeNames;
}

const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
type SslModeSetting = (typeof SSL_MODES)[number];

/** What a DATABASE_URL says: each part a default for the DB_* variable of the same meaning. */
interface UrlParts {
  DB_USER?: string;
  DB_PASSWORD?: string;
  DB_NAME?: string;
  DB_WRITE_HOST?: string;
  DB_PORT?: string;
  DB_SSLMODE?: string;
  DB_SSL_CA_FILE?: string;
  DB_TARGET_SESSION_ATTRS?: string;
}

/** The URL's query parameters the app knows (libpq's names); anything else is refused, not ignored. */
const URL_PARAMETERS = new Set(['sslmode', 'sslrootcert', 'target_session_attrs']);

/**
 * postgres://user:password@host:port/database?sslmode=verify-full&sslrootcert=/path/ca.pem, the
 * form RDS consoles and platforms hand out; or with several hosts (host1:5432,host2:5432) and
 * target_session_attrs, the form pg_auto_failover and libpq's users hand out: the app's write
 * endpoint, whose hosts are tried in order (app/failover/host-choice.ts).
 */
export function parseDatabaseUrl(raw: string): UrlParts {
  let url: PostgresUrl;
  try {
    url = parsePostgresUrl(raw);
  } catch (error) {
    if (error instanceof PostgresUrlError) throw new AppConfigError(`DATABASE_URL ${error.message}`);
    throw error;
  }
  for (const key of Object.keys(url.params)) {
    if (!URL_PARAMETERS.has(key)) throw new AppConfigError(`DATABASE_URL has a parameter the app does not use: ${key} (it knows ${[...URL_PARAMETERS].join(', ')})`);
  }
  const parts: UrlParts = {};
  if (url.user) parts.DB_USER = url.user;
  if (url.password) parts.DB_PASSWORD = url.password;
  if (url.database) parts.DB_NAME = url.database;
  // One host: its port is the default port, as before there were several. Several: each keeps
  // its own, and one without takes DB_PORT's (5432 unless set), as libpq's PGPORT.
  const [first, ...others] = url.hosts;
  if (others.length === 0) {
    parts.DB_WRITE_HOST = formatHost({ host: first!.host });
    if (first!.port !== undefined) parts.DB_PORT = String(first!.port);
  } else {
    parts.DB_WRITE_HOST = url.hosts.map(formatHost).join(',');
  }
  const { sslmode, sslrootcert, target_session_attrs: target } = url.params;
  if (sslmode) parts.DB_SSLMODE = sslmode;
  if (sslrootcert) parts.DB_SSL_CA_FILE = sslrootcert;
  if (target) parts.DB_TARGET_SESSION_ATTRS = target;
  return parts;
}

function caFrom(env: NodeJS.ProcessEnv): { ca: string; caSource: string } | undefined {
  if (env.DB_SSL_CA) return { ca: env.DB_SSL_CA, caSource: 'DB_SSL_CA' };
  const file = env.DB_SSL_CA_FILE;
  if (!file) return undefined;
  // libpq's word for the system's trusted CAs (PostgreSQL 16's sslrootcert=system).
  if (file === 'system') return { ca: 'system', caSource: 'the system' };
  try {
    return { ca: readFileSync(file, 'utf8'), caSource: file };
  } catch (error) {
    throw new AppConfigError(`DB_SSL_CA_FILE ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/**
 * DB_SSLMODE (or the URL's sslmode) with libpq's meanings (app/failover/settings.ts). Unset: TLS
 * verified in full when a CA is given, none otherwise.
 */
function tlsFrom(env: NodeJS.ProcessEnv): TlsConfig | undefined {
  const raw = env.DB_SSLMODE;
  if (raw === 'allow' || raw === 'prefer') throw new AppConfigError(`sslmode=${raw} falls back to plaintext without saying so; the app takes disable, require, verify-ca or verify-full`);
  if (raw !== undefined && raw !== '' && !(SSL_MODES as readonly string[]).includes(raw)) throw new AppConfigError(`sslmode must be one of ${SSL_MODES.join(', ')}, not "${raw}"`);
  const ca = caFrom(env);
  const mode = (raw || (ca ? 'verify-full' : 'disable')) as SslModeSetting;
  if (mode === 'disable') {
    if (ca) throw new AppConfigError(`sslmode=disable with a CA (${ca.caSource}): say which you mean`);
    return undefined;
  }
  const unverified = env.DB_SSL_ACCEPT_UNVERIFIED === 'true';
  if (mode !== 'require' && !ca) throw new AppConfigError(`sslmode=${mode} needs the CA to check the server against: DB_SSL_CA, DB_SSL_CA_FILE, sslrootcert in DATABASE_URL, or sslrootcert=system`);
  if (mode === 'require' && !ca && !unverified) {
    throw new AppConfigError('sslmode=require without a CA encrypts but proves nothing about the server: give a CA (DB_SSL_CA_FILE, or sslrootcert in DATABASE_URL), or set DB_SSL_ACCEPT_UNVERIFIED=true to accept that');
  }
  return { mode, ...(ca ?? {}), ...(mode === 'require' && !ca ? { unverified: true } : {}) };
}

export function loadConfig(given: NodeJS.ProcessEnv = process.env): AppConfig {
  // DATABASE_URL's parts are defaults; a DB_* variable that is set wins over its part.
  const fromUrl = given.DATABASE_URL ? parseDatabaseUrl(given.DATABASE_URL) : {};
  const env: NodeJS.ProcessEnv = { ...fromUrl };
  for (const [k, v] of Object.entries(given)) if (v !== undefined) env[k] = v;
  if (given.DB_PASSWORD_FILE) {
    // The file wins over a password in DATABASE_URL, as DB_PASSWORD would.
    try {
      env.DB_PASSWORD = envSecret({ DB_PASSWORD: given.DB_PASSWORD, DB_PASSWORD_FILE: given.DB_PASSWORD_FILE }, 'DB_PASSWORD');
    } catch (error) {
      throw new AppConfigError((error as Error).message);
    }
  }
  const platformName = env.DB_PLATFORM ?? 'repmgr';
  const platform = platformNamed(platformName);
  // A platform whose connections sign tokens of their own (Aurora DSQL) needs no password.
  const tokens = platform?.env.tokens(env) ?? false;
  const password = env.DB_PASSWORD ?? (tokens ? '' : undefined);
  if (password === undefined || (!password && !tokens)) throw new AppConfigError('DB_PASSWORD is required (flipdrill generates one per cluster), or a password in DATABASE_URL');
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
  if (!platform) throw new AppConfigError(`DB_PLATFORM must be ${PLATFORM_NAMES}, not "${platformName}"`);
  const port = intFrom(env, 'DB_PORT', 5432);
  const writeHosts = endpoints('DB_WRITE_HOST', env.DB_WRITE_HOST ?? 'pg-primary', port);
  if (writeHosts.length === 0) throw new AppConfigError('DB_WRITE_HOST names no host');
  if (writeHosts.length > 1 && profile !== 'aware') {
    throw new AppConfigError(`the write endpoint names ${writeHosts.length} hosts: only APP_PROFILE=aware chooses among several; the ${profile} profile's Sequelize connects to one`);
  }
  const target = targetSessionAttrs(env.DB_TARGET_SESSION_ATTRS);
  const base = { ...AWARE_DEFAULTS, ...platform.failover };
  const tls = tlsFrom({ ...platform.env.tlsDefaults(env), ...env });
  const settings = platform.env.settings(env);
  const schema = schemaFrom(env, 'DB_SCHEMA');
  const analyticsSchema = schemaFrom(env, 'ANALYTICS_DB_SCHEMA') ?? schema;
  const nodeNames = nodeNamesFrom(env);
  if ((schema || analyticsSchema) && settings.schema !== undefined) throw new AppConfigError(`${schema ? 'DB_SCHEMA' : 'ANALYTICS_DB_SCHEMA'} is not for DB_PLATFORM=${platform.name}, which sets the schema its own way`);
  if (nodeNames === 'table' && !platform.nodeStamps) throw new AppConfigError(`DB_NODE_NAMES=table is not for DB_PLATFORM=${platform.name}, whose rows name no node`);
  const failover: FailoverConfig = {
    ...base,
    platform: platform.name,
    database: env.DB_NAME ?? 'flipdrill',
    user: env.DB_USER ?? 'flipdrill_app',
    password,
    write: writeHosts[0]!,
    ...(writeHosts.length > 1 ? { writeHosts } : {}),
    ...(target ? { targetSessionAttrs: target } : {}),
    reads: platform.env.replicas ? endpoints('DB_READ_HOSTS', env.DB_READ_HOSTS ?? 'node2,node1', port) : [],
    ...(tls ? { tls } : {}),
    connectTimeoutMs: intFrom(env, 'DB_CONNECT_TIMEOUT_MS', base.connectTimeoutMs),
    connectStaggerMs: intFrom(env, 'DB_CONNECT_STAGGER_MS', base.connectStaggerMs),
    queryTimeoutMs: intFrom(env, 'DB_QUERY_TIMEOUT_MS', base.queryTimeoutMs),
    keepAliveDelayMs: intFrom(env, 'DB_KEEPALIVE_DELAY_MS', base.keepAliveDelayMs),
    poolMax: intFrom(env, 'DB_POOL_MAX', base.poolMax),
    failoverWindowMs: intFrom(env, 'DB_FAILOVER_WINDOW_MS', base.failoverWindowMs),
    readYourWritesMs: intFrom(env, 'DB_READ_YOUR_WRITES_MS', base.readYourWritesMs),
    sessionConsistency: sessionConsistencyFrom(env, base.sessionConsistency),
    maxConnectionAgeMs: intFrom(env, 'DB_MAX_CONNECTION_AGE_MS', base.maxConnectionAgeMs),
    ...(schema ? { searchPath: schema } : {}),
    ...settings,
  };
  const analyticsName = env.ANALYTICS_DB_NAME;
  const analytics: FailoverConfig | undefined = analyticsName
    ? {
        ...failover,
        database: analyticsName,
        // DB_SCHEMA's unless it has its own (analyticsSchema is set whenever DB_SCHEMA is).
        ...(analyticsSchema ? { searchPath: analyticsSchema } : {}),
        // Its own replication settings: analytics reads are few and must see the latest write.
        reads: endpoints('ANALYTICS_DB_READ_HOSTS', env.ANALYTICS_DB_READ_HOSTS ?? '', port),
        failoverWindowMs: intFrom(env, 'ANALYTICS_DB_FAILOVER_WINDOW_MS', failover.failoverWindowMs),
      }
    : undefined;
  return { httpPort: intFrom(env, 'PORT', 8080), profile, failover, ...(analytics ? { analytics } : {}), ...(sequelizeOptions ? { sequelizeOptions } : {}), nodeNames };
}
