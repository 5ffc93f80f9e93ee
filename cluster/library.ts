/**
 * flipdrill as a library, for your own test suite:
 *
 *   import { startCluster } from 'flipdrill';
 *   await using cluster = await startCluster({ name: 'mytests' });
 *   // connect your code to cluster.connection (the floating endpoint, on 127.0.0.1)
 *   const killed = await cluster.killPrimary();
 *   const promoted = await cluster.waitForPromotion();
 *
 * A started cluster is the same one `flipdrill up` starts (primary, standby, witness, repmgrd with
 * automatic failover, the endpoint agent that moves the endpoint and fences old primaries), plus
 * the floating endpoint published on this host: a port on 127.0.0.1 that leads to whichever node
 * holds the endpoint, so code outside Docker fails over the way the app inside it does. The port
 * decides nothing: it follows where the agent put the endpoint, as a look at the engine shows it.
 */
import { startCluster as startDockerCluster } from './docker/start.ts';
import type { StartedCluster } from './docker/started-cluster.ts';
import { connectDocker } from './docker/engine.ts';
import { chooseTarget } from './endpoint/decide.ts';
import { LocalEndpointProxy } from './endpoint/local-proxy.ts';
import { ClusterError } from './errors.ts';
import { ImageBuilder } from './images.ts';
import { createLogger, type Logger } from './lib/logger.ts';
import { waitFor } from './lib/wait-for.ts';
import type { ClusterSnapshot } from './observe.ts';
import { ClusterWatcher } from './watcher.ts';
import { dropletIdOf, type ClusterOptions } from './spec.ts';
import type { NodeFaults } from './target.ts';
import { PortInUseError, SubnetConflictError } from './errors.ts';

export type { ClusterOptions } from './spec.ts';
export { FlipdrillError, ClusterError, ConfigError, WaitTimeoutError } from './errors.ts';

/** What a PostgreSQL client needs: pass it to pg, Sequelize, psql... */
export interface ConnectionSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** The same settings as a URL: postgres://user:password@host:port/database. */
export function connectionString(c: ConnectionSettings): string {
  return `postgres://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@${c.host}:${c.port}/${encodeURIComponent(c.database)}`;
}

/** What changed between two looks at the cluster. */
export interface ClusterChange {
  endpointMovedTo?: string;
  /** The node that is primary now, when it is another than before. */
  primary?: string;
}

export interface LibraryOptions extends ClusterOptions {
  /** Structured logs (pino, JSON lines) go here; by default nowhere. */
  logFile?: string;
  /** Progress, a line at a time ("building images...", "node2 registered..."). */
  onStep?: (step: string) => void;
  signal?: AbortSignal;
}

export class FlipdrillCluster implements AsyncDisposable {
  readonly name: string;
  /** Through the floating endpoint: writes go to the primary, whichever node that is. */
  readonly connection: ConnectionSettings;
  /** Each data node directly (the standby first, as Sequelize's read replicas in the tutorial). */
  readonly replicas: ConnectionSettings[];
  /** The superuser, through the floating endpoint (for setting up schemas in tests). */
  readonly superuser: ConnectionSettings;
  /** `connection` as a URL (postgres://...), for clients that take one. */
  readonly connectionString: string;
  /** Every node, with the role it started in and its PostgreSQL port on 127.0.0.1. */
  readonly nodes: { name: string; initialRole: 'primary' | 'standby' | 'witness'; port: number }[];
  readonly #cluster: StartedCluster;
  readonly #watcher: ClusterWatcher;
  #closeObserver?: () => void;
  readonly #proxy: LocalEndpointProxy;
  #holder?: string;
  #snapshot?: ClusterSnapshot;
  #killed?: string;

  /** @internal Use startCluster(). */
  constructor(cluster: StartedCluster, watcher: ClusterWatcher, proxy: LocalEndpointProxy, state: { holder?: string; closeObserver?: () => void }) {
    this.#cluster = cluster;
    if (state.closeObserver) this.#closeObserver = state.closeObserver;
    this.#watcher = watcher;
    this.#proxy = proxy;
    this.#holder = state.holder;
    this.name = cluster.spec.name;
    const { app, superuser } = cluster.credentials;
    this.connection = { host: '127.0.0.1', port: proxy.port, user: app.user, password: app.password, database: app.database };
    this.superuser = { host: '127.0.0.1', port: proxy.port, user: superuser.user, password: superuser.password, database: app.database };
    this.connectionString = connectionString(this.connection);
    this.nodes = cluster.spec.nodes.map((n) => ({ name: n.name, initialRole: n.initialRole, port: n.hostPort }));
    this.replicas = cluster.dataNodes
      .slice()
      .reverse()
      .map((n) => ({ host: '127.0.0.1', port: n.hostPort, user: app.user, password: app.password, database: app.database }));
  }

  readonly #listeners: ((change: ClusterChange) => void)[] = [];

  /** @internal */
  update(holder: string | undefined, snapshot?: ClusterSnapshot): void {
    const before = { holder: this.#holder, primary: this.#snapshot ? chooseTarget(this.#snapshot)?.name : undefined };
    this.#holder = holder;
    if (snapshot) this.#snapshot = snapshot;
    const primary = this.#snapshot ? chooseTarget(this.#snapshot)?.name : undefined;
    const change: ClusterChange = {
      ...(holder && holder !== before.holder ? { endpointMovedTo: holder } : {}),
      ...(primary && primary !== before.primary ? { primary } : {}),
    };
    if (change.endpointMovedTo || change.primary) for (const listener of this.#listeners) listener(change);
  }

  /** Be told, as the cluster is watched (ten looks a second), when the endpoint moves or another node is primary. */
  onChange(listener: (change: ClusterChange) => void): () => void {
    this.#listeners.push(listener);
    return () => this.#listeners.splice(this.#listeners.indexOf(listener), 1);
  }

  /** The floating endpoint on this host, and the node it leads to now. */
  get endpoint(): { host: string; port: number; holder: string | undefined } {
    return { host: '127.0.0.1', port: this.#proxy.port, holder: this.#holder };
  }

  /**
   * With the DigitalOcean floating IP (endpoint do-simulator): what the API simulator recorded of
   * its moves (every assign request, when, to which droplet, which node that droplet is, the
   * status it was answered with) and where the IP is now.
   */
  async floatingIp(): Promise<{ ip: string; node: string | undefined; assigns: { at: number; dropletId: number; node: string | undefined; status: number | undefined }[] }> {
    const nodeOf = (id: number | null) => this.#cluster.spec.nodes.find((n) => dropletIdOf(n) === id)?.name;
    const { requests } = await this.#cluster.doSimulator<{ requests: { at: number; method: string; path: string; body: unknown; status?: number }[] }>('requests');
    const { ips } = await this.#cluster.doSimulator<{ ips: { ip: string; dropletId: number | null }[] }>('state');
    const ip = this.#cluster.spec.doSimulator.floatingIp;
    const assigns = requests
      .filter((r) => r.method === 'POST' && r.path === `/v2/floating_ips/${ip}/actions` && (r.body as { type?: string } | null)?.type === 'assign')
      .map((r) => {
        const dropletId = Number((r.body as { droplet_id?: number }).droplet_id);
        return { at: r.at, dropletId, node: nodeOf(dropletId), status: r.status };
      });
    return { ip, node: nodeOf(ips.find((i) => i.ip === ip)?.dropletId ?? null), assigns };
  }

  /** The node the databases say is primary now. */
  async primary(): Promise<string> {
    const primary = await this.#cluster.primary();
    if (!primary) throw new ClusterError(`cluster ${this.name} has no primary right now`);
    return primary;
  }

  /** Run a command in a node's container (as root, or as `user`): its exit code and output. */
  async exec(node: string, command: string[], options: { user?: string } = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    return this.#cluster.exec(node, command, options);
  }

  /**
   * What faults act through: kill, stop, start, freeze, partitions, switchover on this cluster's
   * nodes. The fault functions of the package (`freeze(cluster, 'primary')`...) use it; so may you.
   */
  get faults(): NodeFaults {
    return this.#cluster;
  }

  /** Start a node that a fault stopped or killed: it rejoins as a standby if another node is primary. */
  async startNode(node: string): Promise<void> {
    await this.#cluster.startNode(node);
  }

  /** The role each node has now, as the databases say (`down` when it does not answer). */
  roles(): Record<string, string> {
    return Object.fromEntries((this.#snapshot?.nodes ?? []).map((n) => [n.name, n.role]));
  }

  /** SIGKILL the primary's container (no clean shutdown). Returns the node killed. */
  async killPrimary(): Promise<string> {
    const primary = await this.primary();
    await this.#cluster.kill(primary);
    this.#killed = primary;
    return primary;
  }

  /**
   * Wait until another node is primary and holds the floating endpoint (after killPrimary, or any
   * failover you caused). Returns the new primary.
   */
  async waitForPromotion(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string> {
    const old = this.#killed ?? this.#holder;
    return waitFor(
      `a node other than ${old ?? '?'} to be primary and hold the floating endpoint`,
      async () => {
        const target = this.#snapshot ? chooseTarget(this.#snapshot) : undefined;
        return target && target.name !== old && this.#holder === target.name ? target.name : undefined;
      },
      { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 100, ...(options.signal ? { signal: options.signal } : {}), hint: 'see the nodes: docker logs <cluster>-node2' },
    );
  }

  /** Remove everything the cluster made (containers, networks, volumes). */
  async stop(): Promise<void> {
    await this.#watcher.stop().catch(() => {});
    this.#closeObserver?.();
    await this.#proxy.close().catch(() => {});
    await this.#cluster.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/**
 * Build the images if needed (the first time takes about a minute, and needs root for
 * debootstrap unless FLIPDRILL_BASE_IMAGE names a bookworm image you can pull), start the
 * cluster (with its endpoint agent), and publish the floating endpoint on 127.0.0.1.
 */
export async function startCluster(options: LibraryOptions = {}): Promise<FlipdrillCluster> {
  const { logFile, onStep, signal, ...clusterOptions } = options;
  const logger: Logger = createLogger(logFile ? { file: logFile } : {});
  const docker = await connectDocker({ logger, ...(onStep ? { onStep } : {}) });
  const images = await new ImageBuilder({ docker, logger, ...(onStep ? { onStep } : {}) }).ensureAll();
  const cluster = await startWithFreeChoices(clusterOptions, (chosen) => startDockerCluster(chosen, { docker, images, logger, ...(onStep ? { onStep } : {}), ...(signal ? { signal } : {}) }));
  const portOf = (node: string) => cluster.node(node).hostPort;
  const state: { holder?: string; handle?: FlipdrillCluster; closeObserver?: () => void } = {};
  const proxy = new LocalEndpointProxy({ holder: () => state.holder, portOf, logger });
  try {
    await proxy.listen();
    // Looks only: where the endpoint is (the agent moves it) and what the databases say.
    const kept = cluster.keptObserver();
    state.closeObserver = () => kept.close();
    const watcher = new ClusterWatcher({
      observe: () => kept.observe(),
      endpoint: cluster.endpoint,
      logger,
      onSnapshot: (snapshot, endpoint) => {
        if (endpoint.holder !== state.holder) proxy.follow(endpoint.holder);
        state.holder = endpoint.holder;
        state.handle?.update(endpoint.holder, snapshot);
      },
    });
    const first = await watcher.look();
    watcher.start();
    state.handle = new FlipdrillCluster(cluster, watcher, proxy, state);
    state.handle.update(state.holder, first.snapshot);
    return state.handle;
  } catch (error) {
    state.closeObserver?.();
    await proxy.close().catch(() => {});
    await cluster.stop().catch(() => {});
    throw error;
  }
}

/**
 * What the caller left out, chosen so that test files can start clusters side by side: a name of
 * its own, free ports on 127.0.0.1, and two /24 subnets of 10.240.0.0/16. The cluster's own checks
 * (a port in use, a subnet overlapping a Docker network or an address of this host) turn a bad
 * choice, or a race with another file, into another try with other choices.
 */
async function startWithFreeChoices<T>(options: ClusterOptions, start: (chosen: ClusterOptions) => Promise<T>): Promise<T> {
  const pick = (n: number) => Math.floor(Math.random() * n);
  for (let attempt = 1; ; attempt++) {
    const k = pick(128);
    const portBase = 20000 + pick(2000) * 16;
    const chosen: ClusterOptions = {
      ...options,
      name: options.name ?? `flipdrill-${Math.random().toString(36).slice(2, 8)}`,
      portBase: options.portBase ?? portBase,
      // After the node ports: up to 5 nodes, then the app and the simulator.
      appPort: options.appPort ?? (options.portBase ?? portBase) + 8,
      backSubnet: options.backSubnet ?? `10.240.${2 * k}.0/24`,
      frontSubnet: options.frontSubnet ?? `10.240.${2 * k + 1}.0/24`,
    };
    const anyChosen = ['name', 'portBase', 'appPort', 'backSubnet', 'frontSubnet'].some((key) => options[key as keyof ClusterOptions] === undefined);
    try {
      return await start(chosen);
    } catch (error) {
      const clash = error instanceof PortInUseError || error instanceof SubnetConflictError || /overlaps with other one|address already in use|port is already allocated/i.test((error as Error).message);
      if (!anyChosen || !clash || attempt >= 5) throw error;
    }
  }
}
