/**
 * The failover-aware Sequelize: one function that builds a Sequelize instance from a
 * FailoverConfig, and the two things an app needs around it: units of work that are retried as a
 * whole when the classifier says so, and reads that survive a dead replica. Every option says
 * which failure it is for; the evidence is in shared/reference/sequelize-failover.md ([E…] are its
 * experiments) and in the drills this project runs (docs/concepts/sequelize-config.md, "What to change in your Sequelize
 * config").
 */
import pg from 'pg';
import { QueryTypes, Sequelize, type Options } from 'sequelize';
import type { Logger } from 'pino';
import { classify, RoleMismatchError, type Classification } from './classify.ts';
import { createHostChoice } from './host-choice.ts';
import { staggered } from './staggered-connect.ts';
import { lsnOf, SessionPositions, type NodePosition } from './session-positions.ts';
import { searchPathSql, sslOptions, writeHostsOf, writeTargetOf, type Endpoint, type FailoverConfig } from './settings.ts';

export class DatabaseOperationError extends Error {
  constructor(
    readonly classification: Classification,
    cause: unknown,
    /** How many times the unit of work ran. */
    readonly attempts = 1,
  ) {
    super(classification.message, { cause });
    this.name = 'DatabaseOperationError';
  }
}

export interface Attempt {
  /** 1 for the first run. */
  number: number;
  /** An earlier attempt may have committed (its connection died mid-commit): look before writing again. */
  earlierOutcomeUnknown: boolean;
}

export interface UnitOfWorkOptions {
  /**
   * The work can run twice without doing anything twice (a client-chosen UUID, an upsert, a
   * conditional update). Only then is an unknown outcome retried.
   */
  idempotent?: boolean;
}

export interface FailoverSequelize {
  readonly sequelize: Sequelize;
  /**
   * Run `work` until it succeeds, the classifier calls the error fatal, or the failover window
   * closes. `work` must open its own transaction, so that every attempt starts from BEGIN on a
   * fresh connection (a transaction cannot survive its connection).
   */
  unitOfWork<T>(what: string, work: (attempt: Attempt) => Promise<T>, options?: UnitOfWorkOptions): Promise<T>;
  /**
   * A read: from a replica, unless the session wrote within the read-your-writes window; from the
   * primary when the replica cannot answer (Sequelize has no fallback of its own, sequelize#7180).
   */
  read<T>(what: string, work: (useMaster: boolean) => Promise<T>, session?: string): Promise<T>;
  /**
   * A read whose answer says where the node that gave it stood (./session-positions.ts): a
   * replica's answer is used only if it keeps the session's read-your-writes and monotonic reads
   * (and is not on a replaced timeline), else the read is made again on the primary.
   */
  readAt<T>(what: string, work: (useMaster: boolean) => Promise<{ value: T; at: NodePosition }>, session?: string): Promise<T>;
  /**
   * Record that a session wrote (for read-your-writes): by position, the primary's after the
   * write; `timeline`: the timeline the write was committed on (its row's stamp), if known.
   */
  noteWrite(session: string | undefined, timeline?: number): Promise<void>;
  /** Bumped on every sign that the primary moved; pooled connections from before are not reused. */
  readonly epoch: number;
  close(): Promise<void>;
}

/** What a pg client looks like to the pool hooks. */
interface PooledConnection {
  _invalid?: boolean;
  _ending?: boolean;
  __failoverEpoch?: number;
  __bornAt?: number;
  connection?: { stream?: { setKeepAlive?: (on: boolean, delay: number) => void; destroy?: () => void } };
  query(sql: string): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}

/** Marks the write host's config so afterConnect knows which pool a new connection is for. */
const WRITE_POOL = '__failoverWritePool';
const MAX_SESSIONS = 10_000;

export interface FailoverSequelizeOptions {
  logger: Logger;
  /** The pg module Sequelize uses: pg itself, or pg with another Client (Aurora DSQL's connector). */
  driver?: typeof pg;
  /** Extra dialectOptions the platform needs (DSQL: clientMinMessages). */
  dialectOptions?: Record<string, unknown>;
  /** Set as the search_path of every new connection, over the config's (Aurora DSQL's roles other than admin). */
  searchPath?: string;
  /** Called with a random number in [0, 1) for backoff jitter (tests pass a fixed one). */
  random?: () => number;
}

/**
 * With read replication Sequelize keeps two pools and, when a connection's socket fails, destroys
 * it through `pool[connection.queryType]`. queryType is set only once the pool's create() has
 * finished connecting (the SET statements, afterConnect): a socket error before that, or on a
 * connection afterConnect refused, reads `pool[undefined]` and throws from an 'error' listener,
 * which kills the process (sequelize#18232, #9242; seen here when a switchover moved the virtual IP
 * under a connection to the demoted node). The driver's Client is tagged with its pool from the
 * moment it exists: destroying a connection the pool does not hold is then a no-op.
 */
function withPoolTag(driver: typeof pg, writes: Endpoint[]): typeof pg {
  const Base = driver.Client;
  class TaggedClient extends Base {
    queryType: 'read' | 'write';
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      const c = typeof config === 'object' ? config : {};
      // A host both in a multi-host write endpoint and among the replicas may get the wrong tag:
      // harmless, since Sequelize sets the right one once the connection is set up.
      this.queryType = writes.some((w) => c.host === w.host && Number(c.port ?? 5432) === w.port) ? 'write' : 'read';
    }
  }
  // The rest of the module (types, defaults, ...) as it is, through the prototype: copying it would
  // touch pg's lazy `native` getter.
  return Object.assign(Object.create(driver) as typeof pg, { Client: TaggedClient });
}

/** Sequelize's dialect connection manager: `connect` opens one connection for a pool's config. */
interface ConnectionManager {
  connect(config: Record<string, unknown>): Promise<PooledConnection>;
}

/** How long a connection that is not kept may take to close before its socket is dropped. */
const CLOSE_WAIT_MS = 1000;
/** Attempts at the write endpoint at once, at most, when they are staggered (connectStaggerMs). */
const CONNECT_ATTEMPTS_AT_ONCE = 3;

const ROLE_SQL = "SELECT pg_is_in_recovery() AS in_recovery, current_setting('transaction_read_only') AS read_only";

/** The primary's WAL insert position and timeline, asked after a write: the write's commit is before it, whatever synchronous_commit says. */
const WRITE_POSITION_SQL = "SELECT pg_current_wal_insert_lsn()::text AS lsn, ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS timeline";

/**
 * Every new write connection goes through a host choice (./host-choice.ts): libpq's
 * target_session_attrs by hand, for one host (the endpoint may still, or again, lead to a
 * standby) or for a multi-host endpoint, which node-postgres cannot read. It sits where Sequelize
 * opens a pool's connection (its dialect connection manager's `connect`), so that one new
 * connection walks the hosts, as libpq's connect does; Sequelize's hooks then run on the one
 * kept. A pg Client cannot be the seam: Sequelize makes one per connection and listens on it
 * before it connects, and a Client cannot connect twice. A connection that does not fit is ended
 * before the walk goes on, or it leaks ([E16]).
 */
function chooseWriteHosts(sequelize: Sequelize, config: FailoverConfig, log: Logger): void {
  const target = writeTargetOf(config);
  const hosts = writeHostsOf(config);
  const manager = (sequelize as unknown as { connectionManager: ConnectionManager }).connectionManager;
  const connectOnce = manager.connect.bind(manager);
  // A host that froze after letting the session in never finishes the goodbye: give it a moment,
  // then drop the socket, so the walk goes on.
  const close = async (c: PooledConnection) => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([c.end().catch(() => {}), new Promise((r) => (timer = setTimeout(r, CLOSE_WAIT_MS)))]);
    clearTimeout(timer);
    c.connection?.stream?.destroy?.();
  };
  // An attempt at the write endpoint that hangs gets another beside it (./staggered-connect.ts).
  const stagger = { staggerMs: config.connectStaggerMs, most: config.connectStaggerMs > 0 ? CONNECT_ATTEMPTS_AT_ONCE : 1 };
  const connectTo = (poolConfig: Record<string, unknown>) => staggered(() => connectOnce(poolConfig), (c) => void close(c), stagger);
  const isWrite = (poolConfig: Record<string, unknown>) => config.reads.length === 0 || Boolean(poolConfig[WRITE_POOL]);
  // One host that is not checked: nothing to choose, only the staggering.
  if (target === 'any' && hosts.length === 1) {
    manager.connect = (poolConfig) => (isWrite(poolConfig) ? connectTo(poolConfig) : connectOnce(poolConfig));
    return;
  }
  const choice = createHostChoice<PooledConnection>(hosts, target, {
    async role(c) {
      const { rows } = await c.query(ROLE_SQL);
      return { inRecovery: rows[0]?.in_recovery === true, readOnly: rows[0]?.read_only === 'on' };
    },
    close,
    stops: (error) => classify(error).verdict === 'fatal',
  });
  manager.connect = async (poolConfig) => {
    // With replicas, only the write pool's config carries the mark; without, every connection writes.
    if (!isWrite(poolConfig)) return connectOnce(poolConfig);
    const before = choice.current;
    const { connection, host } = await choice.connect((h) => connectTo({ ...poolConfig, host: h.host, port: h.port }));
    if (host !== before) log.info({ from: before, to: host, targetSessionAttrs: target }, 'new write connections go to another host');
    return connection;
  };
}

export function createFailoverSequelize(config: FailoverConfig, options: FailoverSequelizeOptions): FailoverSequelize {
  const log = options.logger;
  const random = options.random ?? Math.random;
  // Bumped on every sign that the primary moved. `validate` then refuses every pooled connection
  // opened before, so no request keeps talking to a demoted or dead node ([E6], [E17]).
  let epoch = 0;
  const signal = (c: Classification) => {
    if (!c.failoverSignal) return;
    epoch += 1;
    log.debug({ epoch, code: c.code }, 'failover signal: pooled connections from before are not reused');
  };
  const lastWriteBySession = new Map<string, number>();
  const positions = new SessionPositions({ maxSessions: MAX_SESSIONS });
  const byPosition = config.sessionConsistency === 'position' && config.reads.length > 0;

  // As on RDS: TLS required and the server's certificate checked against the CA you hold,
  // including its name, unless the sslmode says otherwise (app/failover/settings.ts).
  const ssl = config.tls ? sslOptions(config.tls) : undefined;
  const writeHosts = writeHostsOf(config);
  const searchPath = options.searchPath ?? config.searchPath;

  const sequelizeOptions: Options & { databaseVersion: string } = {
    dialect: 'postgres',
    // Passed explicitly: a bundled app has no node_modules to require it from, and DSQL swaps the Client.
    dialectModule: config.reads.length > 0 ? withPoolTag(options.driver ?? pg, writeHosts) : (options.driver ?? pg),
    database: config.database,
    username: config.user,
    // A function is handed to pg as it is, and pg calls it for every new connection (DSQL tokens).
    password: config.password as string,
    logging: false,
    ...(config.reads.length > 0
      ? {
          replication: {
            read: config.reads.map((r) => ({ host: r.host, port: r.port })),
            write: { host: config.write.host, port: config.write.port, [WRITE_POOL]: true } as { host: string; port: number },
          },
        }
      : { host: config.write.host, port: config.write.port }),
    // Without this Sequelize asks the write host for its version on first use, so with the
    // primary down even reads fail (sequelize#9845, [E4]).
    databaseVersion: config.databaseVersion,
    // Sequelize's query-level retry re-runs one statement on the same dead connection, inside a
    // transaction that is already gone, and its backoff is shorter than any failover ([E5],
    // [E15]): off. unitOfWork retries whole units of work instead.
    retry: { max: 1 },
    pool: {
      max: config.poolMax,
      min: 0,
      // Idle connections to a node that is no longer primary go away quickly.
      idle: 5000,
      evict: 1000,
      // One timer covers waiting for a connection and opening one: near the connect timeout (for
      // each host a write connection may walk through), not Sequelize's 60 s, which hides an
      // outage behind a minute of waiting (sequelize#16994).
      // Staggered attempts (connectStaggerMs) may start up to two staggers after the first.
      acquire: (config.connectTimeoutMs + (CONNECT_ATTEMPTS_AT_ONCE - 1) * config.connectStaggerMs) * writeHosts.length + 2000,
      // Synchronous only (sequelize-pool calls it without await): keep the default checks, add
      // the epoch and the age limit.
      validate: (connection: unknown) => {
        const c = connection as PooledConnection;
        if (c._invalid || c._ending || c.__failoverEpoch !== epoch) return false;
        return config.maxConnectionAgeMs === 0 || Date.now() - (c.__bornAt ?? 0) < config.maxConnectionAgeMs;
      },
    },
    dialectOptions: {
      application_name: 'flipdrill-app',
      // pg waits forever by default: a black-holed endpoint would hang every request ([E8]).
      connectionTimeoutMillis: config.connectTimeoutMs,
      query_timeout: config.queryTimeoutMs,
      // Server-side guard for a statement the client gave up on. It does not cut a commit's wait
      // for a synchronous standby (measured on PG 15), so it cannot turn such a wait into an
      // acknowledgement.
      statement_timeout: config.queryTimeoutMs,
      idle_in_transaction_session_timeout: 10_000,
      keepAlive: true,
      ...(ssl ? { ssl } : {}),
      ...options.dialectOptions,
    },
    hooks: {
      afterConnect: async (connection: unknown) => {
        const c = connection as PooledConnection;
        c.__failoverEpoch = epoch;
        c.__bornAt = Date.now();
        // Sequelize drops keepAliveInitialDelayMillis; set the delay on the socket itself ([E14]).
        c.connection?.stream?.setKeepAlive?.(true, config.keepAliveDelayMs);
        if (searchPath) await c.query(searchPathSql(searchPath));
      },
    },
  };
  const sequelize = new Sequelize(sequelizeOptions);
  chooseWriteHosts(sequelize, config, log);

  const pause = (attempt: number) => {
    const { baseMs, maxMs } = config.backoff;
    const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
    // Full jitter between half and all of the ceiling: clients that failed together do not retry together.
    return new Promise((r) => setTimeout(r, ceiling / 2 + random() * (ceiling / 2)));
  };

  async function unitOfWork<T>(what: string, work: (attempt: Attempt) => Promise<T>, unitOptions: UnitOfWorkOptions = {}): Promise<T> {
    const deadline = Date.now() + config.failoverWindowMs;
    let earlierOutcomeUnknown = false;
    for (let number = 1; ; number++) {
      try {
        return await work({ number, earlierOutcomeUnknown });
      } catch (error) {
        const c = classify(error);
        signal(c);
        const canRetry = c.verdict === 'retry' || c.verdict === 'retry-transaction' || (c.verdict === 'unknown-outcome' && unitOptions.idempotent === true);
        if (c.verdict === 'unknown-outcome') earlierOutcomeUnknown = true;
        if (!canRetry || Date.now() >= deadline) {
          // An earlier attempt that may have committed makes the whole unit's outcome unknown,
          // whatever the last attempt said.
          const final = earlierOutcomeUnknown && c.outcome === 'failed' ? { ...c, outcome: 'unknown' as const } : c;
          throw new DatabaseOperationError(final, error, number);
        }
        log.debug({ what, attempt: number, verdict: c.verdict, code: c.code }, 'retrying a unit of work');
        await pause(number);
      }
    }
  }

  async function read<T>(what: string, work: (useMaster: boolean) => Promise<T>, session?: string): Promise<T> {
    if (config.reads.length === 0 || recentlyWrote(session)) return unitOfWork(what, () => work(true), { idempotent: true });
    try {
      return await work(false);
    } catch (error) {
      const c = classify(error);
      signal(c);
      if (c.verdict === 'fatal') throw new DatabaseOperationError(c, error);
      // Reads change nothing, so any other error is worth another go, on the primary.
      return unitOfWork(what, () => work(true), { idempotent: true });
    }
  }

  function recentlyWrote(session: string | undefined): boolean {
    if (!session || config.readYourWritesMs === 0) return false;
    const at = lastWriteBySession.get(session);
    return at !== undefined && Date.now() - at < config.readYourWritesMs;
  }

  return {
    sequelize,
    get epoch() {
      return epoch;
    },
    unitOfWork,
    read,
    async readAt(what, work, session) {
      if (!byPosition) return (await read(what, work, session)).value;
      const writesBefore = positions.writesOf(session);
      const onPrimary = async () => {
        const answer = await unitOfWork(
          what,
          async () => {
            const a = await work(true);
            // The primary's pool led to a node that cannot keep the session's reads either (a
            // demoted or deposed primary): the primary moved; another go on fresh connections.
            const refusal = positions.refusal(session, a.at);
            if (refusal) throw new RoleMismatchError(`the primary's connection answered from a node that cannot keep the session's reads (${a.at.recovery ? 'in recovery' : 'a primary'}, ${refusal})`);
            return a;
          },
          { idempotent: true },
        );
        positions.used(session, answer.at, writesBefore);
        return answer.value;
      };
      let answer: { value: unknown; at: NodePosition };
      try {
        answer = await work(false);
      } catch (error) {
        const c = classify(error);
        signal(c);
        if (c.verdict === 'fatal') throw new DatabaseOperationError(c, error);
        return (await onPrimary()) as never;
      }
      const refusal = positions.refusal(session, answer.at);
      if (refusal) {
        log.debug({ what, refusal }, 'a replica could not keep the session\'s reads: read on the primary');
        return (await onPrimary()) as never;
      }
      positions.used(session, answer.at, writesBefore);
      return answer.value as never;
    },
    async noteWrite(session, timeline) {
      if (!session) return;
      if (byPosition) {
        // The session reads from the primary until the write's position is known: asked of the
        // primary after the answer has gone, so a write is never acknowledged later for it.
        const write = positions.wrote(session, timeline);
        void sequelize
          .query<{ lsn: string; timeline: number }>(WRITE_POSITION_SQL, { type: QueryTypes.SELECT, useMaster: true })
          .then(([row]) => positions.settle(session, write, { lsn: lsnOf(row!.lsn), timeline: Number(row!.timeline) }))
          .catch((error: unknown) => {
            // Not known: the session's next read on the primary settles it.
            signal(classify(error));
            positions.settle(session, write, null);
          });
      }
      if (config.readYourWritesMs === 0) return;
      lastWriteBySession.delete(session);
      lastWriteBySession.set(session, Date.now());
      // Maps iterate in insertion order: the first key is the least recently written session.
      if (lastWriteBySession.size > MAX_SESSIONS) lastWriteBySession.delete(lastWriteBySession.keys().next().value!);
    },
    async close() {
      await sequelize.close();
    },
  };
}
