/**
 * Slow or lossy links on the node (cluster/net-shape.ts): a delay on every packet it sends, with
 * jitter, and/or a share of packets dropped each way. The node is alive and answers, slowly or
 * after retransmissions: whether repmgrd fails over depends on how bad it is, and the scenario
 * says which outcome it expects. Shared by the latency and loss kinds.
 */
import type { NetworkShape } from '../../cluster/index.ts';
import type { Nemesis } from './types.ts';
import type { FaultsWith } from '../../cluster/index.ts';

export function shapeNemesis(kind: 'latency' | 'loss', shape: NetworkShape): Nemesis<FaultsWith<'network-shape'>> {
  return {
    kind,
    async inject({ cluster, node }) {
      const shaping = cluster.capabilities['network-shape'];
      const at = Date.now();
      await shaping.shapeNetwork(node, shape);
      return { kind, node, at, confirmedAt: Date.now(), detail: shaping.describe(node, shape) };
    },
    undo: ({ cluster, node }) => cluster.capabilities['network-shape'].unshapeNetwork(node),
    undoing: ({ node }) => `taking the ${kind} off ${node}'s links`,
    leavesClusterWhole: false,
  };
}
