/**
 * What a drill needs from a cluster, whoever runs it: Docker containers flipdrill started
 * (StartedCluster) or machines someone else provisioned, reached over SSH (RemoteCluster).
 * The runner, the nemesis and the checker see only this.
 */
import type { EndpointEvent } from './endpoint/controller.ts';
import type { EndpointView } from './endpoint/endpoint.ts';
import type { ClusterSnapshot } from './observe.ts';
import type { AppProfile, ClusterSpec, NodeSpec } from './spec.ts';
import type { ExecResult } from './docker/docker-client.ts';
import type { NetworkShape } from './net-shape.ts';

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

/** The faults a target does to one node itself; the harness's scenarios build the rest on them. */
export const NODE_FAULTS = ['kill', 'stop', 'freeze', 'partition', 'partition-one-way'] as const;
/** A fault, as the command that does it on this kind of target (for the record). */
export type FaultKind = (typeof NODE_FAULTS)[number];

/** The firewall chain of the one-way partition, on containers and machines alike (checked for leftovers). */
export const ONE_WAY_CHAIN = 'FLIPDRILL-ONE-WAY';

/** What a nemesis may do to one node, and the little it needs to look at (a fault is all it acts through). */
export interface NodeFaults {
  /** The command a fault runs on this target (recorded with the fault). */
  describeFault(kind: FaultKind, node: string, signal?: string): string;
  isRunning(node: string): Promise<boolean>;
  exec(node: string, cmd: string[], options?: { user?: string }): Promise<ExecResult>;
  kill(node: string, signal?: string): Promise<void>;
  stopNode(node: string): Promise<void>;
  startNode(node: string): Promise<void>;
  pause(node: string): Promise<void>;
  unpause(node: string): Promise<void>;
  partition(node: string): Promise<void>;
  heal(node: string): Promise<void>;
  partitionOneWay(node: string): Promise<void>;
  healOneWay(node: string): Promise<void>;
  /** Slow or lossy links for the node (cluster/net-shape.ts), replacing any shape before. */
  shapeNetwork(node: string, shape: NetworkShape): Promise<void>;
  /** Take the shape away. Idempotent; a node that is not running has none. */
  unshapeNetwork(node: string): Promise<void>;
  /**
   * The app cannot resolve names (its DNS server refuses it) until unblocked: the one fault on the
   * app rather than on a node. Where the app is no container of the cluster's, it throws.
   */
  blockAppDns(): Promise<void>;
  /** Idempotent. */
  unblockAppDns(): Promise<void>;
  /**
   * Fill the node's data file system (the disk-full fault); returns the bytes still free. Only
   * where flipdrill made that file system size-limited (a Docker cluster started with one).
   */
  fillDisk(node: string): Promise<number>;
  /** Free it again. Idempotent. */
  freeDisk(node: string): Promise<void>;
  /**
   * Set the node's clock this many seconds off (the clock-skew fault). Only where flipdrill runs
   * the node's processes on a clock it can set (a Docker cluster started with a fake clock).
   */
  skewClock(node: string, offsetSecs: number): Promise<void>;
  /** Set it right again. Idempotent. */
  unskewClock(node: string): Promise<void>;
  switchover(node: string): Promise<string>;
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
  /** With the dsql app: what the DSQL stand-in counted since it started (refusals, OC000 conflicts, sessions). */
  dsqlStandInStats?(): Promise<{ refused: Record<string, number>; conflicts: number; sessions: number } | undefined>;
}

/**
 * Everything a drill uses, as small capabilities: a part of the harness asks for the one it
 * needs (a nemesis for NodeFaults), so a test can hand it a fake of that part alone.
 */
export interface DrillTarget extends NodeFaults, ClusterReads, EndpointWatch, AppHost {
  readonly spec: TargetSpec;
  readonly credentials: { readonly app: { readonly database: string }; readonly doTokens?: { readonly hook: string; readonly harness: string } };
  /** Let go of what the drill held (an app process, SSH connections); the cluster itself stays. */
  release(): Promise<void>;
  /** Remove the cluster (only one the drill created). */
  stop(): Promise<void>;
}
