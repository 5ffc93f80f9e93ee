/**
 * A foreign cluster's NodeFaults, assembled from its nodes' drivers: each call goes to the driver
 * of the node it names. The cluster's capabilities are those every node's driver has, so a fault
 * the drill can pick for whichever node is primary at the time is one every node can take; the
 * drill checks them before the first fault, as on any target. What a node lacks that another has
 * (a node reached by commands with no `freeze`) is in `lacking`, one line a node, for the dry run.
 * A core fault a node's driver cannot do (commands with no `stop`) is refused when asked for, with
 * its reason, and named in `lacking` beforehand.
 */
import { ClusterError } from '../../errors.ts';
import type { Capabilities, CoreFault, NodeFaults } from '../../target.ts';
import { DRIVER_CAPABILITIES, type DriverCapabilityName, type NodeCapabilities, type NodeDriver, type NodeDriverCore } from './node-driver.ts';

export interface AttachedNode {
  readonly name: string;
  readonly driver: NodeDriver;
  /** More addresses the node's packets come from than its driver knows (its URL's host), for the others' one-way partitions. */
  readonly addresses?: readonly string[];
}

export interface AttachedFaults extends NodeFaults {
  /** Per node that lacks something another node or the core has: `pg3 (your commands): no stop, no freeze`. */
  readonly lacking: readonly string[];
  /** What starting the node again runs (a heal with restart). */
  describeStart(node: string): string;
  /** Where each node is and how it is reached, for people: `pg1 by docker (container x)`. */
  readonly nodes: readonly string[];
}

const CORE_METHODS = ['kill', 'stop', 'start', 'exec', 'isRunning'] as const satisfies readonly (keyof NodeDriverCore)[];

export function faultsOf(nodes: readonly AttachedNode[]): AttachedFaults {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  if (byName.size !== nodes.length) throw new ClusterError(`two nodes have the same name: ${nodes.map((n) => n.name).join(', ')}`);
  const nodeOf = (node: string): AttachedNode => {
    const found = byName.get(node);
    if (!found) throw new ClusterError(`no node named "${node}" (the nodes: ${nodes.map((n) => n.name).join(', ')})`);
    return found;
  };
  const coreOf = <M extends (typeof CORE_METHODS)[number]>(node: string, method: M): NonNullable<NodeDriverCore[M]> => {
    const { driver } = nodeOf(node);
    const fn = driver.core[method];
    if (!fn) throw new ClusterError(`${node} (${driver.where}) cannot ${method === 'isRunning' ? 'say whether it runs' : method}: its ${driver.kind} driver has no way to`);
    return (fn as (...args: unknown[]) => unknown).bind(driver.core) as NonNullable<NodeDriverCore[M]>;
  };
  const capabilityOf = <C extends DriverCapabilityName>(node: string, capability: C): NonNullable<NodeCapabilities[C]> => {
    const { driver } = nodeOf(node);
    const found = driver.capabilities[capability];
    if (!found) throw new ClusterError(`${node} (${driver.where}) cannot take the ${capability} fault`);
    return found;
  };
  const leftoversOf = (capability: DriverCapabilityName) => async (on: readonly string[]) =>
    (await Promise.all(on.map((node) => capabilityOf(node, capability).leftovers()))).flat();
  /** The other nodes' addresses, for a one-way partition of `node`. */
  const peersOf = async (node: string): Promise<string[]> => {
    const others = nodes.filter((n) => n.name !== node);
    const found = await Promise.all(others.map(async (n) => [...(await n.driver.addresses()), ...(n.addresses ?? [])]));
    return [...new Set(found.flat())];
  };

  const everyNodeHas = (capability: DriverCapabilityName) => nodes.length > 0 && nodes.every((n) => n.driver.capabilities[capability]);
  const capabilities: Partial<Capabilities> = {};
  if (everyNodeHas('freeze')) {
    capabilities.freeze = {
      describe: (node) => capabilityOf(node, 'freeze').describe(),
      pause: async (node) => capabilityOf(node, 'freeze').pause(),
      unpause: async (node) => capabilityOf(node, 'freeze').unpause(),
      leftovers: leftoversOf('freeze'),
    };
  }
  if (everyNodeHas('partition')) {
    capabilities.partition = {
      describe: (node) => capabilityOf(node, 'partition').describe(),
      partition: async (node) => capabilityOf(node, 'partition').partition(),
      heal: async (node) => capabilityOf(node, 'partition').heal(),
      leftovers: leftoversOf('partition'),
    };
  }
  if (everyNodeHas('one-way-partition')) {
    capabilities['one-way-partition'] = {
      describe: (node) => capabilityOf(node, 'one-way-partition').describe(),
      partitionOneWay: async (node) => capabilityOf(node, 'one-way-partition').partitionOneWay(await peersOf(node)),
      healOneWay: async (node) => capabilityOf(node, 'one-way-partition').healOneWay(),
      leftovers: leftoversOf('one-way-partition'),
    };
  }
  if (everyNodeHas('network-shape')) {
    capabilities['network-shape'] = {
      describe: (node, shape) => capabilityOf(node, 'network-shape').describe(shape),
      shapeNetwork: async (node, shape) => capabilityOf(node, 'network-shape').shapeNetwork(shape),
      unshapeNetwork: async (node) => capabilityOf(node, 'network-shape').unshapeNetwork(),
      leftovers: leftoversOf('network-shape'),
    };
  }

  if (everyNodeHas('connections')) {
    capabilities.connections = {
      describe: (node, how) => capabilityOf(node, 'connections').describe(how),
      breakConnections: async (node, how) => capabilityOf(node, 'connections').breakConnections(how),
      restoreConnections: async (node) => capabilityOf(node, 'connections').restoreConnections(),
      leftovers: leftoversOf('connections'),
    };
  }

  const somewhere = DRIVER_CAPABILITIES.filter((c) => nodes.some((n) => n.driver.capabilities[c]));
  const lacking = nodes.flatMap(({ name, driver }) => {
    const missing = [...CORE_METHODS.filter((m) => !driver.core[m]).map((m) => (m === 'isRunning' ? 'no way to say whether it runs' : `no ${m}`)), ...somewhere.filter((c) => !driver.capabilities[c]).map((c) => `no ${c}`)];
    return missing.length ? [`${name} (${driver.where}): ${missing.join(', ')}`] : [];
  });

  return {
    driver: `a cluster flipdrill did not build: ${nodes.map((n) => `${n.name} by ${n.driver.kind} (${n.driver.where})`).join(', ')}`,
    lacking,
    capabilities,
    nodes: nodes.map((n) => `${n.name} by ${n.driver.kind} (${n.driver.where})`),
    describeStart(node: string) {
      const { driver } = nodeOf(node);
      return driver.core.describe('start') ?? `nothing: ${node}'s ${driver.kind} driver cannot start it`;
    },
    describeFault(kind: CoreFault, node: string, signal?: string) {
      const { driver } = nodeOf(node);
      return driver.core.describe(kind, signal) ?? `nothing: ${node}'s ${driver.kind} driver cannot ${kind} it`;
    },
    // Async throughout, so a refusal is a rejected promise like any other failure.
    isRunning: async (node) => coreOf(node, 'isRunning')(),
    exec: async (node, cmd, options) => coreOf(node, 'exec')(cmd, options),
    kill: async (node, signal) => coreOf(node, 'kill')(signal),
    stopNode: async (node) => coreOf(node, 'stop')(),
    startNode: async (node) => coreOf(node, 'start')(),
  };
}
