/**
 * One node of a cluster flipdrill did not build, as the driver that reaches it does faults to it: a
 * container on this Docker engine (docker-driver.ts), a machine over SSH (ssh-driver.ts), or the
 * user's own commands (commands-driver.ts). A driver is made for one node and knows its name, so
 * its methods take no node. What it cannot do is absent (an optional member), never a method that
 * only throws; `faultsOf` (faults-of.ts) assembles a cluster's NodeFaults from its nodes' drivers.
 *
 * Every `describe` says exactly what the fault will run, so a dry run can print it before anything
 * is touched. Every undo is idempotent and safe when nothing was done.
 */
import type { ExecResult } from '../../docker/docker-client.ts';
import type { NetworkShape } from '../../net-shape.ts';
import type { CapabilityName, ConnectionBreak, CoreFault } from '../../target.ts';

/** The core's faults, and `start`, their undo. */
export type NodeFault = CoreFault | 'start';

/** What every target can do to a node (NodeCore), for one node; a driver may lack some of it. */
export interface NodeDriverCore {
  /** Exactly what the fault runs on this node; undefined when this driver cannot do it. */
  describe(fault: NodeFault, signal?: string): string | undefined;
  /** Kill the node's processes with the signal (SIGKILL unless given). */
  kill?(signal?: string): Promise<void>;
  /** Stop the node cleanly. */
  stop?(): Promise<void>;
  /** Start the node after a kill or a stop (thawing it first where it can be frozen); nothing when it runs. */
  start?(): Promise<void>;
  /** Run a command on the node: its exit code and output, whatever they are. */
  exec?(cmd: string[], options?: { user?: string }): Promise<ExecResult>;
  /** Does the node's database run (not frozen)? */
  isRunning?(): Promise<boolean>;
}

/** What of a fault is still on the node (a heal must have taken it all away); a node that is not running has none. */
interface NodeLeftovers {
  leftovers(): Promise<string[]>;
}

/** The node's processes stopped, its kernel answering, until thawed. */
export interface NodeFreeze extends NodeLeftovers {
  describe(): string;
  pause(): Promise<void>;
  unpause(): Promise<void>;
}

/** The node cut off from everything but its loopback (and the driver's own way in), both ways. */
export interface NodePartition extends NodeLeftovers {
  describe(): string;
  partition(): Promise<void>;
  heal(): Promise<void>;
}

/** The node hears nothing from these addresses (the other nodes'); it still sends, and the app still reaches it. */
export interface NodeOneWayPartition extends NodeLeftovers {
  describe(): string;
  partitionOneWay(peers: readonly string[]): Promise<void>;
  healOneWay(): Promise<void>;
}

/** Slow or lossy links for the node (cluster/net-shape.ts), replacing any shape before. */
export interface NodeNetworkShape extends NodeLeftovers {
  describe(shape: NetworkShape): string;
  shapeNetwork(shape: NetworkShape): Promise<void>;
  unshapeNetwork(): Promise<void>;
}

/** The connections open to the node's database broken (reset or half-open), new ones working (iptables.ts). */
export interface NodeConnections extends NodeLeftovers {
  describe(how: ConnectionBreak): string;
  breakConnections(how: ConnectionBreak): Promise<void>;
  restoreConnections(): Promise<void>;
}

/** The capabilities a driver may have, by the names the target's capabilities have. */
export interface NodeCapabilities {
  freeze?: NodeFreeze;
  partition?: NodePartition;
  'one-way-partition'?: NodeOneWayPartition;
  'network-shape'?: NodeNetworkShape;
  connections?: NodeConnections;
}
export type DriverCapabilityName = keyof NodeCapabilities;
export const DRIVER_CAPABILITIES = ['freeze', 'partition', 'one-way-partition', 'network-shape', 'connections'] as const satisfies readonly (DriverCapabilityName & CapabilityName)[];

export interface NodeDriver {
  /** Which driver: docker, ssh or commands. */
  readonly kind: 'docker' | 'ssh' | 'commands';
  /** Where the node is, for people: `container patroni-pg1`, `admin@10.0.0.12:22`, `your commands`. */
  readonly where: string;
  /** The node's IPv4 addresses as this driver knows them: what another node's one-way partition drops. */
  addresses(): Promise<string[]>;
  readonly core: NodeDriverCore;
  readonly capabilities: NodeCapabilities;
}
