/**
 * A Docker cluster flipdrill started (`startCluster()`) or found again (`attachCluster()`): the
 * handle a drill holds. It reads the cluster (its state, SQL, logs), watches its endpoint, hosts
 * its app, and does faults through its core and its capabilities (faults/); `stop()` removes it
 * (or `await using` it).
 */
import type { DockerClient, ExecResult } from './docker-client.ts';
import { appProfileNamed, appProfileOf, type AppProfile } from '../app-profiles/index.ts';
import { parseAgentLog } from '../endpoint/agent/agent-log.ts';
import type { EndpointEvent } from '../endpoint/controller.ts';
import { chooseTarget } from '../endpoint/decide.ts';
import type { EndpointView } from '../endpoint/endpoint.ts';
import { clusterEndpoint, holdsAddress } from '../endpoint/for-cluster.ts';
import { createDoWrapperClient } from '../endpoint/digitalocean/do-wrapper-client.ts';
import { ClusterError } from '../errors.ts';
import type { Logger } from '../lib/logger.ts';
import { KeptConnections, observe, queryNode, type ClusterSnapshot } from '../observe.ts';
import { names, type ClusterSpec, type NodeSpec } from '../spec.ts';
import type { Capabilities, CoreFault, DrillTarget, EndpointMover, ProfileCounter } from '../target.ts';
import type { ClusterCredentials } from './cluster-facts.ts';
import { createAndStartApp } from './containers/app.ts';
import { dockerAppDns } from './faults/app-dns.ts';
import { dockerClock } from './faults/clock.ts';
import { dockerConnections } from './faults/connections.ts';
import { dockerDiskFault } from './faults/disk-fault.ts';
import { dockerReplicationLink } from './faults/replication-link.ts';
import { dockerDiskFill } from './faults/disk-fill.ts';
import { dockerFreeze } from './faults/freeze.ts';
import { dockerNetworkShape } from './faults/network-shape.ts';
import type { NodeContainers } from './faults/node-containers.ts';
import { dockerOneWayPartition } from './faults/one-way-partition.ts';
import { dockerPartition } from './faults/partition.ts';
import { dockerSwitchover } from './faults/switchover.ts';
import { removeClusters } from './remove.ts';

export interface ClusterStatus {
  nodes: { name: string; role: 'primary' | 'standby' | 'witness' | 'down'; container: string }[];
  endpoint: { kind: string; holder: string | null };
  /** The endpoint agent: the container that moves the endpoint and fences old primaries. */
  agent: { container: string; running: boolean; problem?: string };
  app: { url: string };
}

function lastLines(text: string, n: number): string {
  return text.split('\n').slice(-n - 1).join('\n').trimEnd();
}

export class StartedCluster implements DrillTarget, AsyncDisposable {
  readonly driver: string;
  /**
   * Every capability a Docker cluster has; the disk fill only with a size-limited data file system
   * (`dataFs`), the clock only with a fake clock (`fakeClock`).
   */
  readonly capabilities: Partial<Capabilities>;
  /** Where the endpoint is: the harness only looks; the endpoint agent moves it. */
  readonly endpoint: EndpointView;
  readonly #log: Logger;

  constructor(
    readonly spec: ClusterSpec,
    readonly credentials: ClusterCredentials,
    private readonly docker: DockerClient,
    logger: Logger,
  ) {
    this.#log = logger.child({ cluster: spec.name });
    this.driver = `Docker cluster "${spec.name}"`;
    const doClient =
      spec.endpoint === 'do-simulator' && credentials.doTokens
        ? // flipdrill's own token, on the simulator's 127.0.0.1 port.
          createDoWrapperClient(credentials.doTokens.harness, { baseUrl: `${this.doSimulatorUrl}/v2/`, timeoutMs: 5000 })
        : undefined;
    this.endpoint = clusterEndpoint(spec, docker, doClient ? { doClient } : {});
    const on: NodeContainers = {
      spec,
      docker,
      containerOf: (node) => this.containerOf(node),
      node: (name) => this.node(name),
      exec: (node, cmd, options) => this.exec(node, cmd, options),
      isRunning: (node) => this.isRunning(node),
    };
    this.capabilities = {
      freeze: dockerFreeze(on),
      partition: dockerPartition(on),
      'one-way-partition': dockerOneWayPartition(on),
      'network-shape': dockerNetworkShape(on),
      'app-dns': dockerAppDns(on),
      connections: dockerConnections(on),
      'replication-link': dockerReplicationLink(on),
      ...(spec.dataFs ? { 'disk-fill': dockerDiskFill(on) } : {}),
      ...(spec.dataFs?.faults ? { 'disk-fault': dockerDiskFault(on) } : {}),
      ...(spec.fakeClock ? { clock: dockerClock(on) } : {}),
      switchover: dockerSwitchover(on),
    };
  }

  /** Does the node's network namespace hold the virtual IP? (A stopped or paused node holds nothing.) */
  holdsVirtualIp(node: string): Promise<boolean> {
    return holdsAddress(this.docker, this.containerOf(node), this.spec.virtualIp.address);
  }

  /** The DigitalOcean API simulator, from this host. */
  get doSimulatorUrl(): string {
    return `http://127.0.0.1:${this.spec.doSimulator.hostPort}`;
  }

  /**
   * With a profile that has a container in front of the endpoint: what it counts since it started
   * (the dsql app's DSQL stand-in: statements refused by rule, write conflicts answered as OC000,
   * client sessions); undefined with any other app.
   */
  appProfileCounter(): ProfileCounter | undefined {
    const front = appProfileNamed(this.spec.appProfile)?.frontContainer;
    if (!front) return undefined;
    return { title: front.title, read: () => front.counts(this.spec), event: (after, before) => front.event(after, before) };
  }

  /** The simulator's control plane (/__sim/...): faults, state, recorded requests; called with flipdrill's own token. */
  async doSimulator<T = unknown>(path: string, body?: unknown): Promise<T> {
    if (this.spec.endpoint !== 'do-simulator') throw new ClusterError(`cluster ${this.spec.name} has no DigitalOcean simulator (its endpoint is ${this.spec.endpoint})`);
    const token = this.credentials.doTokens?.harness;
    if (!token) throw new ClusterError(`cluster ${this.spec.name}: flipdrill has no token for its DigitalOcean simulator`);
    const res = await fetch(`${this.doSimulatorUrl}/__sim/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new ClusterError(`the DigitalOcean simulator answered ${res.status} to ${path}`);
    return (await res.json()) as T;
  }

  get appUrl(): string {
    return `http://127.0.0.1:${this.spec.app.hostPort}`;
  }

  get dataNodes(): NodeSpec[] {
    return this.spec.nodes.filter((n) => n.initialRole !== 'witness');
  }

  node(name: string): NodeSpec {
    const node = this.spec.nodes.find((n) => n.name === name);
    if (!node) throw new ClusterError(`no node named "${name}" in cluster ${this.spec.name}`);
    return node;
  }

  containerOf(node: string): string {
    return names.container(this.spec, node);
  }

  where(node: string): string {
    return this.containerOf(node);
  }

  describeFault(kind: CoreFault, node: string, signal = 'SIGKILL'): string {
    const container = this.containerOf(node);
    switch (kind) {
      case 'kill':
        return `docker kill --signal ${signal} ${container}`;
      case 'stop':
        return `docker stop ${container} (SIGTERM, fast shutdown)`;
    }
  }

  /**
   * The tail of the node's repmgrd and PostgreSQL logs and of its entrypoint's output, read from the
   * container's filesystem whether it runs or not (a killed or crashed node's logs matter most).
   */
  async nodeLogs(node: string): Promise<string> {
    const container = this.containerOf(node);
    const parts: string[] = [];
    const info = await this.docker.inspectContainer(container);
    parts.push(`==> container ${container}: ${info ? `${info.status}${info.running ? '' : ' (read from its filesystem)'}` : 'missing'} <==`);
    for (const file of ['/var/log/flipdrill/repmgrd.log', '/var/log/flipdrill/postgresql.log']) {
      const text = await this.docker.readFile(container, file, 256 * 1024).catch((e: Error) => `(could not read: ${e.message})`);
      parts.push(`==> ${file} <==`, lastLines(text ?? '(no such file)', 400));
    }
    parts.push('==> the entrypoint\'s output (docker logs) <==', await this.docker.logs(container, 200).catch((e: Error) => `(could not read: ${e.message})`));
    return `${parts.join('\n')}\n`;
  }

  /** Nothing to let go of: the containers are the cluster. */
  async release(): Promise<void> {}

  async isRunning(node: string): Promise<boolean> {
    const info = await this.docker.inspectContainer(this.containerOf(node));
    return Boolean(info?.running && !info.paused);
  }

  observe(): Promise<ClusterSnapshot> {
    return observe(this.spec.nodes, this.credentials.superuser, (n) => this.isRunning(n.name));
  }

  keptObserver(): { observe(): Promise<ClusterSnapshot>; close(): void } {
    const kept = new KeptConnections(this.credentials.superuser, 1500);
    return { observe: () => kept.observe(this.spec.nodes, (n) => this.isRunning(n.name)), close: () => kept.close() };
  }

  /** The node the database says is primary (on the newest timeline, if an old primary came back). */
  async primary(): Promise<string | undefined> {
    const [snapshot, endpoint] = await Promise.all([this.observe(), this.endpoint.state()]);
    return chooseTarget(snapshot, endpoint.holder)?.name;
  }

  /** SQL on one node, as the superuser, through its 127.0.0.1 port. */
  query<T extends Record<string, unknown>>(node: string, sql: string, params: unknown[] = [], database?: string): Promise<T[]> {
    const credentials = database ? { ...this.credentials.superuser, database } : this.credentials.superuser;
    return queryNode<T>(this.node(node).hostPort, credentials, sql, params, 5000);
  }

  /** Is the cluster's endpoint agent running? (Nothing moves the endpoint when it is not.) */
  async endpointMover(): Promise<EndpointMover> {
    const name = names.agentContainer(this.spec);
    const info = await this.docker.inspectContainer(name);
    if (!info) return { by: `the endpoint agent (${name})`, ok: false, problem: `the endpoint agent container ${name} does not exist` };
    if (!info.running) return { by: `the endpoint agent (${name})`, ok: false, problem: `the endpoint agent ${name} is ${info.status}; see: docker logs ${name}` };
    return { by: `the endpoint agent (${name})`, ok: true };
  }

  /** What the endpoint agent did since `sinceMs` (wall clock), from its log lines. */
  async endpointActions(sinceMs: number): Promise<EndpointEvent[]> {
    const name = names.agentContainer(this.spec);
    const text = await this.docker.logs(name, 5000).catch(() => '');
    return parseAgentLog(text).filter((e) => e.at >= sinceMs);
  }

  async kill(node: string, signal = 'SIGKILL'): Promise<void> {
    await this.docker.killContainer(this.containerOf(node), signal);
  }

  /** Clean shutdown: SIGTERM, the entrypoint stops PostgreSQL with a fast shutdown. */
  async stopNode(node: string): Promise<void> {
    await this.docker.stopContainer(this.containerOf(node), 20);
  }

  /** Start a stopped node (an old primary rejoins as a standby), or restart a running one. */
  async startNode(node: string): Promise<void> {
    const info = await this.docker.inspectContainer(this.containerOf(node));
    if (info?.paused) await this.docker.unpauseContainer(this.containerOf(node));
    if (info?.running) await this.docker.stopContainer(this.containerOf(node), 20);
    await this.docker.startContainer(this.containerOf(node));
  }

  /** Run a command inside a node's container. */
  exec(node: string, cmd: string[], options: { user?: string } = {}): Promise<ExecResult> {
    return this.docker.exec(this.containerOf(node), cmd, options);
  }

  /**
   * Has the node's entrypoint finished (registered, rejoined or cloned, and repmgrd running)?
   * PostgreSQL answers earlier than that: `repmgr node rejoin` starts it before it is done.
   */
  async isReady(node: string): Promise<boolean> {
    if (!(await this.isRunning(node))) return false;
    return (await this.exec(node, ['test', '-f', '/run/flipdrill/ready'])).exitCode === 0;
  }

  /** The Sequelize setup the running app uses. */
  async appProfile(): Promise<AppProfile> {
    const app = await this.docker.inspectContainer(names.appContainer(this.spec));
    return appProfileOf(app?.env ?? {});
  }

  /**
   * Run the app with another profile: the app container is replaced (same image, same
   * credentials, same address), and this returns once it answers /healthz. Idempotent.
   */
  async useAppProfile(profile: AppProfile, signal?: AbortSignal): Promise<void> {
    const name = names.appContainer(this.spec);
    const app = await this.docker.inspectContainer(name);
    if (!app) throw new ClusterError(`the app container ${name} is missing`, { hint: 'run: npm run flipdrill -- down, then up' });
    const running = appProfileOf(app.env);
    if (running === profile) return;
    // A container in front of the endpoint (the dsql app's DSQL stand-in) is part of the cluster's start.
    const fronted = [running, profile].map((p) => appProfileNamed(p)).find((p) => p?.frontContainer);
    if (fronted?.frontContainer) {
      throw new ClusterError(`the running cluster ${this.spec.name} runs the ${running} app; the ${fronted.name} app and its ${fronted.frontContainer.title} come with a cluster of their own`, {
        hint: 'remove it (flipdrill down), or give the drill another --name',
      });
    }
    this.#log.info({ from: running, to: profile }, 'replacing the app');
    await this.docker.removeContainer(name);
    const env = { ...app.env, APP_PROFILE: profile };
    // Only what flipdrill set: the image's own variables (PATH, NODE_ENV...) come back from the image.
    const ours = Object.fromEntries(Object.entries(env).filter(([k]) => k === 'APP_PROFILE' || k === 'SEQUELIZE_OPTIONS' || k.startsWith('DB_') || k.startsWith('ANALYTICS_')));
    appProfileNamed(profile)?.checkReplacing?.(ours, this.spec.name);
    await createAndStartApp(this, this.docker, app.image, ours, app.labels, signal);
  }

  async status(): Promise<ClusterStatus> {
    const [snapshot, endpoint] = await Promise.all([this.observe(), this.endpoint.state()]);
    return {
      nodes: snapshot.nodes.map((n) => ({ name: n.name, role: n.role, container: this.containerOf(n.name) })),
      endpoint: { kind: this.endpoint.kind, holder: endpoint.holder ?? null },
      agent: await this.endpointMover().then((m) => ({ container: names.agentContainer(this.spec), running: m.ok, ...(m.problem ? { problem: m.problem } : {}) })),
      app: { url: this.appUrl },
    };
  }

  async stop(): Promise<void> {
    await removeClusters(this.docker, this.#log, this.spec.name);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
