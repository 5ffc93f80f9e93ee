/**
 * A drill target flipdrill did not build, described by a cluster file: Patroni, pg_auto_failover,
 * a repmgr set up another way. It is looked at by SQL alone (each node by its URL, the endpoint
 * through the URL the apps use) and by its HA manager's own interface; faults go through each
 * node's driver (docker, ssh, the user's commands). The app runs here, on 127.0.0.1, writing
 * through the file's endpoint into a schema of the drill's own (`flipdrill`), which the drill
 * creates before and drops after; nothing else of the cluster is written to.
 *
 * Rows are stamped with the file's node names through `flipdrill.node_names`, a table mapping each
 * node's own address and port (as the server sees itself) to its name: cluster_name, what
 * flipdrill's own nodes stamp, is one name for every node on Patroni.
 */
import { appendFileSync } from 'node:fs';
import type pg from 'pg';
import type { AppProfile } from '../app-profiles/index.ts';
import type { EndpointEvent } from '../endpoint/controller.ts';
import { chooseTarget } from '../endpoint/decide.ts';
import type { EndpointState, EndpointView } from '../endpoint/endpoint.ts';
import { ClusterError, ConfigError } from '../errors.ts';
import type { ExecResult } from '../docker/docker-client.ts';
import { LocalApp } from '../local-app.ts';
import { nodeStateOf, STATE_QUERY, type ClusterSnapshot, type NodeState, type StateRow } from '../observe.ts';
import { TIMING_PROFILES } from '../spec.ts';
import type { CoreFault, DrillTarget, EndpointMover } from '../target.ts';
import { clientSettings, DRILL_SCHEMA, sslModeOf, urlParts } from './app-settings.ts';
import type { ForeignClusterFile, ForeignNode } from './cluster-file.ts';
import { shown } from './discover.ts';
import type { AttachedFaults } from './drivers/faults-of.ts';
import type { ForeignAppImage } from './foreign-app-image.ts';
import type { HaManager, ManagerEvent } from './managers/manager.ts';
import { connectWritable, KeptSession, queryUrl, SERVER_AT_SQL, withDatabase } from './sql-reach.ts';

/** The one schema a drill writes into (DRILL_SCHEMA); created by the drill, dropped after it unless kept. */
export { DRILL_SCHEMA };
/** Said on the schema, so a drill never drops a `flipdrill` schema someone else made. */
const SCHEMA_MARK = 'made by flipdrill drill: its tables, dropped after the drill';

export interface ForeignClusterOptions {
  /** The nodes' drivers, with the HA manager's planned switchover where it has one. */
  faults: AttachedFaults;
  /** The HA manager, asked through its own interface; none: the cluster is judged by SQL alone. */
  manager?: HaManager;
  /** Where the app's output goes (the run folder). */
  appLogFile?: string;
  /** A client module of yours (--client), served here by the client host in place of flipdrill's app (as its file's owner, uid:gid, when flipdrill runs as root). */
  client?: { module: string; name: string; user?: string };
  /** Your app's image (--app-image), in a container on this machine's network in the app's place. */
  appImage?: ForeignAppImage;
}


/** What a look at the cluster learned before the drill: each node's own address, the replication. */
export interface ForeignFacts {
  /** `address:port` as each node names itself → the file's node name. */
  addresses: ReadonlyMap<string, string>;
  replication: 'sync' | 'async';
  /** The endpoint's database. */
  database: string;
}

const OBSERVE_TIMEOUT_MS = 1500;


/** Each node's own address and port, the primary's replication, the endpoint's database: asked once. */
export async function learnFacts(file: ForeignClusterFile): Promise<ForeignFacts> {
  const addresses = new Map<string, string>();
  let replication: 'sync' | 'async' = 'async';
  for (const node of file.nodes) {
    const [row] = await queryUrl<{ at: string | null; sync: string; in_recovery: boolean }>(
      node.url,
      `SELECT ${SERVER_AT_SQL} AS at, current_setting('synchronous_standby_names') AS sync, pg_is_in_recovery() AS in_recovery`,
    );
    if (!row?.at) throw new ClusterError(`node ${node.name} at ${shown(node.url)} does not say its own address (inet_server_addr() is null: a Unix socket?)`);
    if (addresses.has(row.at)) throw new ClusterError(`nodes ${addresses.get(row.at)} and ${node.name} name themselves ${row.at}: two URLs of one server?`);
    addresses.set(row.at, node.name);
    if (!row.in_recovery && row.sync.trim() !== '') replication = 'sync';
  }
  // The endpoint must land on a node the file names, by the address that node gives itself: a
  // proxy on a node's own host (127.0.0.1), or a node with several addresses, would name none.
  const [through] = await queryUrl<{ at: string | null }>(file.endpoint, `SELECT ${SERVER_AT_SQL} AS at`, [], { timeoutMs: 10_000 });
  if (!through?.at || !addresses.has(through.at)) {
    throw new ConfigError(
      `the endpoint ${shown(file.endpoint)} leads to a server that names itself ${through?.at ?? 'nothing (a Unix socket?)'}, which is none of the nodes (${[...addresses].map(([a, n]) => `${n} ${a}`).join(', ')}): give each node's URL as the endpoint reaches it`,
    );
  }
  return { addresses, replication, database: urlParts(file.endpoint).database || urlParts(file.nodes[0]!.url).database };
}

export class ForeignCluster implements DrillTarget {
  readonly driver: string;
  readonly capabilities: AttachedFaults['capabilities'];
  readonly spec: DrillTarget['spec'];
  readonly credentials: DrillTarget['credentials'];
  readonly endpoint: EndpointView;
  readonly manager?: HaManager;
  readonly managerName?: string;
  readonly #file: ForeignClusterFile;
  readonly #faults: AttachedFaults;
  readonly #facts: ForeignFacts;
  readonly #app: LocalApp;
  readonly #client?: { module: string; name: string; user?: string };
  readonly #image?: ForeignAppImage;
  readonly #appLogFile?: string;

  constructor(file: ForeignClusterFile, facts: ForeignFacts, options: ForeignClusterOptions) {
    this.#file = file;
    this.#facts = facts;
    this.#faults = options.faults;
    if (options.manager) {
      this.manager = options.manager;
      this.managerName = options.manager.name;
    }
    this.#app = new LocalApp(options.appLogFile);
    this.#client = options.client;
    this.#image = options.appImage;
    this.#appLogFile = options.appLogFile;
    this.capabilities = options.faults.capabilities;
    this.driver = `the cluster of ${file.source}`;
    this.spec = {
      name: file.name,
      replication: facts.replication,
      // Not repmgrd's: the manager's own timing, which flipdrill neither knows nor sets.
      timing: TIMING_PROFILES.fast,
      tls: false,
      endpoint: 'none',
      nodes: file.nodes.map((n, i) => ({ name: n.name, id: i + 1, initialRole: n.witness ? 'witness' : 'standby' })),
    };
    this.credentials = { app: { database: facts.database }, analytics: { database: facts.database } };
    this.endpoint = new UrlEndpoint(file.endpoint, facts.addresses);
  }

  node(name: string): ForeignNode {
    const node = this.#file.nodes.find((n) => n.name === name);
    if (!node) throw new ClusterError(`no node named "${name}" in ${this.#file.source}`);
    return node;
  }

  where(node: string): string {
    return this.#faults.nodes.find((n) => n.startsWith(`${node} `)) ?? node;
  }

  // The core, through each node's driver.
  describeFault(kind: CoreFault, node: string, signal?: string): string {
    return this.#faults.describeFault(kind, node, signal);
  }
  isRunning(node: string): Promise<boolean> {
    return this.#faults.isRunning(node);
  }
  exec(node: string, cmd: string[], options?: { user?: string }): Promise<ExecResult> {
    return this.#faults.exec(node, cmd, options);
  }
  kill(node: string, signal?: string): Promise<void> {
    return this.#faults.kill(node, signal);
  }
  stopNode(node: string): Promise<void> {
    return this.#faults.stopNode(node);
  }
  startNode(node: string): Promise<void> {
    return this.#faults.startNode(node);
  }

  /** Ready: it answers, and a standby streams from someone (what every manager waits for too). */
  async isReady(node: string): Promise<boolean> {
    try {
      const [row] = await queryUrl<{ in_recovery: boolean; streaming: boolean }>(
        this.node(node).url,
        "SELECT pg_is_in_recovery() AS in_recovery, EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') AS streaming",
        [],
        { timeoutMs: OBSERVE_TIMEOUT_MS },
      );
      return Boolean(row) && (!row!.in_recovery || row!.streaming || this.node(node).witness === true);
    } catch {
      return false;
    }
  }

  #observed(node: ForeignNode) {
    return { name: node.name, initialRole: node.witness ? ('witness' as const) : ('standby' as const), hostPort: 0 };
  }

  async observe(): Promise<ClusterSnapshot> {
    const takenAt = Date.now();
    const nodes = await Promise.all(
      this.#file.nodes.map(async (node): Promise<NodeState> => {
        try {
          const [row] = await queryUrl<StateRow>(node.url, STATE_QUERY, [], { timeoutMs: OBSERVE_TIMEOUT_MS });
          return nodeStateOf(this.#observed(node), row);
        } catch (error) {
          return { name: node.name, role: 'down', error: (error as Error).message };
        }
      }),
    );
    return { takenAt, nodes };
  }

  keptObserver(): { observe(): Promise<ClusterSnapshot>; close(): void } {
    const sessions = new Map(this.#file.nodes.map((n) => [n.name, new KeptSession(n.url, { timeoutMs: OBSERVE_TIMEOUT_MS })]));
    return {
      observe: async () => {
        const takenAt = Date.now();
        const nodes = await Promise.all(
          this.#file.nodes.map(async (node): Promise<NodeState> => {
            try {
              const sentAt = Date.now();
              const [row] = await sessions.get(node.name)!.query<StateRow>(STATE_QUERY);
              return nodeStateOf(this.#observed(node), row, sentAt, Date.now());
            } catch (error) {
              return { name: node.name, role: 'down', error: (error as Error).message };
            }
          }),
        );
        return { takenAt, nodes };
      },
      close: () => {
        for (const s of sessions.values()) s.drop();
      },
    };
  }

  async primary(): Promise<string | undefined> {
    const [snapshot, endpoint] = await Promise.all([this.observe(), this.endpoint.state()]);
    return chooseTarget(snapshot, endpoint.holder)?.name;
  }

  /** SQL on a node, as the file's role for it, with the drill's schema first on the search_path. */
  query<T extends Record<string, unknown>>(node: string, sql: string, params: unknown[] = [], database?: string): Promise<T[]> {
    const url = database ? withDatabase(this.node(node).url, database) : this.node(node).url;
    return queryUrl<T & pg.QueryResultRow>(url, sql, params, { timeoutMs: 5000, searchPath: `${DRILL_SCHEMA},public` });
  }

  /** No node's files are read on a cluster flipdrill did not build: what the manager says instead. */
  async nodeLogs(node: string): Promise<string> {
    const view = this.manager ? await this.manager.whole().catch((e: Error) => [`${this.manager!.name} did not answer: ${e.message}`]) : [];
    return [`${node}: flipdrill reads no files of a cluster it did not build; see the node's own logs.`, ...(this.manager ? [`${this.manager.name} says: ${view.length ? view.join('; ') : 'the cluster is whole'}`] : [])].join('\n') + '\n';
  }

  /** The cluster moves its endpoint by its own means (a proxy's health checks, the manager, DNS). */
  async endpointMover(): Promise<EndpointMover> {
    return { by: this.manager ? `${this.manager.name} and the endpoint's own means` : "the endpoint's own means", ok: true };
  }

  async endpointActions(): Promise<EndpointEvent[]> {
    return [];
  }

  /** What the HA manager recorded since `sinceMs` (none without a manager). */
  async managerEvents(sinceMs: number): Promise<ManagerEvent[]> {
    return this.manager ? this.manager.events(sinceMs) : [];
  }

  doSimulator<T = unknown>(): Promise<T> {
    throw new ClusterError(`${this.spec.name} has no DigitalOcean simulator`);
  }

  async appProfile(): Promise<AppProfile> {
    // Named as a Docker cluster's app image names itself (APP_PROFILE=image), for the report.
    if (this.#image) return 'image' as AppProfile;
    return this.#app.profile ?? 'aware';
  }

  get appUrl(): string {
    return this.#image ? this.#image.url : this.#app.url;
  }

  /** Run the app here, writing through the file's endpoint into the drill's schema, reading from its replicas. */
  async useAppProfile(profile: AppProfile, signal?: AbortSignal): Promise<void> {
    if (this.#image) return this.#image.start(this.#file.endpoint, this.#file.replicas, signal);
    if (this.#client) {
      // Your module, served here: the endpoint's settings and each replica's, in the drill's schema.
      await this.#app.start({
        // Named as a Docker cluster's client host names itself (APP_PROFILE=client), for the report.
        profile: 'client' as AppProfile,
        program: { kind: 'client', ...this.#client },
        writesTo: `the endpoint ${shown(this.#file.endpoint)}`,
        ...(signal ? { signal } : {}),
        env: {
          FLIPDRILL_CONNECTION: JSON.stringify(clientSettings(this.#file.endpoint)),
          FLIPDRILL_REPLICAS: JSON.stringify((this.#file.replicas.length ? this.#file.replicas : [this.#file.endpoint]).map(clientSettings)),
          PGOPTIONS: `-c search_path=${DRILL_SCHEMA},public`,
          ...(sslModeOf(this.#file.endpoint) ? { PGSSLMODE: sslModeOf(this.#file.endpoint)! } : {}),
        },
      });
      return;
    }
    const { user, password, database } = urlParts(this.#file.endpoint);
    const readHosts = this.#file.replicas.flatMap((r) => /^postgres(?:ql)?:\/\/(?:[^@/]*@)?([^/?]*)/.exec(r)?.[1]?.split(',') ?? []);
    await this.#app.start({
      profile,
      writesTo: `the endpoint ${shown(this.#file.endpoint)}`,
      ...(signal ? { signal } : {}),
      env: {
        DATABASE_URL: this.#file.endpoint,
        DB_USER: user,
        DB_PASSWORD: password,
        DB_NAME: database,
        // None given: reads go through the endpoint (empty, not the app's default of node2,node1).
        DB_READ_HOSTS: readHosts.join(','),
        // The second database of the app is the same one here, in the same schema.
        ANALYTICS_DB_NAME: database,
        DB_SCHEMA: DRILL_SCHEMA,
        DB_NODE_NAMES: 'table',
      },
    });
  }

  /**
   * The drill's schema, made through the endpoint (the primary): refused if a `flipdrill` schema is
   * there that a drill did not make. With it, the table that names each node by its own address.
   */
  async createSchema(): Promise<void> {
    const client = await this.#endpointClient();
    try {
      const [found] = (await client.query<{ mark: string | null }>("SELECT obj_description(oid, 'pg_namespace') AS mark FROM pg_namespace WHERE nspname = $1", [DRILL_SCHEMA])).rows;
      if (found && found.mark !== SCHEMA_MARK) {
        throw new ClusterError(`a schema named ${DRILL_SCHEMA} is in database ${this.#facts.database} and flipdrill did not make it: the drill writes only into a schema of its own`, {
          hint: `drop or rename that schema if it is yours to; flipdrill will not touch it`,
        });
      }
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${DRILL_SCHEMA}`);
      await client.query(`COMMENT ON SCHEMA ${DRILL_SCHEMA} IS '${SCHEMA_MARK}'`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${DRILL_SCHEMA}.node_names (address text PRIMARY KEY, name text NOT NULL)`);
      for (const [address, name] of this.#facts.addresses) {
        await client.query(`INSERT INTO ${DRILL_SCHEMA}.node_names VALUES ($1, $2) ON CONFLICT (address) DO UPDATE SET name = EXCLUDED.name`, [address, name]);
      }
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** Drop the drill's schema (only one a drill made). Returns whether there was one. */
  async dropSchema(): Promise<boolean> {
    const client = await this.#endpointClient();
    try {
      const [found] = (await client.query<{ mark: string | null }>("SELECT obj_description(oid, 'pg_namespace') AS mark FROM pg_namespace WHERE nspname = $1", [DRILL_SCHEMA])).rows;
      if (!found) return false;
      if (found.mark !== SCHEMA_MARK) throw new ClusterError(`the schema ${DRILL_SCHEMA} was not made by a drill: not dropping it`);
      await client.query(`DROP SCHEMA ${DRILL_SCHEMA} CASCADE`);
      return true;
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** A session through the endpoint that can write: the schema statements wait (30 s at most) until it reaches the primary. */
  #endpointClient(): Promise<pg.Client> {
    return connectWritable(this.#file.endpoint, 30_000, { timeoutMs: 10_000, applicationName: 'flipdrill' });
  }

  /**
   * Is the cluster whole, as its manager sees it (every member back, one leader, replicas
   * streaming) and by SQL (every node answers, one primary, each standby streaming)? One line per
   * thing that is not.
   */
  async wholeness(): Promise<string[]> {
    const snapshot = await this.observe();
    const problems: string[] = [];
    const primaries = snapshot.nodes.filter((n) => n.role === 'primary');
    if (primaries.length !== 1) problems.push(primaries.length ? `${primaries.length} nodes answer as primary (${primaries.map((n) => n.name).join(', ')})` : 'no node answers as primary');
    for (const n of snapshot.nodes) if (n.role === 'down') problems.push(`${n.name} does not answer: ${n.error ?? 'no answer'}`);
    for (const n of snapshot.nodes) if (n.role === 'standby' && !(await this.isReady(n.name))) problems.push(`${n.name} is a standby that does not stream`);
    if (this.manager) problems.push(...(await this.manager.whole().catch((e: Error) => [`${this.manager!.name} did not answer: ${e.message}`])));
    return problems;
  }

  async release(): Promise<void> {
    await this.#app.stop();
    if (this.#image) {
      const said = await this.#image.stop();
      if (said && this.#appLogFile) appendFileSync(this.#appLogFile, said);
    }
    (this.endpoint as UrlEndpoint).close();
  }

  /** flipdrill never removes a cluster it did not build: this only lets go of it. */
  async stop(): Promise<void> {
    await this.release();
  }
}

/**
 * The endpoint the apps use, as a drill sees it: the node a session through it lands on, by the
 * address and port that node names itself with. Nobody is fenced here (that is the cluster's own
 * business): every data node counts as reachable.
 */
class UrlEndpoint implements EndpointView {
  readonly kind = 'url' as const;
  readonly address: string;
  readonly #session: KeptSession;
  readonly #addresses: ReadonlyMap<string, string>;

  constructor(url: string, addresses: ReadonlyMap<string, string>) {
    this.address = shown(url);
    this.#addresses = addresses;
    this.#session = new KeptSession(url, { timeoutMs: 1000, applicationName: 'flipdrill-endpoint' });
  }

  /** Let go of the session kept through the endpoint. */
  close(): void {
    this.#session.drop();
  }

  async state(): Promise<EndpointState> {
    const reachable = [...this.#addresses.values()];
    try {
      const [row] = await this.#session.query<{ at: string | null; in_recovery: boolean }>(`SELECT ${SERVER_AT_SQL} AS at, pg_is_in_recovery() AS in_recovery`);
      // A session that lands on a standby (a demoted primary behind a proxy that has not noticed):
      // the endpoint leads to no primary now; the next look opens a new session.
      if (!row || row.in_recovery) {
        this.#session.drop();
        return { reachable };
      }
      const holder = row.at ? this.#addresses.get(row.at) : undefined;
      return { ...(holder ? { holder } : {}), reachable };
    } catch {
      return { reachable };
    }
  }
}
