/** The partition on containers: the node's container disconnected from the cluster's networks. */
import { names } from '../../spec.ts';
import type { PartitionCapability } from '../../target.ts';
import { eachNode, type NodeContainers } from './node-containers.ts';

export function dockerPartition(on: NodeContainers): PartitionCapability {
  const { spec, docker } = on;
  return {
    describe: (node) => `docker network disconnect ${on.containerOf(node)} from the replication and application networks`,
    /** Cut a node off the replication network and from application traffic. */
    async partition(node) {
      const info = await docker.inspectContainer(on.containerOf(node));
      for (const network of [names.backNetwork(spec), names.frontNetwork(spec)]) {
        if (info?.networks[network]) await docker.disconnectNetwork(network, on.containerOf(node));
      }
    },
    /**
     * Reconnect a partitioned node to the replication network. Application traffic stays the
     * endpoint's decision: the controller lets the node back once it reports being a standby.
     */
    async heal(node) {
      const { backIp } = on.node(node);
      const info = await docker.inspectContainer(on.containerOf(node));
      if (info && !info.networks[names.backNetwork(spec)]) {
        await docker.connectNetwork(names.backNetwork(spec), on.containerOf(node), { ipv4Address: backIp, aliases: [node] });
      }
    },
    leftovers: (nodes) =>
      eachNode(nodes, async (node) => {
        const info = await docker.inspectContainer(on.containerOf(node));
        return info && !info.networks[names.backNetwork(spec)] ? [`${node} is off the replication network`] : [];
      }),
  };
}
