/**
 * What a cluster is: its name, nodes, networks, ports and timing. A plain value with defaults and
 * validation, so a bad value is one clear error before anything is created.
 */
import { APP_PROFILES, appProfileNamed, type AppProfile } from './app-profiles/index.ts';
import { MAX_DATA_FS_MB, MIN_DATA_FS_MB } from './data-fs.ts';
import { ConfigError } from './errors.ts';
import timingProfiles from './timing-profiles.json' with { type: 'json' };

export type NodeRole = 'primary' | 'standby' | 'witness';
export type ReplicationMode = 'sync' | 'async';

export interface NodeSpec {
  /** node1, node2, node3: also the hostname and the name on both networks. */
  name: string;
  id: number;
  /** The role the node is created in. Its current role is whatever the database says. */
  initialRole: NodeRole;
  priority: number;
  /** Host port on 127.0.0.1 for the checker and for people debugging. */
  hostPort: number;
  backIp: string;
  frontIp: string;
}

export interface RepmgrTiming {
  monitorIntervalSecs: number;
  reconnectAttempts: number;
  reconnectInterval: number;
}

export interface ClusterSpec {
  /** Prefix of every container and network; also the value of the io.flipdrill.cluster label. */
  name: string;
  nodes: NodeSpec[];
  backSubnet: string;
  frontSubnet: string;
  /** The floating endpoint's name on the front network. */
  endpointAlias: string;
  /** flipdrill's own app: started (the default), or not (a library user's tests bring their own code). */
  app: { hostPort: number; frontIp: string; start: boolean; client?: string; image?: string };
  replication: ReplicationMode;
  timing: RepmgrTiming;
  /** Nodes serve TLS with certificates from a per-cluster CA, and the app's user must use it. */
  tls: boolean;
  /** The app's Sequelize setup: the failover-aware one, the tutorial's (app/failover/naive.ts), or yours (cluster/app-profiles/). */
  appProfile: AppProfile;
  sequelizeOptions?: Record<string, unknown>;
  /** docker-alias, or a DigitalOcean floating IP against the API simulator (its container and port). */
  endpoint: EndpointOption;
  doSimulator: { hostPort: number; backIp: string; floatingIp: string; region: string };
  /** With the dsql app: the DSQL stand-in's address on the client network, and its stats port on 127.0.0.1. */
  dsqlStandIn: { frontIp: string; statsPort: number };
  /** The endpoint agent's address on the replication network (where it asks the nodes their role). */
  agentBackIp: string;
  /**
   * The virtual IP: the application network's last usable address, outside the range Docker
   * allocates from (the network's first half), with the subnet's prefix.
   */
  virtualIp: { address: string; prefix: number; dockerRange: string };
  /**
   * Each data node's data directory on a file system of this size (cluster/data-fs.ts), so the
   * disk-full fault can fill it. Absent: the data directory is on the container's own disk.
   * `faults`: the fault file system over it (cluster/fault-fs/), for the disk faults.
   */
  dataFs?: { sizeMb: number; faults?: true };
  /**
   * Every process of a data node reads the clock through libfaketime, at offset 0 until the
   * clock-skew fault sets one (cluster/clock.ts). Off: the nodes read the host's clock.
   */
  fakeClock: boolean;
}

export type EndpointOption = 'docker-alias' | 'do-simulator' | 'virtual-ip';
export const ENDPOINT_OPTIONS: EndpointOption[] = ['docker-alias', 'do-simulator', 'virtual-ip'];
/** Droplet id of a node in the simulated DigitalOcean (node1 → 101). */
export const dropletIdOf = (node: Pick<NodeSpec, 'id'>) => 100 + node.id;

/**
 * repmgrd's timing profiles, in one file that the Ansible role reads too.
 *   fast             measured on our CI machines: repmgrd promotes about 2 s after `docker kill` of the primary
 *   repmgr-defaults  repmgr's own defaults: about a minute before an election starts
 */
export const TIMING_PROFILES: Record<'fast' | 'repmgr-defaults', RepmgrTiming> = timingProfiles;

export const PROJECT_LABEL = 'io.flipdrill.project';
export const CLUSTER_LABEL = 'io.flipdrill.cluster';
export const ROLE_LABEL = 'io.flipdrill.role';
export const NODE_LABEL = 'io.flipdrill.node';
/** On every container of a cluster: the options it was defined with (JSON), so it can be found again. */
export const SPEC_LABEL = 'io.flipdrill.spec';
/** The role label of the cluster's endpoint agent container. */
export const AGENT_ROLE = 'endpoint-agent';

export function projectLabels(cluster?: string): Record<string, string> {
  return cluster ? { [PROJECT_LABEL]: 'flipdrill', [CLUSTER_LABEL]: cluster } : { [PROJECT_LABEL]: 'flipdrill' };
}

export interface ClusterOptions {
  name?: string;
  /** node1 is published here, node2 and node3 on the next two ports. */
  portBase?: number;
  appPort?: number;
  backSubnet?: string;
  frontSubnet?: string;
  replication?: ReplicationMode;
  timing?: keyof typeof TIMING_PROFILES | RepmgrTiming;
  tls?: boolean;
  appProfile?: AppProfile;
  endpoint?: EndpointOption;
  /** Standbys (1 to 4): node2.. are standbys, the last node the witness. */
  standbys?: number;
  /** Start flipdrill's own app (default true); false for tests that bring their own code. */
  app?: boolean;
  /**
   * A client module of yours (its path) served over the app contract in place of flipdrill's app
   * (docs/app-contract.md): what a drill's workload then writes and reads through.
   */
  client?: string;
  /**
   * An image of your app (on this engine) run in place of flipdrill's app: it gets the database
   * settings as environment variables and answers the app contract on port 8080.
   */
  appImage?: string;
  /**
   * Sequelize options of yours (one environment of a sequelize-cli config, made JSON-safe: see
   * harness/sequelize-config.ts): the `config` app profile builds its Sequelize from exactly these,
   * with only the hosts, port and credentials pointed at the cluster.
   */
  sequelizeOptions?: Record<string, unknown>;
  /** Put each data node's data directory on a size-limited file system of this many MB (for the disk-full fault). */
  dataFsMb?: number;
  /**
   * Put flipdrill's fault file system between each data node and that file system (for the disk
   * faults: io-stall, io-error, slow-disk, power-loss); needs dataFsMb.
   */
  faultFs?: boolean;
  /** Let the clock-skew fault set a data node's clock (libfaketime preloaded in the nodes). */
  fakeClock?: boolean;
}

export const MAX_STANDBYS = 4;

export const DEFAULTS = {
  name: 'flipdrill',
  portBase: 15432,
  appPort: 18080,
  backSubnet: '10.213.1.0/24',
  frontSubnet: '10.213.2.0/24',
  replication: 'sync' as ReplicationMode,
  timing: 'fast' as const,
  tls: false,
  appProfile: 'aware' as AppProfile,
  endpoint: 'docker-alias' as EndpointOption,
};

/** Networks no cluster can live on: Docker would route them to the host itself, or nowhere. */
const SPECIAL_NETWORKS = [
  { cidr: '0.0.0.0/8', what: 'the unspecified network' },
  { cidr: '127.0.0.0/8', what: 'loopback' },
  { cidr: '169.254.0.0/16', what: 'link-local' },
  { cidr: '224.0.0.0/4', what: 'multicast' },
  { cidr: '240.0.0.0/4', what: 'reserved' },
];

/**
 * "10.213.1.0/24" → [10,213,1,0], prefix 24. Only IPv4 /16 to /28 networks (a cluster needs a handful of
 * addresses), and none in the unspecified, loopback, link-local, multicast or reserved ranges.
 */
export function parseSubnet(cidr: string): { octets: number[]; prefix: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) throw new ConfigError(`subnet "${cidr}" is not an IPv4 CIDR like 10.213.1.0/24`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255)) throw new ConfigError(`subnet "${cidr}" has an octet over 255`);
  if (prefix < 16 || prefix > 28) throw new ConfigError(`subnet "${cidr}" must have a prefix from /16 to /28`);
  const value = toInt(octets);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  if ((value & mask) >>> 0 !== value) throw new ConfigError(`subnet "${cidr}" has host bits set; did you mean ${fromInt((value & mask) >>> 0)}/${prefix}?`);
  const special = SPECIAL_NETWORKS.find((s) => subnetsOverlap(cidr, s.cidr));
  if (special) throw new ConfigError(`subnet "${cidr}" is in ${special.what} ${special.cidr}: give a private network, like 10.213.1.0/24`);
  return { octets, prefix };
}

function toInt(o: number[]): number {
  return ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
}

function fromInt(v: number): string {
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

/** The address `offset` hosts into the subnet (offset 1 is the gateway). */
export function hostAddress(cidr: string, offset: number): string {
  const { octets } = parseSubnet(cidr);
  return fromInt(toInt(octets) + offset);
}

export function subnetsOverlap(a: string, b: string): boolean {
  const pa = parseSubnetLoose(a);
  const pb = parseSubnetLoose(b);
  if (!pa || !pb) return false;
  const prefix = Math.min(pa.prefix, pb.prefix);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return ((pa.value & mask) >>> 0) === ((pb.value & mask) >>> 0);
}

function parseSubnetLoose(cidr: string): { value: number; prefix: number } | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return undefined;
  return { value: toInt(m.slice(1, 5).map(Number)), prefix: Number(m[5]) };
}

function checkPort(name: string, port: number): number {
  if (!Number.isInteger(port) || port < 1024 || port > 65535) throw new ConfigError(`${name} must be a port from 1024 to 65535, not ${port}`);
  return port;
}

function virtualIpOf(subnet: string): ClusterSpec['virtualIp'] {
  const { prefix } = parseSubnet(subnet);
  const size = 2 ** (32 - prefix);
  return {
    address: hostAddress(subnet, size - 2),
    prefix,
    dockerRange: `${subnet.split('/')[0]}/${prefix + 1}`,
  };
}

/** The cluster flipdrill runs: node1 primary, node2 standby (and up to node5), the witness last, and the app. */
export function defineCluster(options: ClusterOptions = {}): ClusterSpec {
  const name = options.name ?? DEFAULTS.name;
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(name)) {
    throw new ConfigError(`cluster name "${name}" must be lowercase letters, digits and dashes, starting with a letter (at most 31)`);
  }
  const standbys = options.standbys ?? 1;
  if (!Number.isInteger(standbys) || standbys < 1 || standbys > MAX_STANDBYS) throw new ConfigError(`standbys must be a whole number from 1 to ${MAX_STANDBYS}, not ${standbys}`);
  const lastPort = (options.portBase ?? DEFAULTS.portBase) + standbys + 1;
  const portBase = checkPort('the port base', options.portBase ?? DEFAULTS.portBase);
  checkPort('the last node port', lastPort);
  const appPort = checkPort('the app port', options.appPort ?? DEFAULTS.appPort);
  if (appPort >= portBase && appPort <= lastPort) throw new ConfigError(`the app port ${appPort} collides with the node ports ${portBase}-${lastPort}`);
  const backSubnet = options.backSubnet ?? DEFAULTS.backSubnet;
  const frontSubnet = options.frontSubnet ?? DEFAULTS.frontSubnet;
  parseSubnet(backSubnet);
  parseSubnet(frontSubnet);
  if (subnetsOverlap(backSubnet, frontSubnet)) throw new ConfigError(`the back subnet ${backSubnet} and the front subnet ${frontSubnet} overlap`);
  const replication = options.replication ?? DEFAULTS.replication;
  if (replication !== 'sync' && replication !== 'async') throw new ConfigError(`replication must be sync or async, not "${String(replication)}"`);
  const timingOption = options.timing ?? DEFAULTS.timing;
  const timing = typeof timingOption === 'string' ? TIMING_PROFILES[timingOption] : timingOption;
  if (!timing) throw new ConfigError(`timing profile "${String(timingOption)}" is unknown (known: ${Object.keys(TIMING_PROFILES).join(', ')})`);
  const endpoint = options.endpoint ?? DEFAULTS.endpoint;
  if (!ENDPOINT_OPTIONS.includes(endpoint)) throw new ConfigError(`the endpoint must be ${ENDPOINT_OPTIONS.join(' or ')}, not "${String(endpoint)}"`);
  // The simulator's port on 127.0.0.1 is the one after the app's.
  const simPort = checkPort('the DigitalOcean simulator port (app port + 1)', appPort + 1);
  if (endpoint === 'do-simulator' && simPort >= portBase && simPort <= lastPort) throw new ConfigError(`the simulator port ${simPort} (app port + 1) collides with the node ports ${portBase}-${lastPort}`);
  if (options.client && options.appImage) throw new ConfigError('a client module or an app image: one of them runs in place of the app, not both');
  if (options.faultFs && options.dataFsMb === undefined) throw new ConfigError('the fault file system sits on the size-limited data file system: give --data-fs-size too');
  if (options.appImage !== undefined && !/^[a-z0-9][a-z0-9._/:@-]{0,254}$/i.test(options.appImage)) throw new ConfigError(`--app-image "${options.appImage}" is not an image name like myorg/app:tag`);
  const appProfile = options.appProfile ?? (options.sequelizeOptions ? 'config' : DEFAULTS.appProfile);
  const profile = appProfileNamed(appProfile);
  if (!profile) throw new ConfigError(`the app profile must be ${APP_PROFILES.slice(0, -1).join(', ')} or ${APP_PROFILES.at(-1)}, not "${String(appProfile)}"`);
  // The DSQL stand-in (with the dsql app): next to the app; its stats on 127.0.0.1 on the port after the simulator's.
  const dsqlStandIn = { frontIp: hostAddress(frontSubnet, 21), statsPort: appPort + 2 };
  profile.checkOptions?.({ options, spec: { dsqlStandIn, sequelizeOptions: options.sequelizeOptions }, nodePorts: { first: portBase, last: lastPort }, checkPort });

  const roles: NodeRole[] = ['primary', ...Array.from({ length: standbys }, () => 'standby' as const), 'witness'];
  const nodes = roles.map((initialRole, i) => ({
    name: `node${i + 1}`,
    id: i + 1,
    initialRole,
    // The witness is never a promotion candidate.
    priority: initialRole === 'witness' ? 0 : 100,
    hostPort: portBase + i,
    backIp: hostAddress(backSubnet, 11 + i),
    frontIp: hostAddress(frontSubnet, 11 + i),
  }));
  return {
    name,
    nodes,
    backSubnet,
    frontSubnet,
    endpointAlias: 'pg-primary',
    app: { hostPort: appPort, frontIp: hostAddress(frontSubnet, 20), start: options.app ?? true, ...(options.client ? { client: options.client } : {}), ...(options.appImage ? { image: options.appImage } : {}) },
    replication,
    timing,
    tls: options.tls ?? DEFAULTS.tls,
    appProfile,
    ...(options.sequelizeOptions ? { sequelizeOptions: options.sequelizeOptions } : {}),
    endpoint,
    // 203.0.113.0/24 is TEST-NET-3 (RFC 5737): documentation only, never routed anywhere.
    doSimulator: { hostPort: simPort, backIp: hostAddress(backSubnet, 30), floatingIp: '203.0.113.10', region: 'nyc3' },
    agentBackIp: hostAddress(backSubnet, 31),
    dsqlStandIn,
    virtualIp: virtualIpOf(frontSubnet),
    fakeClock: options.fakeClock ?? false,
    ...(options.dataFsMb !== undefined ? { dataFs: { sizeMb: checkDataFsMb(options.dataFsMb), ...(options.faultFs ? { faults: true as const } : {}) } } : {}),
  };
}

function checkDataFsMb(mb: number): number {
  if (!Number.isInteger(mb) || mb < MIN_DATA_FS_MB || mb > MAX_DATA_FS_MB) throw new ConfigError(`the data file system's size must be a whole number of MB from ${MIN_DATA_FS_MB} to ${MAX_DATA_FS_MB}, not ${mb}`);
  return mb;
}

export const names = {
  container: (spec: ClusterSpec, node: string) => `${spec.name}-${node}`,
  appContainer: (spec: ClusterSpec) => `${spec.name}-app`,
  doSimulatorContainer: (spec: ClusterSpec) => `${spec.name}-do-api`,
  /** A container an app profile needs in front of the endpoint, named after its role. */
  frontContainer: (spec: ClusterSpec, role: string) => `${spec.name}-${role}`,
  agentContainer: (spec: Pick<ClusterSpec, 'name'>) => `${spec.name}-endpoint-agent`,
  backNetwork: (spec: ClusterSpec) => `${spec.name}-back`,
  frontNetwork: (spec: ClusterSpec) => `${spec.name}-front`,
};
