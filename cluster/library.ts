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
import { startCluster as startDockerCluster, type StartedCluster } from './cluster.ts';
import { connectDocker } from './docker/engine.ts';
import { chooseTarget } from './endpoint/decide.ts';
import { LocalEndpointProxy } from './endpoint/local-proxy.ts';
import { ClusterError } from './errors.ts';
import { ImageBuilder } from './images.ts';
import { createLogger, type Logger } from './lib/logger.ts';
import { waitFor } from './lib/wait-for.ts';
import type { ClusterSnapshot } from './observe.ts';
import { ClusterWatcher } from './watcher.ts';
import type { ClusterOptions } from './spec.ts';

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
    this.nodes = cluster.spec.nodes.map((n) => ({ name: n.name, initialRole: n.initialRole, port: n.hostPort }));
    this.replicas = cluster.dataNodes
      .slice()
      .reverse()
      .map((n) => ({ host: '127.0.0.1', port: n.hostPort, user: app.user, password: app.password, database: app.database }));
  }

  /** @internal */
  update(holder: string | undefined, snapshot?: ClusterSnapshot): void {
    this.#holder = holder;
    if (snapshot) this.#snapshot = snapshot;
  }

  /** The floating endpoint on this host, and the node it leads to now. */
  get endpoint(): { host: string; port: number; holder: string | undefined } {
    return { host: '127.0.0.1', port: this.#proxy.port, holder: this.#holder };
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
  const cluster = await startDockerCluster(clusterOptions, { docker, images, logger, ...(onStep ? { onStep } : {}), ...(signal ? { signal } : {}) });
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
