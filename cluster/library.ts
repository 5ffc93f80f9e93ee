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
 * automatic failover, the endpoint controller), plus the floating endpoint published on this host:
 * a port on 127.0.0.1 that leads to whichever node holds the endpoint, so code outside Docker
 * fails over the way the app inside it does.
 */
import { startCluster as startDockerCluster, type StartedCluster } from './cluster.ts';
import { connectDocker } from './docker/engine.ts';
import type { EndpointController } from './endpoint/controller.ts';
import { chooseTarget } from './endpoint/decide.ts';
import { LocalEndpointProxy } from './endpoint/local-proxy.ts';
import { ClusterError } from './errors.ts';
import { ImageBuilder } from './images.ts';
import { createLogger, type Logger } from './lib/logger.ts';
import { waitFor } from './lib/wait-for.ts';
import type { ClusterSnapshot } from './observe.ts';
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
  readonly #controller: EndpointController;
  readonly #proxy: LocalEndpointProxy;
  readonly #poll: NodeJS.Timeout;
  #holder?: string;
  #snapshot?: ClusterSnapshot;
  #killed?: string;

  /** @internal Use startCluster(). */
  constructor(cluster: StartedCluster, controller: EndpointController, proxy: LocalEndpointProxy, poll: NodeJS.Timeout, state: { holder?: string }) {
    this.#cluster = cluster;
    this.#controller = controller;
    this.#proxy = proxy;
    this.#poll = poll;
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
    clearInterval(this.#poll);
    await this.#controller.stop().catch(() => {});
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
 * cluster and the endpoint controller, and publish the floating endpoint on 127.0.0.1.
 */
export async function startCluster(options: LibraryOptions = {}): Promise<FlipdrillCluster> {
  const { logFile, onStep, signal, ...clusterOptions } = options;
  const logger: Logger = createLogger(logFile ? { file: logFile } : {});
  const docker = await connectDocker({ logger, ...(onStep ? { onStep } : {}) });
  const images = await new ImageBuilder({ docker, logger, ...(onStep ? { onStep } : {}) }).ensureAll();
  const cluster = await startDockerCluster(clusterOptions, { docker, images, logger, ...(onStep ? { onStep } : {}), ...(signal ? { signal } : {}) });
  const portOf = (node: string) => cluster.node(node).hostPort;
  const state: { holder?: string; handle?: FlipdrillCluster } = {};
  const proxy = new LocalEndpointProxy({ holder: () => state.holder, portOf, logger });
  try {
    await proxy.listen();
    const controller = cluster.endpointController({ onSnapshot: (s) => state.handle?.update(state.holder, s) });
    await controller.settle();
    controller.start();
    const refresh = async () => {
      const { holder } = await cluster.endpoint.state();
      if (holder !== state.holder) proxy.follow(holder);
      state.holder = holder;
      state.handle?.update(holder);
    };
    await refresh();
    const poll = setInterval(() => void refresh().catch(() => {}), 200).unref();
    state.handle = new FlipdrillCluster(cluster, controller, proxy, poll, state);
    state.handle.update(state.holder, controller.lastSnapshot);
    return state.handle;
  } catch (error) {
    await proxy.close().catch(() => {});
    await cluster.stop().catch(() => {});
    throw error;
  }
}
