/**
 * What a drill needs from a cluster, whoever runs it: Docker containers flipdrill started
 * (StartedCluster) or machines someone else provisioned, reached over SSH (RemoteCluster).
 * The runner, the nemesis and the checker see only this.
 */
import type { EndpointEvent } from './endpoint/controller.ts';
import type { EndpointView } from './endpoint/endpoint.ts';
import type { ClusterSnapshot } from './observe.ts';
import type { AppProfile } from './app-profiles/index.ts';
import type { ProfileEvent } from './app-profiles/profile.ts';
import type { ClusterSpec, NodeSpec } from './spec.ts';
import type { ExecResult } from './docker/docker-client.ts';
import type { NetworkShape, ReplicationLink } from './net-shape.ts';
import type { DiskFaultSetting, DiskFaultState } from './fault-fs/index.ts';

export type TargetEndpoint = ClusterSpec['endpoint'] | 'digitalocean' | 'none';

export interface TargetSpec {
  readonly name: string;
  readonly replication: ClusterSpec['replication'];
  readonly timing: ClusterSpec['timing'];
  readonly tls: boolean;
  readonly endpoint: TargetEndpoint;
  readonly nodes: readonly Pick<NodeSpec, 'name' | 'id' | 'initialRole'>[];
  /** Only with the do-simulator endpoint. */
  readonly doSimulator?: ClusterSpec['doSimulator'];
}

/** Who moves the endpoint on this target, and whether it can now (a drill refuses to start when not). */
export interface EndpointMover {
  by: string;
  ok: boolean;
  problem?: string;
}

/** The faults every target does to a node with its core alone: the names its describeFault takes. */
export const CORE_FAULTS = ['kill', 'stop'] as const;
export type CoreFault = (typeof CORE_FAULTS)[number];

/** The firewall chain of the one-way partition, on containers and machines alike (checked for leftovers). */
export const ONE_WAY_CHAIN = 'FLIPDRILL-ONE-WAY';

/**
 * What every target can do to its nodes (Jepsen's DB protocol): run a command, kill, stop and
 * start a node. Everything else a fault may need is an optional capability (below), present only
 * where the target can do it; a fault names the capabilities it needs and a target without one is
 * refused before anything starts.
 */
export interface NodeCore {
  /** What kind of target this is, for people ("Docker cluster flipdrill", "machines of inventory.yml over SSH"). */
  readonly driver: string;
  /** The command kill or stop runs on this target (recorded with the fault). */
  describeFault(kind: CoreFault, node: string, signal?: string): string;
  isRunning(node: string): Promise<boolean>;
  exec(node: string, cmd: string[], options?: { user?: string }): Promise<ExecResult>;
  kill(node: string, signal?: string): Promise<void>;
  stopNode(node: string): Promise<void>;
  startNode(node: string): Promise<void>;
}

/**
 * Each capability is what one kind of fault acts through, with what it leaves behind: `leftovers`
 * names whatever of it is still on the given nodes (a heal must have taken it all away); a node
 * that is not running has none. Undos are idempotent and safe when nothing was done.
 */
interface Leftovers {
  leftovers(nodes: readonly string[]): Promise<string[]>;
}

/** The node freezes (its processes stopped, its kernel answering) until thawed. */
export interface FreezeCapability extends Leftovers {
  describe(node: string): string;
  pause(node: string): Promise<void>;
  unpause(node: string): Promise<void>;
}

/** The node cut off from the other nodes and the app, both ways. */
export interface PartitionCapability extends Leftovers {
  describe(node: string): string;
  partition(node: string): Promise<void>;
  heal(node: string): Promise<void>;
}

/** The node hears nothing from the other nodes; it can still send, and the app still reaches it. */
export interface OneWayPartitionCapability extends Leftovers {
  describe(node: string): string;
  partitionOneWay(node: string): Promise<void>;
  healOneWay(node: string): Promise<void>;
}

/** Slow or lossy links for the node (cluster/net-shape.ts), replacing any shape before. */
export interface NetworkShapeCapability extends Leftovers {
  /** How the shape is made here (for the record). */
  describe(node: string, shape: NetworkShape): string;
  shapeNetwork(node: string, shape: NetworkShape): Promise<void>;
  unshapeNetwork(node: string): Promise<void>;
}

/** The app cannot resolve names (its DNS server refuses it) until unblocked: a fault on the app, not a node. */
export interface AppDnsCapability extends Leftovers {
  blockAppDns(): Promise<void>;
  unblockAppDns(): Promise<void>;
}

/** The node's data file system fills up; only where flipdrill made that file system (size-limited) itself. */
export interface DiskFillCapability extends Leftovers {
  /** Returns the bytes still free. */
  fillDisk(node: string): Promise<number>;
  freeDisk(node: string): Promise<void>;
}

/**
 * The node's disk misbehaves under a running kernel: operations stall, fail with EIO or slow down;
 * or the node loses power, and every write it had not fsynced is gone. Only where flipdrill put
 * its fault file system under the node's data directory (cluster/fault-fs/).
 */
export interface DiskFaultCapability extends Leftovers {
  describe(node: string, setting: DiskFaultSetting | 'power-loss'): string;
  /** Replace the node's disk fault with this one. */
  setDiskFault(node: string, setting: DiskFaultSetting): Promise<void>;
  /** Every disk fault off; stalled operations go on. Idempotent. */
  clearDiskFault(node: string): Promise<void>;
  /** Cut the power: the disk stops, the node is killed, its unsynced writes are taken back. */
  powerLoss(node: string): Promise<{ files: number; bytes: number }>;
  diskFaultState(node: string): Promise<DiskFaultState>;
}

/**
 * What a connection fault does to the connections open to the node's PostgreSQL when it comes
 * (those opened later are left alone): reset (each one answered with a TCP RST at its next packet)
 * or half-open (each one silently black-holed both ways: no data, no RST).
 */
export type ConnectionBreak = 'reset' | 'half-open';

/** The node's open database connections broken; new ones work. */
export interface ConnectionFaultCapability extends Leftovers {
  describe(node: string, how: ConnectionBreak): string;
  breakConnections(node: string, how: ConnectionBreak): Promise<void>;
  restoreConnections(node: string): Promise<void>;
}

/** The replication link alone slow or thin: the node's packets to the other data nodes delayed, what it sends on the replication network capped. */
export interface ReplicationLinkCapability extends Leftovers {
  describe(node: string, link: ReplicationLink): string;
  shapeReplicationLink(node: string, link: ReplicationLink): Promise<void>;
  unshapeReplicationLink(node: string): Promise<void>;
}

/** The node's clock set off; only where flipdrill runs the node's processes on a clock it can set. */
export interface ClockCapability extends Leftovers {
  skewClock(node: string, offsetSecs: number): Promise<void>;
  unskewClock(node: string): Promise<void>;
}

/** A planned switchover to a standby, by the cluster's HA manager. Returns its output; throws with it on failure. */
export interface SwitchoverCapability {
  switchover(node: string): Promise<string>;
  /** What a switchover to `node` from `current` runs, said before it runs. */
  describe?(node: string, current: string): string;
}

/** Every optional capability, by the name a fault declares it with. */
export interface Capabilities {
  freeze: FreezeCapability;
  partition: PartitionCapability;
  'one-way-partition': OneWayPartitionCapability;
  'network-shape': NetworkShapeCapability;
  'app-dns': AppDnsCapability;
  'disk-fill': DiskFillCapability;
  'disk-fault': DiskFaultCapability;
  connections: ConnectionFaultCapability;
  'replication-link': ReplicationLinkCapability;
  clock: ClockCapability;
  switchover: SwitchoverCapability;
}
export type CapabilityName = keyof Capabilities;
export const CAPABILITY_NAMES = ['freeze', 'partition', 'one-way-partition', 'network-shape', 'app-dns', 'disk-fill', 'disk-fault', 'connections', 'replication-link', 'clock', 'switchover'] as const satisfies readonly CapabilityName[];

/** What a nemesis may do to a cluster: the core, and the capabilities this target has. */
export interface NodeFaults extends NodeCore {
  readonly capabilities: Partial<Capabilities>;
}

/** The driver with these capabilities surely there (what a fault that declared them gets). */
export type FaultsWith<N extends CapabilityName> = NodeCore & { readonly capabilities: Partial<Capabilities> & Pick<Capabilities, N> };

/** What every capability of the target left on these nodes (a whole cluster has none). */
export async function capabilityLeftovers(target: NodeFaults, nodes: readonly string[]): Promise<string[]> {
  const found = await Promise.all(Object.values(target.capabilities).map((c) => ('leftovers' in c ? c.leftovers(nodes) : Promise.resolve([]))));
  return found.flat();
}

/** What the harness reads of the cluster: its state, its SQL, its logs. */
export interface ClusterReads {
  /** Where the node runs, for people: a container's name, user@host. */
  where(node: string): string;
  /** Has the node finished starting (registered or rejoined, repmgrd running)? */
  isReady(node: string): Promise<boolean>;
  observe(): Promise<ClusterSnapshot>;
  /**
   * The same look over connections kept open between looks, for a watcher that looks several
   * times a second (cheaper for the cluster, and quicker); close() when done.
   */
  keptObserver(): { observe(): Promise<ClusterSnapshot>; close(): void };
  primary(): Promise<string | undefined>;
  query<T extends Record<string, unknown>>(node: string, sql: string, params?: unknown[], database?: string): Promise<T[]>;
  /** The tail of the node's repmgrd and PostgreSQL logs. */
  nodeLogs(node: string): Promise<string>;
  /**
   * What the cluster's HA manager recorded since `sinceMs` (wall clock), asked through its own
   * interface, on a target that has one (a cluster file's); without it, a drill reads repmgr's
   * events table on the primary.
   */
  managerEvents?(sinceMs: number): Promise<{ at: number; node?: string; event: string; details?: string }[]>;
  /** The HA manager's name, where the target knows it (a cluster file's: patroni, pg_auto_failover, repmgr). */
  readonly managerName?: string;
}

/** The floating endpoint, seen and never moved: the cluster moves it itself. */
export interface EndpointWatch {
  /**
   * Where the endpoint is. Only a view: the cluster moves its endpoint itself (an endpoint agent,
   * the nodes' promote hooks, DigitalOcean), and a drill never does.
   */
  readonly endpoint: EndpointView;
  /** Who moves the endpoint, and is it running? */
  endpointMover(): Promise<EndpointMover>;
  /** What the cluster's endpoint mover did since `sinceMs` (wall clock), as far as it reports it. */
  endpointActions(sinceMs: number): Promise<EndpointEvent[]>;
  /** Only with the do-simulator endpoint: the simulator's own API. */
  doSimulator<T = unknown>(path: string, body?: unknown): Promise<T>;
}

/** The app the workload talks to. */
export interface AppHost {
  /** Where the app answers, from this host. */
  readonly appUrl: string;
  appProfile(): Promise<AppProfile>;
  useAppProfile(profile: AppProfile, signal?: AbortSignal): Promise<void>;
  /**
   * What the app's profile counts in the cluster, if anything (the dsql app: its DSQL stand-in's
   * refusals, OC000 conflicts and sessions); undefined with a profile that counts nothing.
   */
  appProfileCounter?(): ProfileCounter | undefined;
}

/** Something of the app's profile that counts in the cluster since it started: read before and after a drill. */
export interface ProfileCounter<Counts = unknown> {
  /** What counts, in messages: "DSQL stand-in". */
  readonly title: string;
  /** What it counted since it started. */
  read(): Promise<Counts>;
  /** The event the drill records: what it counted between two readings (no `before`: since it started). */
  event(after: Counts, before: Counts | undefined): ProfileEvent;
}

/**
 * Everything a drill uses, as small capabilities: a part of the harness asks for the one it
 * needs (a nemesis for NodeFaults), so a test can hand it a fake of that part alone.
 */
export interface DrillTarget extends NodeFaults, ClusterReads, EndpointWatch, AppHost {
  readonly spec: TargetSpec;
  /** `analytics`: the app's second database, where it is not flipdrill's own (flipdrill_analytics). */
  readonly credentials: { readonly app: { readonly database: string }; readonly analytics?: { readonly database: string }; readonly doTokens?: { readonly hook: string; readonly harness: string } };
  /** Let go of what the drill held (an app process, SSH connections); the cluster itself stays. */
  release(): Promise<void>;
  /** Remove the cluster (only one the drill created). */
  stop(): Promise<void>;
}
