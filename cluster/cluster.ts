/**
 * Describe a cluster, `startCluster()` it into a StartedCluster that holds the runtime facts, and
 * `stop()` it (or `await using` it). A start that fails removes whatever it created: no
 * half-created cluster is ever left behind.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DockerClient, ExecResult } from './docker/docker-client.ts';
import type { TarFile } from './docker/tar.ts';
import { isLoopback, type EngineAddress } from './docker/engine-address.ts';
import type { StepReporter } from './docker/engine.ts';
import { parseAgentLog } from './endpoint/agent/agent-log.ts';
import type { EndpointEvent } from './endpoint/controller.ts';
import { chooseTarget } from './endpoint/decide.ts';
import type { EndpointView } from './endpoint/endpoint.ts';
import { clusterEndpoint, holdsAddress } from './endpoint/for-cluster.ts';
import { ClusterError, ConfigError, PortInUseError, SubnetConflictError } from './errors.ts';
import { prepareClientModule, type ClientModule } from './client-module.ts';
import type { Images } from './images.ts';
import type { Logger } from './lib/logger.ts';
import { waitFor } from './lib/wait-for.ts';
import { KeptConnections, observe, queryNode, type ClusterSnapshot, type Credentials } from './observe.ts';
import { ONE_WAY_CHAIN, type DrillTarget, type EndpointMover, type FaultKind } from './target.ts';
import { generateSshKeyPair, type SshKeyPair } from './ssh-key.ts';
import { generateClusterTls, type ClusterTls } from './tls.ts';
import { assertDataFsPossible, ballastLeft, BALLAST, createDataFs, DATA_FS_MOUNT, DATA_FS_PGDATA, dataFsPaths, fillScript, removeDataFs } from './data-fs.ts';
import { FAKE_CLOCK_ENV, skewLeftScript, skewScript, unskewScript } from './clock.ts';
import { shapeLeftScript, shapeScript, unshapeScript, type NetworkShape } from './net-shape.ts';
import { createDoWrapperClient } from './endpoint/digitalocean/do-wrapper-client.ts';
import {
  defineCluster,
  hostAddress,
  names,
  NODE_LABEL,
  PROJECT_LABEL,
  projectLabels,
  ROLE_LABEL,
  SPEC_LABEL,
  AGENT_ROLE,
  subnetsOverlap,
  type ClusterOptions,
  dropletIdOf,
  type AppProfile,
  type ClusterSpec,
  type NodeSpec,
} from './spec.ts';

/** The app's second database (seed 003: one app, several databases). */
export const ANALYTICS_DATABASE = 'flipdrill_analytics';
/** The DSQL stand-in's name on the client network (the dsql app's write endpoint). */
const DSQL_STAND_IN_HOST = 'dsql';

/** What the DSQL stand-in counted, as its /stats gives it. */
export interface DsqlStandInCounts {
  refused: Record<string, number>;
  conflicts: number;
  sessions: number;
}
/** The iptables chain that blocks the app's DNS, in the app's network namespace. */
const DNS_CHAIN = 'FLIPDRILL-DNS';
/** The iptables chain a one-way partition adds inside a node's own network namespace. */

export interface ClusterCredentials {
  superuser: Credentials;
  repmgrPassword: string;
  app: Credentials;
  /** PEM of the cluster's CA, when the nodes serve TLS. */
  ca?: string;
  /** DigitalOcean API tokens the simulator accepts: the nodes' hook's, flipdrill's own, the endpoint agent's (separate rate limits). */
  doTokens?: { hook: string; harness: string; agent: string };
}

export interface ClusterStatus {
  nodes: { name: string; role: 'primary' | 'standby' | 'witness' | 'down'; container: string }[];
  endpoint: { kind: string; holder: string | null };
  /** The endpoint agent: the container that moves the endpoint and fences old primaries. */
  agent: { container: string; running: boolean; problem?: string };
  app: { url: string };
}

export interface StartOptions {
  docker: DockerClient;
  images: Images;
  logger: Logger;
  onStep?: StepReporter;
  signal?: AbortSignal;
  /** Deadline for the three nodes to be registered and streaming. */
  readyTimeoutMs?: number;
}

function lastLines(text: string, n: number): string {
  return text.split('\n').slice(-n - 1).join('\n').trimEnd();
}

function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

export class StartedCluster implements DrillTarget, AsyncDisposable {
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
    const doClient =
      spec.endpoint === 'do-simulator' && credentials.doTokens
        ? // flipdrill's own token, on the simulator's 127.0.0.1 port.
          createDoWrapperClient(credentials.doTokens.harness, { baseUrl: `${this.doSimulatorUrl}/v2/`, timeoutMs: 5000 })
        : undefined;
    this.endpoint = clusterEndpoint(spec, docker, doClient ? { doClient } : {});
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
   * With the dsql app: what the DSQL stand-in counted since it started (statements refused by rule,
   * write conflicts answered as OC000, client sessions); undefined with any other app.
   */
  async dsqlStandInStats(): Promise<DsqlStandInCounts | undefined> {
    if (this.spec.appProfile !== 'dsql') return undefined;
    const res = await fetch(`http://127.0.0.1:${this.spec.dsqlStandIn.statsPort}/stats`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new ClusterError(`the DSQL stand-in answered ${res.status} to /stats`);
    return (await res.json()) as DsqlStandInCounts;
  }

  /** The simulator's control plane (/__sim/...): faults, state, recorded requests. */
  async doSimulator<T = unknown>(path: string, body?: unknown): Promise<T> {
    if (this.spec.endpoint !== 'do-simulator') throw new ClusterError(`cluster ${this.spec.name} has no DigitalOcean simulator (its endpoint is ${this.spec.endpoint})`);
    const res = await fetch(`${this.doSimulatorUrl}/__sim/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
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

  describeFault(kind: FaultKind, node: string, signal = 'SIGKILL'): string {
    const container = this.containerOf(node);
    switch (kind) {
      case 'kill':
        return `docker kill --signal ${signal} ${container}`;
      case 'stop':
        return `docker stop ${container} (SIGTERM, fast shutdown)`;
      case 'freeze':
        return `docker pause ${container}`;
      case 'partition':
        return `docker network disconnect ${container} from the replication and application networks`;
      case 'partition-one-way':
        return `iptables in ${container}: drop every packet from the other nodes; the app and the host still reach it`;
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

  async pause(node: string): Promise<void> {
    await this.docker.pauseContainer(this.containerOf(node));
  }

  /** Idempotent: a node that is not paused is left alone. */
  async unpause(node: string): Promise<void> {
    const info = await this.docker.inspectContainer(this.containerOf(node));
    if (info?.paused) await this.docker.unpauseContainer(this.containerOf(node));
  }

  /**
   * A one-way partition: the node stops hearing the other nodes on the replication network (their
   * packets are dropped as they arrive), while its own packets still reach them, and the app and
   * this host still reach it. The rule lives in the node's own network namespace (iptables in the
   * container, which has NET_ADMIN for this), in a chain of its own that the heal removes whole.
   */
  async partitionOneWay(node: string): Promise<void> {
    const peers = this.spec.nodes.filter((n) => n.name !== node);
    const script = [
      'set -e',
      `iptables -w -N ${ONE_WAY_CHAIN} 2>/dev/null || iptables -w -F ${ONE_WAY_CHAIN}`,
      // Every address of theirs: a peer's name resolves on the application network too, and libpq
      // tries the next address when one does not answer (repmgr reached the primary that way).
      ...peers.flatMap((p) => [p.backIp, ...(p.initialRole === 'witness' ? [] : [p.frontIp])]).map((ip) => `iptables -w -A ${ONE_WAY_CHAIN} -s ${ip}/32 -j DROP`),
      `iptables -w -C INPUT -j ${ONE_WAY_CHAIN} 2>/dev/null || iptables -w -I INPUT -j ${ONE_WAY_CHAIN}`,
    ].join('\n');
    const result = await this.exec(node, ['bash', '-c', script]);
    if (result.exitCode !== 0) throw new ClusterError(`could not add the one-way partition on ${node}: ${(result.stderr || result.stdout).trim()}`);
  }

  /** Remove the one-way partition's chain. Idempotent; a node that is not running has none. */
  async healOneWay(node: string): Promise<void> {
    if (!(await this.isRunning(node))) return;
    const script = [
      `while iptables -w -D INPUT -j ${ONE_WAY_CHAIN} 2>/dev/null; do :; done`,
      `iptables -w -F ${ONE_WAY_CHAIN} 2>/dev/null || true`,
      `iptables -w -X ${ONE_WAY_CHAIN} 2>/dev/null || true`,
      `! iptables -w -S ${ONE_WAY_CHAIN} >/dev/null 2>&1`,
    ].join('\n');
    const result = await this.exec(node, ['bash', '-c', script]);
    if (result.exitCode !== 0) throw new ClusterError(`could not remove the one-way partition on ${node}: ${(result.stderr || result.stdout).trim()}`);
  }

  /**
   * Slow or lossy links for the node, inside its own network namespace (see net-shape.ts). This
   * host's own connections (through the networks' gateways: published ports, the harness's looks)
   * are left alone; the app's, the other nodes' and the endpoint agent's are shaped.
   */
  async shapeNetwork(node: string, shape: NetworkShape): Promise<void> {
    const gateways = [this.spec.backSubnet, this.spec.frontSubnet].map((s) => `${hostAddress(s, 1)}/32`);
    const script = shapeScript(shape, { out: gateways.map((g) => `-d ${g}`), in: gateways.map((g) => `-s ${g}`) });
    const result = await this.exec(node, ['bash', '-c', script]);
    if (result.exitCode !== 0) {
      await this.exec(node, ['bash', '-c', unshapeScript()]).catch(() => undefined);
      throw new ClusterError(`could not shape ${node}'s network: ${(result.stderr || result.stdout).trim()}`);
    }
  }

  async unshapeNetwork(node: string): Promise<void> {
    if (!(await this.isRunning(node))) return;
    const result = await this.exec(node, ['bash', '-c', unshapeScript()]);
    if (result.exitCode !== 0) throw new ClusterError(`could not take the network shape off ${node}: ${(result.stderr || result.stdout).trim()}`);
  }

  /**
   * The app's DNS server (Docker's, at 127.0.0.11 in every container on a user network) refuses it:
   * a rule in the app's own network namespace, added from a helper container that shares that
   * namespace (from the node image, which has iptables, with NET_ADMIN), so the app, yours or
   * flipdrill's, needs neither. Its open connections live on; a new one cannot resolve the endpoint.
   */
  async blockAppDns(): Promise<void> {
    const result = await this.#inAppNetwork([`iptables -w -N ${DNS_CHAIN} 2>/dev/null || iptables -w -F ${DNS_CHAIN}`, `iptables -w -A ${DNS_CHAIN} -d 127.0.0.11/32 -j REJECT`, `iptables -w -C OUTPUT -j ${DNS_CHAIN} 2>/dev/null || iptables -w -I OUTPUT -j ${DNS_CHAIN}`].join('\n'));
    if (result.exitCode !== 0) throw new ClusterError(`could not block the app's DNS: ${(result.stderr || result.stdout).trim()}`);
  }

  async unblockAppDns(): Promise<void> {
    const helper = `${names.appContainer(this.spec)}-netfault`;
    const app = await this.docker.inspectContainer(names.appContainer(this.spec));
    if (app?.running) {
      const result = await this.#inAppNetwork([`while iptables -w -D OUTPUT -j ${DNS_CHAIN} 2>/dev/null; do :; done`, `iptables -w -F ${DNS_CHAIN} 2>/dev/null || true`, `iptables -w -X ${DNS_CHAIN} 2>/dev/null || true`].join('\n'));
      if (result.exitCode !== 0) throw new ClusterError(`could not unblock the app's DNS: ${(result.stderr || result.stdout).trim()}`);
    }
    if (await this.docker.inspectContainer(helper)) await this.docker.removeContainer(helper);
  }

  /**
   * Fill the node's data file system (disk-full): PostgreSQL gets ENOSPC for whatever needs a new
   * block. Returns the bytes still free. Only on a cluster started with a size-limited one.
   */
  async fillDisk(node: string): Promise<number> {
    if (!this.spec.dataFs || this.node(node).initialRole === 'witness') {
      throw new ClusterError(`${node}'s data directory is on no size-limited file system, so flipdrill will not fill it`, {
        hint: 'the disk-full fault needs a cluster started with --data-fs-size (a drill of a disk-full scenario creates one)',
      });
    }
    const result = await this.exec(node, ['bash', '-c', fillScript()]);
    if (result.exitCode !== 0) throw new ClusterError(`could not fill ${node}'s disk: ${(result.stderr || result.stdout).trim()}`);
    return Number(result.stdout.trim().split('\n').at(-1));
  }

  /** Take the ballast away. Idempotent; from this host, so a stopped node is freed too. */
  async freeDisk(node: string): Promise<void> {
    if (!this.spec.dataFs) return;
    const { mount } = dataFsPaths(this.spec.name, node);
    for (const file of [BALLAST, `${BALLAST}-rest`]) rmSync(path.join(mount, file), { force: true });
  }

  /** Set the node's clock this many seconds off (clock-skew); only on a cluster started with a fake clock. */
  async skewClock(node: string, offsetSecs: number): Promise<void> {
    if (!this.spec.fakeClock || this.node(node).initialRole === 'witness') {
      throw new ClusterError(`${node} reads the host's clock, which flipdrill will not set`, {
        hint: 'the clock-skew fault needs a cluster started with --fake-clock (a drill of a clock-skew scenario creates one)',
      });
    }
    const result = await this.exec(node, ['sh', '-c', skewScript(offsetSecs)]);
    if (result.exitCode !== 0) throw new ClusterError(`could not skew ${node}'s clock: ${(result.stderr || result.stdout).trim()}`);
  }

  /** Idempotent. A stopped node keeps its skew (the file outlives a restart): undo it once the node runs again. */
  async unskewClock(node: string): Promise<void> {
    if (!this.spec.fakeClock || !(await this.isRunning(node))) return;
    const result = await this.exec(node, ['sh', '-c', unskewScript()]);
    if (result.exitCode !== 0) throw new ClusterError(`could not set ${node}'s clock right: ${(result.stderr || result.stdout).trim()}`);
  }

  /** What is left of an app fault: the helper container, the rules. */
  async appFaultsLeft(): Promise<string[]> {
    const left: string[] = [];
    const helper = `${names.appContainer(this.spec)}-netfault`;
    if (await this.docker.inspectContainer(helper)) left.push(`the helper ${helper} is still there`);
    return left;
  }

  async #inAppNetwork(script: string): Promise<ExecResult> {
    const app = names.appContainer(this.spec);
    const helper = `${app}-netfault`;
    const state = await this.docker.inspectContainer(helper);
    if (!state?.running) {
      if (state) await this.docker.removeContainer(helper);
      const node = await this.docker.inspectContainer(this.containerOf(this.spec.nodes[0]!.name));
      if (!node) throw new ClusterError(`no node container to take the helper's image from`);
      await this.docker.createContainer({
        name: helper,
        hostname: helper,
        image: node.image,
        env: {},
        labels: projectLabels(this.spec.name),
        publish: {},
        networks: [],
        networkOf: app,
        capAdd: ['NET_ADMIN'],
        entrypoint: ['bash', '-c', 'trap "exit 0" TERM; while :; do sleep 3600 & wait $!; done'],
        stopTimeoutSecs: 1,
      });
      await this.docker.startContainer(helper);
    }
    return this.docker.exec(helper, ['bash', '-c', script]);
  }

  /**
   * A planned switchover to `node`, a standby: `repmgr standby switchover` run on it (see
   * flipdrill-switchover in the node image). Returns repmgr's output; throws with it on failure.
   */
  async switchover(node: string): Promise<string> {
    const result = await this.exec(node, ['/usr/local/bin/flipdrill-switchover'], { user: 'postgres' });
    const output = `${result.stdout}${result.stderr}`.trim();
    if (result.exitCode !== 0) {
      throw new ClusterError(`repmgr standby switchover to ${node} failed (exit ${result.exitCode}): ${output.split('\n').slice(-6).join(' | ')}`, {
        hint: `the node logs: docker exec ${this.containerOf(node)} tail -n 100 /var/log/flipdrill/repmgrd.log`,
      });
    }
    return output;
  }

  /** The Sequelize setup the running app uses. */
  async appProfile(): Promise<AppProfile> {
    const app = await this.docker.inspectContainer(names.appContainer(this.spec));
    return profileOf(app?.env ?? {});
  }

  /**
   * Run the app with another profile: the app container is replaced (same image, same
   * credentials, same address), and this returns once it answers /healthz. Idempotent.
   */
  async useAppProfile(profile: AppProfile, signal?: AbortSignal): Promise<void> {
    const name = names.appContainer(this.spec);
    const app = await this.docker.inspectContainer(name);
    if (!app) throw new ClusterError(`the app container ${name} is missing`, { hint: 'run: npm run flipdrill -- down, then up' });
    const running = profileOf(app.env);
    if (running === profile) return;
    // The DSQL stand-in is part of the cluster's start, in front of its endpoint.
    if (running === 'dsql' || profile === 'dsql') {
      throw new ClusterError(`the running cluster ${this.spec.name} runs the ${running} app; the dsql app and its DSQL stand-in come with a cluster of their own`, {
        hint: 'remove it (flipdrill down), or give the drill another --name',
      });
    }
    this.#log.info({ from: running, to: profile }, 'replacing the app');
    await this.docker.removeContainer(name);
    const env = { ...app.env, APP_PROFILE: profile };
    // Only what flipdrill set: the image's own variables (PATH, NODE_ENV...) come back from the image.
    const ours = Object.fromEntries(Object.entries(env).filter(([k]) => k === 'APP_PROFILE' || k === 'SEQUELIZE_OPTIONS' || k.startsWith('DB_') || k.startsWith('ANALYTICS_')));
    if (profile === 'config' && !ours.SEQUELIZE_OPTIONS) throw new ClusterError(`the running cluster ${this.spec.name} was started without a Sequelize config`, { hint: 'remove it (flipdrill down), then drill with --sequelize-config' });
    await createAndStartApp(this, this.docker, app.image, ours, app.labels, signal);
  }

  /** Cut a node off the replication network and from application traffic. */
  async partition(node: string): Promise<void> {
    const info = await this.docker.inspectContainer(this.containerOf(node));
    for (const network of [names.backNetwork(this.spec), names.frontNetwork(this.spec)]) {
      if (info?.networks[network]) await this.docker.disconnectNetwork(network, this.containerOf(node));
    }
  }

  /**
   * Reconnect a partitioned node to the replication network. Application traffic stays the
   * endpoint's decision: the controller lets the node back once it reports being a standby.
   */
  async heal(node: string): Promise<void> {
    const spec = this.node(node);
    const info = await this.docker.inspectContainer(this.containerOf(node));
    if (info && !info.networks[names.backNetwork(this.spec)]) {
      await this.docker.connectNetwork(names.backNetwork(this.spec), this.containerOf(node), { ipv4Address: spec.backIp, aliases: [node] });
    }
  }

  /**
   * Has the node's entrypoint finished (registered, rejoined or cloned, and repmgrd running)?
   * PostgreSQL answers earlier than that: `repmgr node rejoin` starts it before it is done.
   */
  async isReady(node: string): Promise<boolean> {
    if (!(await this.isRunning(node))) return false;
    return (await this.exec(node, ['test', '-f', '/run/flipdrill/ready'])).exitCode === 0;
  }

  /** Is the node's container paused, off the replication network, still firewalled or shaped, its repmgrd dead? (What a heal must undo.) */
  async faultsLeft(node: string): Promise<string[]> {
    const info = await this.docker.inspectContainer(this.containerOf(node));
    if (!info) return [];
    const left: string[] = [];
    if (info.paused) left.push(`${node} is paused`);
    if (!info.networks[names.backNetwork(this.spec)]) left.push(`${node} is off the replication network`);
    if (info.running && !info.paused) {
      const rules = await this.exec(node, ['iptables', '-w', '-S']);
      if (rules.stdout.includes(ONE_WAY_CHAIN)) left.push(`${node} still has the one-way partition's firewall rules`);
      const shaped = await this.exec(node, ['bash', '-c', shapeLeftScript()]);
      for (const what of shaped.stdout.trim().split('\n').filter(Boolean)) left.push(`${node} still has ${what}`);
      if (this.spec.fakeClock) {
        const skew = (await this.exec(node, ['sh', '-c', skewLeftScript()])).stdout.trim();
        if (skew) left.push(`${node}'s clock is still skewed (${skew} s)`);
      }
      if (this.spec.dataFs && ballastLeft(this.spec.name, node)) left.push(`${node}'s disk is still full (the ballast is there)`);
      if (await this.isReady(node)) {
        const repmgrd = await this.exec(node, ['pgrep', '-x', 'repmgrd']);
        if (repmgrd.exitCode !== 0) left.push(`${node} has no repmgrd running`);
      }
    }
    return left;
  }

  /** Run a command inside a node's container. */
  exec(node: string, cmd: string[], options: { user?: string } = {}): Promise<ExecResult> {
    return this.docker.exec(this.containerOf(node), cmd, options);
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

/** Fail early, with the port named, rather than halfway through creating containers. */
async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new PortInUseError(`port ${port} on 127.0.0.1 is already in use`, {
          hint: error.code === 'EADDRINUSE' ? 'free it, or choose other ports with --port-base / --app-port' : error.message,
        }),
      ),
    );
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** The subnets must not overlap a Docker network or an address of this host. */
async function assertSubnetsFree(docker: DockerClient, spec: ClusterSpec): Promise<void> {
  const wanted = [spec.backSubnet, spec.frontSubnet];
  for (const network of await docker.listNetworks()) {
    for (const subnet of network.subnets) {
      const clash = wanted.find((w) => subnetsOverlap(w, subnet));
      if (clash) {
        throw new SubnetConflictError(`subnet ${clash} overlaps Docker network "${network.name}" (${subnet})`, {
          hint: network.labels[PROJECT_LABEL] ? 'run: npm run flipdrill -- down' : 'choose other subnets with --back-subnet / --front-subnet',
        });
      }
    }
  }
  for (const [iface, addresses] of Object.entries(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family !== 'IPv4' || !address.cidr) continue;
      const clash = wanted.find((w) => subnetsOverlap(w, address.cidr!));
      if (clash) {
        throw new SubnetConflictError(`subnet ${clash} overlaps ${address.cidr} on this host's interface ${iface}`, {
          hint: 'choose other subnets with --back-subnet / --front-subnet',
        });
      }
    }
  }
}

/** Network safety: nothing is sent before the project's networks exist with exactly their subnets. */
async function assertNetworksAsSpecified(docker: DockerClient, spec: ClusterSpec): Promise<void> {
  const networks = await docker.listNetworks(projectLabels(spec.name));
  for (const [name, subnet] of [
    [names.backNetwork(spec), spec.backSubnet],
    [names.frontNetwork(spec), spec.frontSubnet],
  ] as const) {
    const found = networks.find((n) => n.name === name);
    if (!found || !found.subnets.includes(subnet)) {
      throw new ClusterError(`network ${name} is missing or does not have subnet ${subnet} (has ${found?.subnets.join(', ') || 'none'})`);
    }
  }
}

/** Where a container's secrets live: files only root reads, each named like the variable it replaces. */
export const SECRETS_DIR = '/run/flipdrill-secrets';

/**
 * Secrets as files, not environment: `docker inspect` shows a container's environment to anyone
 * who can reach the engine, and every process in the container inherits it. The container gets
 * `<NAME>_FILE`, the path of a root-only file written before it starts (the node's entrypoint and
 * the agent read either form; compose users may mount Docker secrets the same way).
 */
export function secretFiles(values: Record<string, string | undefined>): { env: Record<string, string>; files: TarFile[] } {
  const env: Record<string, string> = {};
  const files: TarFile[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    env[`${key}_FILE`] = `${SECRETS_DIR}/${key}`;
    files.push({ path: `${SECRETS_DIR}/${key}`, content: value, mode: 0o400 });
  }
  return { env, files };
}

/** A node container's environment (settings, public material, the secrets' file names) and its secret files. */
export function nodeContainerConfig(
  spec: ClusterSpec,
  node: NodeSpec,
  credentials: ClusterCredentials,
  sshKey: SshKeyPair,
  tls: ClusterTls | undefined,
): { env: Record<string, string>; files: TarFile[] } {
  const server = tls?.servers[node.name];
  const secrets = secretFiles({
    POSTGRES_PASSWORD: credentials.superuser.password,
    REPMGR_PASSWORD: credentials.repmgrPassword,
    APP_DB_PASSWORD: credentials.app.password,
    FLIPDRILL_SSH_PRIVATE_KEY: sshKey.privateKey,
    FLIPDRILL_TLS_KEY: server?.key,
    DIGITALOCEAN_TOKEN: spec.endpoint === 'do-simulator' ? credentials.doTokens?.hook : undefined,
  });
  const env: Record<string, string> = {
    NODE_NAME: node.name,
    NODE_ID: String(node.id),
    NODE_ROLE: node.initialRole,
    NODE_PRIORITY: String(node.priority),
    PRIMARY_HOST: spec.nodes.find((n) => n.initialRole === 'primary')!.name,
    // The other data nodes: where a restarted old primary looks for the node that replaced it.
    BACK_CIDR: spec.backSubnet,
    FRONT_CIDR: spec.frontSubnet,
    PEER_NODES: spec.nodes.filter((n) => n.initialRole !== 'witness' && n.name !== node.name).map((n) => n.name).join(','),
    APP_DB_USER: credentials.app.user,
    APP_DB_NAME: credentials.app.database,
    APP_EXTRA_DB_NAMES: ANALYTICS_DATABASE,
    MONITOR_INTERVAL_SECS: String(spec.timing.monitorIntervalSecs),
    RECONNECT_ATTEMPTS: String(spec.timing.reconnectAttempts),
    RECONNECT_INTERVAL: String(spec.timing.reconnectInterval),
    FLIPDRILL_SYNC_REPLICATION: spec.replication === 'sync' ? 'on' : 'off',
    FLIPDRILL_SSH_PUBLIC_KEY: sshKey.publicKey,
    FLIPDRILL_SSH_LISTEN: node.backIp,
    ...(server ? { FLIPDRILL_TLS_CERT: server.cert } : {}),
    ...(spec.endpoint === 'do-simulator' && credentials.doTokens
      ? {
          // The node plays a droplet: its promote hook asks the simulator to move the IP here.
          FLIPDRILL_FLOATING_IP: spec.doSimulator.floatingIp,
          FLIPDRILL_DO_API_URL: `http://${spec.doSimulator.backIp}:8080/v2/`,
          FLIPDRILL_METADATA_URL: `http://${spec.doSimulator.backIp}:8080/__meta/${dropletIdOf(node)}`,
        }
      : {}),
    ...(spec.dataFs && node.initialRole !== 'witness' ? { PGDATA: DATA_FS_PGDATA } : {}),
    ...(spec.fakeClock && node.initialRole !== 'witness' ? FAKE_CLOCK_ENV : {}),
    ...(spec.endpoint === 'virtual-ip' && node.initialRole !== 'witness'
      ? { FLIPDRILL_VIP: `${spec.virtualIp.address}/${spec.virtualIp.prefix}`, FLIPDRILL_VIP_SUBNET: spec.frontSubnet }
      : {}),
    ...secrets.env,
  };
  return { env, files: secrets.files };
}

export async function startCluster(options: ClusterOptions, start: StartOptions): Promise<StartedCluster> {
  const spec = defineCluster(options);
  const { docker, images } = start;
  const log = start.logger.child({ cluster: spec.name });
  const onStep = start.onStep ?? (() => {});

  const existing = await docker.listContainers(projectLabels(spec.name));
  if (existing.length > 0) {
    throw new ClusterError(`a cluster named "${spec.name}" exists already (${existing.map((c) => c.name).join(', ')})`, {
      hint: 'run: npm run flipdrill -- down',
    });
  }
  if (spec.app.image && !(await docker.imageExists(spec.app.image))) {
    throw new ConfigError(`--app-image ${spec.app.image}: no such image on this Docker engine`, { hint: 'build or pull it first: flipdrill pulls nothing' });
  }
  const withStandIn = spec.app.start && spec.appProfile === 'dsql';
  for (const port of [
    ...spec.nodes.map((n) => n.hostPort),
    ...(spec.app.start ? [spec.app.hostPort] : []),
    ...(spec.endpoint === 'do-simulator' ? [spec.doSimulator.hostPort] : []),
    ...(withStandIn ? [spec.dsqlStandIn.statsPort] : []),
  ])
    await assertPortFree(port);
  await assertSubnetsFree(docker, spec);

  const credentials: ClusterCredentials = {
    superuser: { user: 'postgres', password: generatePassword(), database: 'postgres' },
    repmgrPassword: generatePassword(),
    app: { user: 'flipdrill_app', password: generatePassword(), database: 'flipdrill' },
  };
  const sshKey = generateSshKeyPair(`flipdrill-${spec.name}`);
  const doToken = () => `dop_v1_${randomBytes(24).toString('hex')}`;
  if (spec.endpoint === 'do-simulator') credentials.doTokens = { hook: doToken(), harness: doToken(), agent: doToken() };
  const tls = spec.tls ? generateClusterTls(spec.name, spec.nodes.map((n) => n.name), spec.endpointAlias) : undefined;
  if (tls) credentials.ca = tls.ca.cert;
  const cluster = new StartedCluster(spec, credentials, docker, start.logger);
  const labels = (extra: Record<string, string>) => ({ ...projectLabels(spec.name), [SPEC_LABEL]: JSON.stringify(options), ...extra });

  try {
    onStep('starting nodes');
    for (const [name, subnet] of [
      [names.backNetwork(spec), spec.backSubnet],
      [names.frontNetwork(spec), spec.frontSubnet],
    ] as const) {
      // Docker allocates from the front network's first half only: the virtual IP lives in the second.
      const ipRange = name === names.frontNetwork(spec) ? spec.virtualIp.dockerRange : undefined;
      await docker.createNetwork({ name, subnet, gateway: hostAddress(subnet, 1), ...(ipRange ? { ipRange } : {}), labels: projectLabels(spec.name) });
    }
    await assertNetworksAsSpecified(docker, spec);

    if (spec.endpoint === 'do-simulator') {
      onStep('starting the DigitalOcean API simulator (each node plays a droplet)');
      await startDoSimulator(cluster, docker, images.node, labels({ [ROLE_LABEL]: 'do-simulator' }));
    }

    const dataFsMounts = new Map<string, string>();
    if (spec.dataFs) {
      assertDataFsPossible(docker.engine);
      onStep(`making each data node a ${spec.dataFs.sizeMb} MB file system for its data directory (for the disk-full fault)`);
      for (const node of spec.nodes.filter((n) => n.initialRole !== 'witness')) dataFsMounts.set(node.name, await createDataFs(spec.name, node.name, spec.dataFs.sizeMb));
    }

    for (const node of spec.nodes) {
      const networks = [{ network: names.backNetwork(spec), ipv4Address: node.backIp, aliases: [node.name] }];
      if (node.initialRole !== 'witness') {
        const aliases = node.initialRole === 'primary' ? [node.name, spec.endpointAlias] : [node.name];
        networks.push({ network: names.frontNetwork(spec), ipv4Address: node.frontIp, aliases });
      }
      await docker.createContainer({
        name: cluster.containerOf(node.name),
        hostname: node.name,
        image: images.node,
        ...nodeContainerConfig(spec, node, credentials, sshKey, tls),
        ...(dataFsMounts.has(node.name) ? { binds: [`${dataFsMounts.get(node.name)}:${DATA_FS_MOUNT}`] } : {}),
        labels: labels({ [ROLE_LABEL]: node.initialRole, [NODE_LABEL]: node.name }),
        publish: { 5432: node.hostPort },
        networks,
        stopTimeoutSecs: 20,
        // Only for the one-way partition's iptables rules, inside the node's own network namespace.
        capAdd: ['NET_ADMIN'],
      });
    }
    for (const node of spec.nodes) await docker.startContainer(cluster.containerOf(node.name));

    await waitForReady(cluster, docker, log, start);
    log.info('nodes ready');

    onStep('starting the endpoint agent (it moves the endpoint and fences old primaries from now on)');
    await startEndpointAgent(cluster, docker, images.app, labels({ [ROLE_LABEL]: AGENT_ROLE }), start.signal);

    if (!spec.app.start) return cluster;
    if (spec.app.image) {
      onStep(`starting your app image ${spec.app.image} (in place of flipdrill's app)`);
      await startAppImage(cluster, docker, spec.app.image, labels({ [ROLE_LABEL]: 'app' }), start.signal);
      return cluster;
    }
    if (spec.app.client) {
      onStep(`starting your client module ${spec.app.client} in the client host (in place of the app)`);
      await startClientHost(cluster, docker, images.app, await prepareClientModule(spec.app.client), labels({ [ROLE_LABEL]: 'app' }), start.signal);
      return cluster;
    }
    if (withStandIn) {
      onStep('starting the DSQL stand-in in front of the endpoint (it refuses what Aurora DSQL refuses)');
      await startDsqlStandInContainer(cluster, docker, images.node, labels({ [ROLE_LABEL]: 'dsql' }), start.signal);
    }
    onStep(`starting the app (${spec.appProfile} profile${spec.tls ? ', TLS' : ''})`);
    await createAndStartApp(cluster, docker, images.app, appEnv(cluster, spec.appProfile), labels({ [ROLE_LABEL]: 'app' }), start.signal);
    log.info({ url: cluster.appUrl }, 'app ready');
    return cluster;
  } catch (error) {
    log.warn({ err: (error as Error).message }, 'start failed: removing what was created');
    await removeClusters(docker, log, spec.name).catch((cleanupError) =>
      log.error({ err: (cleanupError as Error).message }, 'cleanup after a failed start failed'),
    );
    throw error;
  }
}

/**
 * The DigitalOcean API simulator in its own container, from the node image's Node and bundle, on
 * the replication network (where the nodes' hooks reach it) and on 127.0.0.1 for flipdrill. The
 * floating IP starts on node1's droplet, where the alias starts too.
 */
async function startDoSimulator(cluster: StartedCluster, docker: DockerClient, image: string, labels: Record<string, string>): Promise<void> {
  const { spec, credentials } = cluster;
  const name = names.doSimulatorContainer(spec);
  await docker.createContainer({
    name,
    hostname: 'do-api',
    image,
    entrypoint: ['/usr/local/bin/node', '/usr/local/lib/flipdrill/flipdrill-dosim.cjs'],
    env: {
      SIM_TOKENS: `${credentials.doTokens!.hook},${credentials.doTokens!.harness},${credentials.doTokens!.agent}`,
      SIM_DROPLETS: JSON.stringify(spec.nodes.map((n) => ({ id: dropletIdOf(n), name: n.name, region: spec.doSimulator.region }))),
      SIM_IPS: JSON.stringify([{ ip: spec.doSimulator.floatingIp, region: spec.doSimulator.region, dropletId: dropletIdOf(spec.nodes[0]!) }]),
      SIM_ACTION_DELAY_MS: '1500',
      // Every address of its own container: the replication network and the published port.
      SIM_HOST: '0.0.0.0',
    },
    labels,
    publish: { 8080: spec.doSimulator.hostPort },
    networks: [{ network: names.backNetwork(spec), ipv4Address: spec.doSimulator.backIp, aliases: ['do-api'] }],
    stopTimeoutSecs: 2,
  });
  await docker.startContainer(name);
  await waitFor('the DigitalOcean API simulator to answer', async () => (await cluster.doSimulator('state').then(() => true, () => false)), {
    timeoutMs: 20_000,
    intervalMs: 200,
    hint: `see: docker logs ${name}`,
  });
}

/**
 * The Aurora DSQL stand-in (cluster/dsql/stand-in.ts) in its own container, from the node image's
 * Node and bundle, on the client network in front of the floating endpoint: it logs in there as the
 * databases' owner for every session, so a session after a failover reaches the new primary. Its
 * counts are published on 127.0.0.1 only.
 */
async function startDsqlStandInContainer(cluster: StartedCluster, docker: DockerClient, image: string, labels: Record<string, string>, signal?: AbortSignal): Promise<void> {
  const { spec, credentials } = cluster;
  const name = names.dsqlStandInContainer(spec);
  await docker.createContainer({
    name,
    hostname: 'dsql',
    image,
    entrypoint: ['/usr/local/bin/node', '/usr/local/lib/flipdrill/flipdrill-dsql.cjs'],
    env: {
      DSQL_UPSTREAM_HOST: spec.endpoint === 'virtual-ip' ? spec.virtualIp.address : spec.endpointAlias,
      DSQL_DATABASES: `${credentials.app.database},${ANALYTICS_DATABASE}`,
      DSQL_UPSTREAM_USER: credentials.app.user,
      DSQL_UPSTREAM_PASSWORD: credentials.app.password,
      // Every address of its own container: the client network and the published stats port.
      DSQL_HOST: '0.0.0.0',
    },
    labels,
    publish: { 8080: spec.dsqlStandIn.statsPort },
    networks: [{ network: names.frontNetwork(spec), ipv4Address: spec.dsqlStandIn.frontIp, aliases: [DSQL_STAND_IN_HOST] }],
    stopTimeoutSecs: 2,
  });
  await docker.startContainer(name);
  await waitFor(
    'the DSQL stand-in to answer',
    async () => {
      const info = await docker.inspectContainer(name);
      if (info && !info.running && info.status === 'exited') throw new ClusterError(`the DSQL stand-in ${name} exited at start: ${(await docker.logs(name, 5).catch(() => '')).trim().split('\n').slice(-2).join(' | ')}`);
      return (await cluster.dsqlStandInStats().then(() => true, () => false));
    },
    { timeoutMs: 70_000, intervalMs: 200, ...(signal ? { signal } : {}), hint: `see: docker logs ${name}`, fatal: (e) => e instanceof ClusterError },
  );
}

/**
 * The endpoint agent's environment, secret files and way to the engine: the superuser's password,
 * its own DigitalOcean token; the engine's socket mounted, or a tcp engine's address.
 */
export function agentContainerConfig(
  cluster: string,
  credentials: ClusterCredentials,
  engine: EngineAddress = { kind: 'unix', socketPath: '/var/run/docker.sock', fromDockerHost: false },
): { env: Record<string, string>; files: TarFile[]; binds?: string[] } {
  const secrets = secretFiles({ POSTGRES_PASSWORD: credentials.superuser.password, DIGITALOCEAN_TOKEN: credentials.doTokens?.agent });
  const env = { FLIPDRILL_CLUSTER: cluster, ...secrets.env };
  if (engine.kind === 'tcp') return { env: { ...env, FLIPDRILL_DOCKER_HOST: `tcp://${engine.host.includes(':') ? `[${engine.host}]` : engine.host}:${engine.port}` }, files: secrets.files };
  return { env, files: secrets.files, binds: [`${engine.socketPath}:/var/run/docker.sock`] };
}

/**
 * The endpoint agent: a container of the cluster's own (the app image's Node, the agent's bundle),
 * on the replication network, with the engine's socket mounted (or, for a tcp engine, its address;
 * on the host's network when that is this host's loopback). From here on the cluster moves its
 * endpoint itself; this waits until the agent says it is watching.
 */
async function startEndpointAgent(cluster: StartedCluster, docker: DockerClient, image: string, labels: Record<string, string>, signal?: AbortSignal): Promise<void> {
  const { spec, credentials } = cluster;
  const name = names.agentContainer(spec);
  await docker.createContainer({
    name,
    hostname: 'endpoint-agent',
    image,
    command: ['node', '/usr/local/lib/flipdrill/endpoint-agent.cjs'],
    user: '0:0',
    restartOnFailure: true,
    ...agentContainerConfig(spec.name, credentials, docker.engine),
    labels,
    publish: {},
    // An engine on this host's loopback (DOCKER_HOST=tcp://127.0.0.1:...) is reached from the
    // host's network only; from there the nodes' addresses on the replication network are too.
    ...(isLoopback(docker.engine) ? { hostNetwork: true, networks: [] } : { networks: [{ network: names.backNetwork(spec), ipv4Address: spec.agentBackIp, aliases: ['endpoint-agent'] }] }),
    stopTimeoutSecs: 2,
  });
  await docker.startContainer(name);
  await waitFor(
    `the endpoint agent ${name} to start watching`,
    async () => {
      const info = await docker.inspectContainer(name);
      if (info && !info.running && info.status === 'exited') {
        const said = await docker.logs(name, 5).catch(() => '');
        throw new ClusterError(`the endpoint agent ${name} exited at start: ${said.trim().split('\n').slice(-2).join(' | ')}`);
      }
      return (await docker.logs(name, 50)).includes(`endpoint agent for cluster ${spec.name}`);
    },
    { timeoutMs: 30_000, intervalMs: 200, ...(signal ? { signal } : {}), hint: `see: docker logs ${name}`, fatal: (e) => e instanceof ClusterError },
  );
}

/** The app's profile from its environment: the dsql app is the aware one on the DSQL platform. */
const profileOf = (env: Record<string, string | undefined>): AppProfile => (env.DB_PLATFORM === 'dsql' ? 'dsql' : ((env.APP_PROFILE as AppProfile | undefined) ?? 'aware'));

/** The app container's environment: where it connects, as whom, with which profile. */
function appEnv(cluster: StartedCluster, profile: AppProfile): Record<string, string> {
  const { spec, credentials } = cluster;
  if (profile === 'dsql') {
    return {
      // The aware layer's Aurora DSQL profile, as it runs against DSQL, through the stand-in.
      APP_PROFILE: 'aware',
      DB_PLATFORM: 'dsql',
      DB_WRITE_HOST: DSQL_STAND_IN_HOST,
      // DSQL's admin role (its tables in public, where the harness's final read finds them). The
      // stand-in takes any password as a token; DB_DSQL_AUTH=password sends this one through the
      // connector's seam instead of signing one with AWS credentials.
      DB_USER: 'admin',
      DB_DSQL_AUTH: 'password',
      DB_PASSWORD: `stand-in-token-${randomBytes(6).toString('hex')}`,
      DB_NAME: credentials.app.database,
      DB_SSLMODE: 'disable',
      ANALYTICS_DB_NAME: ANALYTICS_DATABASE,
    };
  }
  return {
    APP_PROFILE: profile,
    DB_PASSWORD: credentials.app.password,
    DB_USER: credentials.app.user,
    DB_NAME: credentials.app.database,
    // The floating endpoint: the alias, or the virtual IP the primary holds.
    DB_WRITE_HOST: spec.endpoint === 'virtual-ip' ? spec.virtualIp.address : spec.endpointAlias,
    // As in the tutorial: the standby first, then the primary (the witness holds no data).
    DB_READ_HOSTS: cluster.dataNodes.slice().reverse().map((n) => n.name).join(','),
    // The second database reads through the write endpoint only: its own replication settings.
    ANALYTICS_DB_NAME: ANALYTICS_DATABASE,
    ...(credentials.ca ? { DB_SSL_CA: credentials.ca } : {}),
    ...(profile === 'config' && spec.sequelizeOptions ? { SEQUELIZE_OPTIONS: JSON.stringify(spec.sequelizeOptions) } : {}),
  };
}

/**
 * A user's client module in the client host (app/client-host.ts), in the app's place: same name,
 * address and port, the module's project mounted read-only. It answers the app contract; a module
 * that cannot be used is said in one line (ConfigError) before anything else happens.
 */
async function startClientHost(cluster: StartedCluster, docker: DockerClient, image: string, module: ClientModule, labels: Record<string, string>, signal?: AbortSignal): Promise<void> {
  const { spec, credentials } = cluster;
  const name = names.appContainer(spec);
  const ssl = credentials.ca ? { ssl: { ca: credentials.ca, rejectUnauthorized: true } } : {};
  const settings = (host: string) => ({ host, port: 5432, user: credentials.app.user, password: credentials.app.password, database: credentials.app.database, ...ssl });
  await docker.createContainer({
    name,
    hostname: 'app',
    image,
    command: ['node', '/usr/local/lib/flipdrill/client-host.cjs'],
    user: module.user,
    env: {
      APP_PROFILE: 'client',
      FLIPDRILL_CLIENT_MODULE: module.inContainer,
      FLIPDRILL_CLIENT_NAME: module.name,
      FLIPDRILL_CONNECTION: JSON.stringify(settings(spec.endpoint === 'virtual-ip' ? spec.virtualIp.address : spec.endpointAlias)),
      FLIPDRILL_REPLICAS: JSON.stringify(cluster.dataNodes.slice().reverse().map((n) => settings(n.name))),
    },
    binds: [`${module.mount}:/client:ro`],
    labels,
    publish: { 8080: spec.app.hostPort },
    networks: [{ network: names.frontNetwork(spec), ipv4Address: spec.app.frontIp, aliases: ['app'] }],
    stopTimeoutSecs: 5,
  });
  await docker.startContainer(name);
  await waitFor(
    `your client module ${module.name} to load in the client host`,
    async () => {
      const res = await fetch(`${cluster.appUrl}/flipdrill/health`, { signal: AbortSignal.timeout(15_000) });
      if (res.status === 500) throw new ConfigError(String(((await res.json()) as { error?: unknown }).error ?? 'the client module cannot be used'));
      return res.ok;
    },
    { timeoutMs: 60_000, intervalMs: 250, ...(signal ? { signal } : {}), hint: `see: docker logs ${name}`, fatal: (e) => e instanceof ConfigError },
  );
}

/**
 * The database settings an app of yours is given: one variable per setting (libpq's own names,
 * which pg and psql read), a DATABASE_URL, and the replicas. See docs/app-contract.md.
 */
export function appImageEnv(cluster: Pick<StartedCluster, 'spec' | 'credentials' | 'dataNodes'>): Record<string, string> {
  const { spec, credentials } = cluster;
  const host = spec.endpoint === 'virtual-ip' ? spec.virtualIp.address : spec.endpointAlias;
  const { user, password, database } = credentials.app;
  return {
    PORT: '8080',
    PGHOST: host,
    PGPORT: '5432',
    PGUSER: user,
    PGPASSWORD: password,
    PGDATABASE: database,
    DATABASE_URL: `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:5432/${encodeURIComponent(database)}`,
    // Each data node, the standby first (for reads), comma-separated host names on port 5432.
    DATABASE_REPLICA_HOSTS: cluster.dataNodes.slice().reverse().map((n) => n.name).join(','),
    ...(credentials.ca ? { PGSSLMODE: 'verify-full', DATABASE_CA: credentials.ca } : {}),
  };
}

/** Your app's image in the app's place: same name, address and port; it answers the app contract. */
async function startAppImage(cluster: StartedCluster, docker: DockerClient, image: string, labels: Record<string, string>, signal?: AbortSignal): Promise<void> {
  const name = names.appContainer(cluster.spec);
  await docker.createContainer({
    name,
    hostname: 'app',
    image,
    env: { ...appImageEnv(cluster), APP_PROFILE: 'image' },
    labels,
    publish: { 8080: cluster.spec.app.hostPort },
    networks: [{ network: names.frontNetwork(cluster.spec), ipv4Address: cluster.spec.app.frontIp, aliases: ['app'] }],
    stopTimeoutSecs: 5,
  });
  await docker.startContainer(name);
  await waitFor(
    `your app ${image} to answer GET /flipdrill/health`,
    async () => {
      const info = await docker.inspectContainer(name);
      if (info && !info.running && info.status === 'exited') {
        const said = await docker.logs(name, 5).catch(() => '');
        throw new ConfigError(`your app ${image} exited at start: ${said.trim().split('\n').slice(-2).join(' | ') || 'it said nothing'}`);
      }
      const res = await fetch(`${cluster.appUrl}/flipdrill/health`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
      if (res?.status === 500) throw new ConfigError(`your app ${image}: ${String(((await res.json().catch(() => ({}))) as { error?: unknown }).error ?? 'GET /flipdrill/health answered 500')}`);
      return res?.ok ?? false;
    },
    { timeoutMs: 120_000, intervalMs: 250, ...(signal ? { signal } : {}), hint: `see: docker logs ${name}`, fatal: (e) => e instanceof ConfigError },
  );
}

async function createAndStartApp(
  cluster: StartedCluster,
  docker: DockerClient,
  image: string,
  env: Record<string, string>,
  labels: Record<string, string>,
  signal?: AbortSignal,
): Promise<void> {
  const { spec } = cluster;
  const appContainer = names.appContainer(spec);
  await docker.createContainer({
    name: appContainer,
    hostname: 'app',
    image,
    env,
    labels,
    publish: { 8080: spec.app.hostPort },
    networks: [{ network: names.frontNetwork(spec), ipv4Address: spec.app.frontIp, aliases: ['app'] }],
    stopTimeoutSecs: 5,
  });
  await docker.startContainer(appContainer);
  await waitFor(
    'the app to answer /healthz with a writable primary',
    async () => {
      const res = await fetch(`${cluster.appUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    },
    { timeoutMs: 60_000, intervalMs: 250, signal, hint: `see: docker logs ${appContainer}` },
  );
}

async function waitForReady(cluster: StartedCluster, docker: DockerClient, log: Logger, start: StartOptions): Promise<void> {
  const spec = cluster.spec;
  const timeoutMs = start.readyTimeoutMs ?? 90_000;
  const primary = spec.nodes.find((n) => n.initialRole === 'primary')!;
  await waitFor(
    `node1 primary, ${spec.nodes.filter((n) => n.initialRole === 'standby').map((n) => n.name).join(', ')} streaming, the witness registered, repmgrd everywhere`,
    async () => {
      for (const node of spec.nodes) {
        const info = await docker.inspectContainer(cluster.containerOf(node.name));
        if (!info?.running) {
          // The cluster is removed after a failed start, and its logs with it: say what it said.
          const said = await docker.logs(cluster.containerOf(node.name), 8).catch(() => '');
          const last = said.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
          throw new ClusterError(`container ${cluster.containerOf(node.name)} stopped during start${last ? `; its last lines: ${last}` : ''}`, {
            hint: "a failed start removes what it created; the node's last lines are above",
          });
        }
        const ready = await docker.exec(cluster.containerOf(node.name), ['test', '-f', '/run/flipdrill/ready']);
        if (ready.exitCode !== 0) return false;
      }
      const [row] = await cluster.query<{ active: string; streaming: string; sync: string }>(
        primary.name,
        `SELECT (SELECT count(*) FROM repmgr.nodes WHERE active) AS active,
                (SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming') AS streaming,
                current_setting('synchronous_standby_names') AS sync`,
        [],
        'repmgr',
      );
      const syncReady = spec.replication === 'async' || Boolean(row?.sync);
      const standbys = spec.nodes.filter((n) => n.initialRole === 'standby').length;
      return Number(row?.active) === spec.nodes.length && Number(row?.streaming) >= standbys && syncReady;
    },
    {
      timeoutMs,
      intervalMs: 250,
      signal: start.signal,
      hint: `see: docker logs ${cluster.containerOf('node2')}`,
      fatal: (error) => error instanceof ClusterError,
    },
  );
  log.debug('cluster registered and streaming');
}

/** The cluster named `name`, if its containers exist, rebuilt from their labels, environment and secret files. */
export async function attachCluster(docker: DockerClient, logger: Logger, name = 'flipdrill'): Promise<StartedCluster | undefined> {
  const containers = await docker.listContainers(projectLabels(name));
  const first = containers.find((c) => c.labels[SPEC_LABEL]);
  if (!first) return undefined;
  const options = JSON.parse(first.labels[SPEC_LABEL]!) as ClusterOptions;
  const spec = defineCluster(options);
  const node1 = await docker.inspectContainer(names.container(spec, 'node1'));
  const app = await docker.inspectContainer(names.appContainer(spec));
  if (!node1 || !app) return undefined;
  const node1Secret = async (key: string): Promise<string> => {
    if (node1.env[key]) return node1.env[key]!;
    const file = node1.env[`${key}_FILE`];
    return file ? ((await docker.readFile(names.container(spec, 'node1'), file, 64 * 1024)) ?? '') : '';
  };
  const credentials: ClusterCredentials = {
    superuser: { user: 'postgres', password: await node1Secret('POSTGRES_PASSWORD'), database: 'postgres' },
    repmgrPassword: await node1Secret('REPMGR_PASSWORD'),
    app: { user: app.env.DB_USER ?? 'flipdrill_app', password: app.env.DB_PASSWORD ?? '', database: app.env.DB_NAME ?? 'flipdrill' },
    ...(app.env.DB_SSL_CA ? { ca: app.env.DB_SSL_CA } : {}),
  };
  if (spec.endpoint === 'do-simulator') {
    const [hook, harness, agent] = (await docker.inspectContainer(names.doSimulatorContainer(spec)))?.env.SIM_TOKENS?.split(',') ?? [];
    if (hook && harness && agent) credentials.doTokens = { hook, harness, agent };
  }
  return new StartedCluster(spec, credentials, docker, logger);
}

/**
 * Remove every container, network and volume flipdrill labelled: of one cluster, or of all of
 * them. Exactly what flipdrill made, nothing else. Returns what was removed.
 */
export async function removeClusters(docker: DockerClient, logger: Logger, name?: string): Promise<string[]> {
  const labels = name ? projectLabels(name) : projectLabels();
  const removed: string[] = [];
  for (const container of await docker.listContainers(labels)) {
    await docker.removeContainer(container.name);
    removed.push(`container ${container.name}`);
  }
  for (const network of await docker.listNetworks(labels)) {
    await docker.removeNetwork(network.name);
    removed.push(`network ${network.name}`);
  }
  for (const volume of await docker.listVolumes(labels)) {
    await docker.removeVolume(volume);
    removed.push(`volume ${volume}`);
  }
  // Once no container holds them: the size-limited data file systems (a local engine's only).
  if (docker.engine.kind === 'unix') removed.push(...(await removeDataFs(name)));
  logger.info({ cluster: name ?? '*', removed }, 'removed');
  return removed;
}
