/**
 * One snapshot of the cluster, taken by asking each database (never a cached role): is it in
 * recovery, on which timeline, which node does it follow. Decisions are made against one snapshot
 * (Patroni's shape), never by asking "who is primary?" several times in one decision.
 *
 * Connections go to 127.0.0.1, to the ports a Docker cluster published, or to the addresses an
 * inventory gives for machines (flipdrill_node_host).
 */
import pg from 'pg';
import type { NodeSpec } from './spec.ts';

export type ObservedRole = 'primary' | 'standby' | 'witness' | 'down';

export interface NodeState {
  readonly name: string;
  readonly role: ObservedRole;
  /** Timeline the node writes (primary) or receives (standby). */
  readonly timeline?: number;
  /** For a standby: the host its WAL receiver streams from. */
  readonly upstream?: string;
  /** Why the node counts as down. */
  readonly error?: string;
  /**
   * The node's clock minus the observer's, in ms (its clock_timestamp() against the middle of the
   * round trip), and how wrong that can be (half the round trip).
   */
  readonly clock?: { offsetMs: number; errorMs: number };
}

export interface ClusterSnapshot {
  readonly takenAt: number;
  readonly nodes: readonly NodeState[];
}

export interface Credentials {
  user: string;
  password: string;
  database: string;
}

export const STATE_QUERY = `
  SELECT pg_is_in_recovery() AS in_recovery,
         CASE WHEN pg_is_in_recovery()
              THEN (SELECT received_tli FROM pg_stat_wal_receiver LIMIT 1)
              ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int
         END AS timeline,
         (SELECT sender_host FROM pg_stat_wal_receiver LIMIT 1) AS upstream,
         (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS clock_ms`;

/** Open, run, close; a node that does not answer within the timeout is down. */
export async function queryNode<T extends pg.QueryResultRow>(
  port: number,
  credentials: Credentials,
  sql: string,
  params: unknown[] = [],
  timeoutMs = 1500,
  host = '127.0.0.1',
): Promise<T[]> {
  const client = new pg.Client({
    host,
    port,
    user: credentials.user,
    password: credentials.password,
    database: credentials.database,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: 'flipdrill-observer',
  });
  // A node that dies while we hold a connection emits 'error'; without a listener Node crashes.
  client.on('error', () => {});
  try {
    await client.connect();
    const result = await client.query<T>(sql, params);
    return result.rows;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A node as observed: by its published port on 127.0.0.1, or at host:port. */
export type ObservedNode = Pick<NodeSpec, 'name' | 'initialRole' | 'hostPort'> & { host?: string };

export interface StateRow {
  in_recovery: boolean;
  timeline: number | null;
  upstream: string | null;
  clock_ms?: number | null;
}

/** A node's state from its answer to STATE_QUERY, asked at `sentAt` and answered at `answeredAt` (this host's ms). */
export function nodeStateOf(node: ObservedNode, row: StateRow | undefined, sentAt?: number, answeredAt?: number): NodeState {
  if (!row) return { name: node.name, role: 'down', error: 'no answer' };
  // The witness is a plain, writable PostgreSQL: its role comes from the cluster's definition.
  const role: ObservedRole = node.initialRole === 'witness' ? 'witness' : row.in_recovery ? 'standby' : 'primary';
  return {
    name: node.name,
    role,
    timeline: role === 'witness' ? undefined : (row.timeline ?? undefined),
    upstream: row.upstream ?? undefined,
    ...(typeof row.clock_ms === 'number' && sentAt !== undefined && answeredAt !== undefined
      ? { clock: { offsetMs: Math.round((row.clock_ms - (sentAt + answeredAt) / 2) * 10) / 10, errorMs: Math.round(((answeredAt - sentAt) / 2) * 10) / 10 } }
      : {}),
  };
}

/**
 * This host's wall clock in ms, read afresh each time. Not `performance.timeOrigin +
 * performance.now()`: that is anchored when the process starts and runs on the monotonic clock,
 * so once the system clock is stepped or slewed (a VM resumed, NTP catching up) every node reads
 * as that far off, though the nodes and this host share one clock. A millisecond is fine enough
 * against a tolerance of 250 ms.
 */
export const hostNowMs = (): number => Date.now();

export async function observeNode(node: ObservedNode, credentials: Credentials, running: boolean): Promise<NodeState> {
  if (!running) return { name: node.name, role: 'down', error: 'container not running' };
  try {
    // No clock from a one-shot look: its time would include the connection's setup.
    const [row] = await queryNode<StateRow>(node.hostPort, credentials, STATE_QUERY, [], 1500, node.host);
    return nodeStateOf(node, row);
  } catch (error) {
    return { name: node.name, role: 'down', error: (error as Error).message };
  }
}

/**
 * The same look, over one connection a node kept open between looks (the endpoint agent looks
 * several times a second: a new connection and its scram exchange each time would cost more than
 * the query). A connection that fails or times out is dropped, and the next look opens another.
 */
export class KeptConnections {
  readonly #clients = new Map<string, Promise<pg.Client>>();

  constructor(
    private readonly credentials: Credentials,
    private readonly timeoutMs = 1000,
    private readonly applicationName = 'flipdrill-observer',
  ) {}

  async #client(node: ObservedNode): Promise<pg.Client> {
    let client = this.#clients.get(node.name);
    if (!client) {
      const c = new pg.Client({
        host: node.host ?? '127.0.0.1',
        port: node.hostPort,
        user: this.credentials.user,
        password: this.credentials.password,
        database: this.credentials.database,
        connectionTimeoutMillis: this.timeoutMs,
        query_timeout: this.timeoutMs,
        application_name: this.applicationName,
      });
      c.on('error', () => this.#drop(node.name));
      client = c.connect().then(() => c);
      this.#clients.set(node.name, client);
    }
    return client;
  }

  #drop(name: string): void {
    const client = this.#clients.get(name);
    this.#clients.delete(name);
    void client?.then((c) => c.end()).catch(() => {});
  }

  async observeNode(node: ObservedNode, running: boolean): Promise<NodeState> {
    if (!running) {
      this.#drop(node.name);
      return { name: node.name, role: 'down', error: 'container not running' };
    }
    try {
      const client = await this.#client(node);
      const sentAt = hostNowMs();
      const { rows } = await client.query<StateRow>(STATE_QUERY);
      return nodeStateOf(node, rows[0], sentAt, hostNowMs());
    } catch (error) {
      this.#drop(node.name);
      return { name: node.name, role: 'down', error: (error as Error).message };
    }
  }

  async observe<N extends ObservedNode>(nodes: readonly N[], isRunning: (node: N) => Promise<boolean>): Promise<ClusterSnapshot> {
    const takenAt = Date.now();
    const states = await Promise.all(nodes.map(async (n) => this.observeNode(n, await isRunning(n))));
    return { takenAt, nodes: states };
  }

  close(): void {
    for (const name of [...this.#clients.keys()]) this.#drop(name);
  }
}

export async function observe<N extends ObservedNode>(
  nodes: readonly N[],
  credentials: Credentials,
  isRunning: (node: N) => Promise<boolean>,
): Promise<ClusterSnapshot> {
  const takenAt = Date.now();
  const states = await Promise.all(nodes.map(async (n) => observeNode(n, credentials, await isRunning(n))));
  return { takenAt, nodes: states };
}
