/**
 * A drill target on machines flipdrill did not start (Vagrant VMs, droplets), provisioned by the
 * playbook in ansible/ and described by its inventory. Faults run over SSH on the node itself
 * (kill and stop here, of the database processes, never of the machine, so SSH stays up for the
 * heal; its capabilities in faults.ts); the databases are asked who is primary, as everywhere. The
 * app runs here, on 127.0.0.1, writing to the floating endpoint's address on the machines' network.
 */
import type { EndpointEvent } from '../endpoint/controller.ts';
import { chooseTarget } from '../endpoint/decide.ts';
import type { DoIpClient } from '../endpoint/digitalocean/api.ts';
import { createDoWrapperClient } from '../endpoint/digitalocean/do-wrapper-client.ts';
import type { EndpointState, EndpointView } from '../endpoint/endpoint.ts';
import { ClusterError, ConfigError, EndpointError } from '../errors.ts';
import type { Logger } from '../lib/logger.ts';
import { KeptConnections, observe, queryNode, type ClusterSnapshot, type Credentials } from '../observe.ts';
import type { AppProfile } from '../app-profiles/index.ts';
import { LocalApp } from '../local-app.ts';
import { TIMING_PROFILES } from '../spec.ts';
import type { Capabilities, CoreFault, DrillTarget, EndpointMover, TargetSpec } from '../target.ts';
import type { ExecResult } from '../docker/docker-client.ts';
import { loadInventory, type InventoryCluster, type InventoryNode } from './inventory.ts';
import { shellQuote, SshRunner } from './ssh.ts';
import { machineCapabilities, NODE_SETTINGS } from './faults.ts';

/** The pg_hba.conf line that fences a node from the app's user (first line, so it wins). */
const FENCE_MARK = '# flipdrill-fence';

export interface RemoteClusterOptions {
  logger: Logger;
  onStep?: (step: string) => void;
  signal?: AbortSignal;
  appProfile?: AppProfile;
  /** Where the app's output goes (the run folder). */
  appLogFile?: string;
}

export class RemoteCluster implements DrillTarget {
  readonly driver: string;
  /** Freeze, the partitions, the network shape and the switchover: no app DNS, disk fill or clock on machines. */
  readonly capabilities: Partial<Capabilities>;
  readonly spec: TargetSpec;
  readonly credentials: DrillTarget['credentials'];
  readonly endpoint: EndpointView;
  readonly #inventory: InventoryCluster;
  readonly #ssh = new SshRunner();
  readonly #superuser: Credentials;
  readonly #app: LocalApp;

  constructor(inventory: InventoryCluster, _logger: Logger, options: { appLogFile?: string } = {}) {
    this.#inventory = inventory;
    this.#app = new LocalApp(options.appLogFile);
    this.spec = {
      name: inventory.source,
      replication: inventory.replication,
      timing: TIMING_PROFILES[inventory.timingProfile as keyof typeof TIMING_PROFILES] ?? TIMING_PROFILES.fast,
      tls: false,
      endpoint: inventory.endpoint,
      nodes: inventory.nodes.map(({ name, id, initialRole }) => ({ name, id, initialRole })),
    };
    this.credentials = { app: { database: inventory.app.database } };
    // repmgr is the cluster's superuser (the playbook creates it so); the drill reads as it.
    this.#superuser = { user: 'repmgr', password: inventory.repmgrPassword, database: 'repmgr' };
    // Where DigitalOcean has the floating IP: asked of its API with the token in DIGITALOCEAN_TOKEN.
    const token = inventory.endpoint === 'digitalocean' ? process.env.DIGITALOCEAN_TOKEN : undefined;
    if (inventory.endpoint === 'digitalocean' && !token) {
      throw new ConfigError(`${inventory.source}: the digitalocean endpoint needs DIGITALOCEAN_TOKEN, so flipdrill can ask the API which droplet holds ${inventory.writeAddress}`);
    }
    this.endpoint = new MachineEndpoint(this, inventory, token ? createDoWrapperClient(token, { timeoutMs: 5000 }) : undefined);
    this.driver = `machines of ${inventory.source} over SSH`;
    this.capabilities = machineCapabilities({
      run: (node, script, options) => this.#run(node, script, options),
      probe: (node, script) => this.#ssh.run(this.node(node).ssh, script),
      where: (node) => this.where(node),
      peerAddresses: (node) => this.#inventory.nodes.filter((n) => n.name !== node).map((n) => n.dbHost),
    });
  }

  node(name: string): InventoryNode {
    const node = this.#inventory.nodes.find((n) => n.name === name);
    if (!node) throw new ClusterError(`no node named "${name}" in ${this.#inventory.source}`);
    return node;
  }

  get dataNodes(): InventoryNode[] {
    return this.#inventory.nodes.filter((n) => n.initialRole !== 'witness');
  }

  get appUrl(): string {
    return this.#app.url;
  }

  where(node: string): string {
    const { ssh } = this.node(node);
    return `${ssh.user}@${ssh.host} (${node})`;
  }

  describeFault(kind: CoreFault, node: string, signal = 'SIGKILL'): string {
    const at = `on ${this.where(node)}`;
    switch (kind) {
      case 'kill':
        return `pkill -${signal.replace(/^SIG/, '')} -u postgres ${at} (PostgreSQL and repmgrd; the machine stays up)`;
      case 'stop':
        return `service repmgrd stop; pg_ctlcluster 15 main stop -m fast ${at}`;
    }
  }

  /** A script on the node as root (or as `user`), failing with its output when it exits non-zero. */
  async #run(node: string, script: string, options: { user?: string; timeoutMs?: number; what?: string } = {}): Promise<string> {
    const r = await this.#ssh.run(this.node(node).ssh, script, options);
    if (r.exitCode !== 0) {
      throw new ClusterError(`${options.what ?? 'a command'} on ${this.where(node)} failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().split('\n').slice(-4).join(' | ')}`);
    }
    return r.stdout;
  }

  exec(node: string, cmd: string[], options: { user?: string } = {}): Promise<ExecResult> {
    return this.#ssh.run(this.node(node).ssh, shellQuote(cmd), options);
  }

  /** Is the node's postmaster alive and not frozen? */
  async isRunning(node: string): Promise<boolean> {
    const r = await this.#ssh.run(
      this.node(node).ssh,
      `${NODE_SETTINGS}; pid=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null) && kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" | cut -c1)" != T ]`,
    );
    return r.exitCode === 0;
  }

  async isReady(node: string): Promise<boolean> {
    const r = await this.#ssh.run(this.node(node).ssh, 'pgrep -u postgres -x repmgrd >/dev/null && pg_isready -q');
    return r.exitCode === 0;
  }

  observe(): Promise<ClusterSnapshot> {
    const nodes = this.#inventory.nodes.map((n) => ({ name: n.name, initialRole: n.initialRole, hostPort: 5432, host: n.dbHost }));
    // The database's answer decides (a killed or frozen node does not answer within the timeout).
    return observe(nodes, this.#superuser, async () => true);
  }

  keptObserver(): { observe(): Promise<ClusterSnapshot>; close(): void } {
    const nodes = this.#inventory.nodes.map((n) => ({ name: n.name, initialRole: n.initialRole, hostPort: 5432, host: n.dbHost }));
    const kept = new KeptConnections(this.#superuser, 1500);
    return { observe: () => kept.observe(nodes, async () => true), close: () => kept.close() };
  }

  async primary(): Promise<string | undefined> {
    const [snapshot, endpoint] = await Promise.all([this.observe(), this.endpoint.state()]);
    return chooseTarget(snapshot, endpoint.holder)?.name;
  }

  query<T extends Record<string, unknown>>(node: string, sql: string, params: unknown[] = [], database?: string): Promise<T[]> {
    const credentials = database ? { ...this.#superuser, database } : this.#superuser;
    return queryNode<T>(5432, credentials, sql, params, 5000, this.node(node).dbHost);
  }

  /** On machines the nodes move the endpoint themselves: their promote hooks, and the virtual IP's guard. */
  async endpointMover(): Promise<EndpointMover> {
    return { by: "the nodes' promote hooks", ok: true };
  }

  /** The hooks log on the nodes; a drill records what it sees of the endpoint instead. */
  async endpointActions(): Promise<EndpointEvent[]> {
    return [];
  }

  async kill(node: string, signal = 'SIGKILL'): Promise<void> {
    await this.#run(node, `pkill -${signal.replace(/^SIG/, '')} -u postgres`, { what: 'kill' });
  }

  async stopNode(node: string): Promise<void> {
    await this.#run(node, 'service repmgrd stop >/dev/null 2>&1 || true\npg_ctlcluster 15 main stop -m fast', { what: 'stop', timeoutMs: 60_000 });
  }

  /** Bring the node back: thawed if frozen, then flipdrill-start (rejoins an old primary as a standby). */
  async startNode(node: string): Promise<void> {
    await this.#run(node, 'pkill -CONT -u postgres || true\n/usr/local/bin/flipdrill-start', { what: 'flipdrill-start', timeoutMs: 180_000 });
  }

  async nodeLogs(node: string): Promise<string> {
    const r = await this.#ssh.run(this.node(node).ssh, 'tail -n 400 /var/log/flipdrill/repmgrd.log /var/log/postgresql/postgresql-15-main.log 2>&1');
    return r.stdout + r.stderr;
  }

  /** The endpoint's view of a data node in one round trip: does it hold the address, is it fenced? */
  async endpointView(node: string, address: string): Promise<{ holds: boolean; fenced: boolean }> {
    const r = await this.#ssh.run(
      this.node(node).ssh,
      `${NODE_SETTINGS}; ip -o -4 addr show | grep -q " ${address}/" && echo holds; grep -q '${FENCE_MARK}' "$PG_CONF_DIR/pg_hba.conf" && echo fenced; true`,
    );
    return { holds: r.stdout.includes('holds'), fenced: r.stdout.includes('fenced') };
  }

  async appProfile(): Promise<AppProfile> {
    return this.#app.profile ?? 'aware';
  }

  /** Run the app here, on 127.0.0.1, writing through the endpoint's address. Replaces a running one. */
  async useAppProfile(profile: AppProfile, signal?: AbortSignal): Promise<void> {
    const inv = this.#inventory;
    await this.#app.start({
      profile,
      writesTo: `${inv.writeAddress}:5432`,
      ...(signal ? { signal } : {}),
      env: {
        DB_USER: inv.app.user,
        DB_PASSWORD: inv.app.password,
        DB_NAME: inv.app.database,
        DB_WRITE_HOST: inv.writeAddress,
        // As in the tutorial: the standbys first, then the first primary.
        DB_READ_HOSTS: this.dataNodes.slice().reverse().map((n) => n.dbHost).join(','),
        ...(inv.app.analyticsDatabase ? { ANALYTICS_DB_NAME: inv.app.analyticsDatabase } : {}),
      },
    });
  }

  doSimulator<T = unknown>(): Promise<T> {
    throw new ClusterError(`${this.spec.name} has no DigitalOcean simulator (machines use the real API)`);
  }

  async release(): Promise<void> {
    await this.#app.stop();
    await this.#ssh.close();
  }

  /** flipdrill never removes machines it did not create: this only lets go of them. */
  async stop(): Promise<void> {
    await this.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}

/**
 * The floating endpoint on machines, as flipdrill sees it (it never moves it): the promote hook on
 * the new primary takes the virtual IP (flipdrill-vip) or asks DigitalOcean for the floating IP
 * (flipdrill-flip), and a node whose PostgreSQL is not a primary gives the virtual IP up itself
 * (flipdrill-vip-guard). With the virtual IP the holder is the one node that has the address; with
 * DigitalOcean, the droplet the API says the IP is assigned to; with none, nobody.
 */
class MachineEndpoint implements EndpointView {
  readonly kind: 'virtual-ip' | 'do-floating-ip';
  readonly address: string;
  readonly #cluster: RemoteCluster;
  readonly #inventory: InventoryCluster;
  readonly #do?: DoIpClient;
  #droplets?: Map<number, string>;

  constructor(cluster: RemoteCluster, inventory: InventoryCluster, doClient?: DoIpClient) {
    this.#cluster = cluster;
    this.#inventory = inventory;
    this.address = inventory.writeAddress;
    this.kind = inventory.endpoint === 'digitalocean' ? ('do-floating-ip' as const) : ('virtual-ip' as const);
    if (doClient) this.#do = doClient;
  }

  /** Droplet id → node, asked once of each droplet's own metadata service (over SSH). */
  async #dropletNodes(): Promise<Map<number, string>> {
    if (this.#droplets) return this.#droplets;
    const map = new Map<number, string>();
    for (const node of this.#cluster.dataNodes) {
      const r = await this.#cluster.exec(node.name, ['curl', '-fsS', '--max-time', '2', 'http://169.254.169.254/metadata/v1/id']);
      const id = Number(r.stdout.trim());
      if (r.exitCode !== 0 || !Number.isInteger(id)) throw new EndpointError(`cannot read ${node.name}'s droplet id from its metadata service: ${(r.stderr || r.stdout).trim()}`);
      map.set(id, node.name);
    }
    this.#droplets = map;
    return map;
  }

  async state(): Promise<EndpointState> {
    const nodes = this.#cluster.dataNodes;
    const views = await Promise.all(nodes.map(async (n) => ({ name: n.name, ...(await this.#cluster.endpointView(n.name, this.address)) })));
    const reachable = views.filter((v) => !v.fenced).map((v) => v.name);
    if (this.#inventory.endpoint === 'digitalocean' && this.#do) {
      const assignment = await this.#do.getIp(this.address);
      const holder = assignment.dropletId === null ? undefined : (await this.#dropletNodes()).get(assignment.dropletId);
      return { ...(holder ? { holder } : {}), reachable };
    }
    // Two holders (the old one has not given it up yet): nobody holds it for sure.
    const holders = views.filter((v) => v.holds);
    return { ...(holders.length === 1 ? { holder: holders[0]!.name } : {}), reachable };
  }
}

/** The cluster an inventory describes, with the app running here; check it answers before the drill. */
export async function connectRemoteCluster(target: string, options: RemoteClusterOptions): Promise<RemoteCluster> {
  const inventory = await loadInventory(target);
  options.onStep?.(`drilling the machines in ${inventory.source}: ${inventory.nodes.map((n) => `${n.name} (${n.ssh.host})`).join(', ')}`);
  const cluster = new RemoteCluster(inventory, options.logger, options.appLogFile ? { appLogFile: options.appLogFile } : {});
  try {
    for (const node of inventory.nodes) await cluster.exec(node.name, ['test', '-r', '/etc/flipdrill/node.env']).then((r) => {
      if (r.exitCode !== 0) throw new ClusterError(`${cluster.where(node.name)} has no /etc/flipdrill/node.env: it was not provisioned by flipdrill's playbook`, { hint: `run: ansible-playbook -i ${inventory.source} ansible/site.yml` });
    });
    options.onStep?.(`starting the app here (${options.appProfile ?? 'aware'}), writing to ${inventory.writeAddress}`);
    await cluster.useAppProfile(options.appProfile ?? 'aware', options.signal);
    return cluster;
  } catch (error) {
    await cluster.release();
    throw error;
  }
}
