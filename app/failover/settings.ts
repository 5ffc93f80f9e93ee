/**
 * The failover-aware data layer's configuration: small, typed, every default chosen for a
 * failover and explained where it is used (app/failover/sequelize.ts).
 */
export interface Endpoint {
  host: string;
  port: number;
}

/**
 * libpq's target_session_attrs (PostgreSQL 14's set), what a new session must be to be kept:
 *
 *   any             whatever answers first
 *   read-write      transaction_read_only is off (libpq's test: a primary, not made read-only)
 *   read-only       transaction_read_only is on
 *   primary         not in recovery (pg_is_in_recovery() is false)
 *   standby         in recovery
 *   prefer-standby  a standby if any host is one, else whatever answers first
 */
export const TARGET_SESSION_ATTRS = ['any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby'] as const;
export type TargetSessionAttrs = (typeof TARGET_SESSION_ATTRS)[number];

/**
 * How a connection is encrypted and the server proven, with libpq's sslmode names:
 *
 *   verify-full  encrypted; the server's certificate chains to a CA you hold and names the host
 *                you asked for (what RDS and this project's TLS clusters get by default)
 *   verify-ca    encrypted; the certificate chains to your CA, whatever name it carries
 *   require      encrypted; with a CA, checked as verify-ca (libpq does the same when a root
 *                certificate is there); without one the server is not proven at all, which the
 *                app refuses unless you say so (`unverified: true`: DB_SSL_ACCEPT_UNVERIFIED=true)
 *
 * `disable` is no TlsConfig at all. libpq's allow and prefer (plaintext if the server will not
 * encrypt) are refused: a downgrade nobody sees is not a setting this app offers.
 */
export type SslMode = 'require' | 'verify-ca' | 'verify-full';

export interface TlsConfig {
  mode?: SslMode;
  /** PEM of the CA that signed the servers' certificates (RDS: global-bundle.pem); `system`: Node's own trusted CAs. */
  ca?: string;
  /** Where the CA came from, for error messages. */
  caSource?: string;
  /** With mode require and no CA: encrypt, and accept whatever certificate the server shows. */
  unverified?: boolean;
}

/** What pg's `ssl` option is for a TlsConfig: one place, for every way the app builds Sequelize. */
export function sslOptions(tls: TlsConfig): Record<string, unknown> {
  const mode = tls.mode ?? 'verify-full';
  const ca = tls.ca && tls.ca !== 'system' ? { ca: tls.ca } : {};
  if (mode === 'require' && !tls.ca) {
    if (!tls.unverified) throw new Error('sslmode=require without a CA proves nothing about the server: give a CA (verify-full), or accept that explicitly (DB_SSL_ACCEPT_UNVERIFIED=true)');
    return { rejectUnauthorized: false };
  }
  if (mode === 'verify-full') return { require: true, rejectUnauthorized: true, ...ca };
  // verify-ca, and require with a CA: the chain is checked, the name is not.
  return { require: true, rejectUnauthorized: true, ...ca, checkServerIdentity: () => undefined };
}

/** The statement that makes `schema` a connection's whole search_path. */
export function searchPathSql(schema: string): string {
  return `SET search_path TO "${schema.replace(/"/g, '""')}"`;
}

/**
 * Sequelize's hooks that set `schema` as the search_path of every new connection, in every pool:
 * one place, for every way the app builds Sequelize. A statement after connecting, not libpq's
 * startup `options` (-c search_path=...), which poolers such as PgBouncer refuse or drop.
 */
export function searchPathHooks(schema: string): { afterConnect: (connection: unknown) => Promise<void> } {
  const sql = searchPathSql(schema);
  return {
    afterConnect: async (connection) => {
      await (connection as { query(sql: string): Promise<unknown> }).query(sql);
    },
  };
}

export interface FailoverConfig {
  /**
   * Where the deployment's connections go (repmgr, rds, dsql: app/platforms/). The layer itself
   * does not look at it; what a platform adds or forbids is in its defaults and its settings.
   */
  platform: string;
  database: string;
  user: string;
  /** A fixed password, or a provider called for every new connection (Aurora DSQL's IAM tokens). */
  password: string | (() => Promise<string>);
  /**
   * Writes: the floating endpoint (Docker alias, floating IP, virtual IP, RDS writer, DSQL
   * endpoint), or the first host of a multi-host endpoint (`writeHosts`).
   */
  write: Endpoint;
  /**
   * A multi-host write endpoint, libpq's `host1:port1,host2:port2`: every host, `write` first.
   * A new write connection goes to the host that last fitted `targetSessionAttrs`, and from there
   * to the next ones, in order and around (app/failover/host-choice.ts). Absent: `write` alone.
   */
  writeHosts?: Endpoint[];
  /**
   * What a new write connection must find, libpq's target_session_attrs. Absent: read-write with
   * verifyRoleOnConnect, any without.
   */
  targetSessionAttrs?: TargetSessionAttrs;
  /** Reads: the replicas (none for DSQL, which has one endpoint). */
  reads: Endpoint[];
  tls?: TlsConfig;
  /** Opening a connection gives up after this long (pg's default is never). */
  connectTimeoutMs: number;
  /**
   * An attempt to open a write connection that has not opened within this long gets another
   * beside it, which resolves the endpoint's name again (./staggered-connect.ts): one that went to
   * the old address just before the endpoint moved no longer holds the write for the whole connect
   * timeout. 0: one attempt at a time.
   */
  connectStaggerMs: number;
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
  /** Reads go to the primary for this long after the same session wrote (with sessionConsistency 'off'; 'position' needs no window). 0: off. */
  readYourWritesMs: number;
  /**
   * 'position': a session's reads see its own writes and never go back (read-your-writes and
   * monotonic reads), by WAL position (./session-positions.ts). 'off': Sequelize's replica choice.
   */
  sessionConsistency: 'position' | 'off';
  /**
   * Aurora DSQL: the schema a role other than admin works in (its own: only admin may use public),
   * set as the search_path of every new connection. Default myschema, as AWS's samples name it.
   */
  schema?: string;
  /**
   * The one schema every new connection's search_path names (DB_SCHEMA), set in Sequelize's
   * afterConnect: the tables, the migrations' SequelizeMeta and anything else the app names
   * without a schema are found and made there. The schema must exist; the app never makes one.
   * Absent: the server's default search_path.
   */
  searchPath?: string;
  /** Check on every new write connection that the node accepts writes (target_session_attrs=read-write). */
  verifyRoleOnConnect: boolean;
  /** Sequelize asks the server for its version on first use unless told; with the primary down that fails every query. */
  databaseVersion: string;
}

export const AWARE_DEFAULTS = {
  connectTimeoutMs: 2000,
  connectStaggerMs: 250,
  queryTimeoutMs: 3000,
  keepAliveDelayMs: 5000,
  poolMax: 8,
  maxConnectionAgeMs: 0,
  // Below the drill client's 5 s timeout, above the fast timing's promotion (2 to 4 s).
  failoverWindowMs: 4000,
  backoff: { baseMs: 50, maxMs: 400 },
  readYourWritesMs: 0,
  sessionConsistency: 'position',
  verifyRoleOnConnect: true,
  databaseVersion: '15.0.0',
} satisfies Partial<FailoverConfig>;

/** The hosts a write connection may go to, in order. */
export function writeHostsOf(config: Pick<FailoverConfig, 'write' | 'writeHosts'>): Endpoint[] {
  return config.writeHosts && config.writeHosts.length > 0 ? config.writeHosts : [config.write];
}

/** What a new write connection must find: targetSessionAttrs, else what verifyRoleOnConnect says. */
export function writeTargetOf(config: Pick<FailoverConfig, 'targetSessionAttrs' | 'verifyRoleOnConnect'>): TargetSessionAttrs {
  return config.targetSessionAttrs ?? (config.verifyRoleOnConnect ? 'read-write' : 'any');
}
