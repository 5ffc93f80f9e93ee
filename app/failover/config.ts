/**
 * The failover-aware data layer's configuration: small, typed, every default chosen for a
 * failover and explained where it is used (app/failover/sequelize.ts).
 */
export interface Endpoint {
  host: string;
  port: number;
}

/**
 * TLS as RDS wants it: encrypted, and the server proven by a CA you hold. `rejectUnauthorized`
 * has no switch here: a connection to a server whose certificate does not verify is refused.
 */
export interface TlsConfig {
  /** PEM of the CA that signed the servers' certificates (RDS: global-bundle.pem). */
  ca: string;
  /** Where the CA came from, for error messages. */
  caSource?: string;
}

/** Where the deployment's connections go, and what the platform adds or forbids. */
export type Platform = 'repmgr' | 'rds' | 'dsql';

export interface FailoverConfig {
  platform: Platform;
  database: string;
  user: string;
  /** A fixed password, or a provider called for every new connection (Aurora DSQL's IAM tokens). */
  password: string | (() => Promise<string>);
  /** Writes: the floating endpoint (Docker alias, floating IP, virtual IP, RDS writer, DSQL endpoint). */
  write: Endpoint;
  /** Reads: the replicas (none for DSQL, which has one endpoint). */
  reads: Endpoint[];
  tls?: TlsConfig;
  /** Opening a connection gives up after this long (pg's default is never). */
  connectTimeoutMs: number;
  /** A query gives up after this long on the client (pg's default is never). */
  queryTimeoutMs: number;
  /** TCP keepalive probes start after this much silence. */
  keepAliveDelayMs: number;
  poolMax: number;
  /** Connections older than this are not reused (DSQL ends sessions at one hour). 0: no limit. */
  maxConnectionAgeMs: number;
  /** A unit of work keeps retrying for this long: at least your failover's length, less than your caller's timeout. */
  failoverWindowMs: number;
  /** Backoff between attempts: doubles from base to max, with jitter. */
  backoff: { baseMs: number; maxMs: number };
  /** Reads go to the primary for this long after the same session wrote. 0: off. */
  readYourWritesMs: number;
  /** Check on every new write connection that the node accepts writes. */
  verifyRoleOnConnect: boolean;
  /** Sequelize asks the server for its version on first use unless told; with the primary down that fails every query. */
  databaseVersion: string;
}

export const AWARE_DEFAULTS = {
  connectTimeoutMs: 2000,
  queryTimeoutMs: 3000,
  keepAliveDelayMs: 5000,
  poolMax: 8,
  maxConnectionAgeMs: 0,
  // Below the drill client's 5 s timeout, above the fast timing's promotion (2 to 4 s).
  failoverWindowMs: 4000,
  backoff: { baseMs: 50, maxMs: 400 },
  readYourWritesMs: 0,
  verifyRoleOnConnect: true,
  databaseVersion: '15.0.0',
} satisfies Partial<FailoverConfig>;

/** What changes per platform (shared/reference/sequelize-failover.md §9.5). */
export const PLATFORM_DEFAULTS: Record<Platform, Partial<FailoverConfig>> = {
  repmgr: {},
  // RDS Multi-AZ fails over in 60 to 120 s; the writer endpoint's DNS follows.
  rds: { failoverWindowMs: 120_000 },
  // DSQL: one endpoint, no replicas, no role change; sessions end at 60 min, so recycle at 55;
  // conflicts are retried quickly (the connector's own backoff is 1 to 100 ms).
  dsql: { reads: [], verifyRoleOnConnect: false, maxConnectionAgeMs: 55 * 60_000, backoff: { baseMs: 1, maxMs: 100 } },
};
