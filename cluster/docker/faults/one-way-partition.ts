/** The one-way partition on containers: a firewall chain in the node's own network namespace. */
import { ClusterError } from '../../errors.ts';
import { ONE_WAY_CHAIN, type OneWayPartitionCapability } from '../../target.ts';
import { eachNode, type NodeContainers } from './node-containers.ts';

export function dockerOneWayPartition(on: NodeContainers): OneWayPartitionCapability {
  return {
    describe: (node) => `iptables in ${on.containerOf(node)}: drop every packet from the other nodes; the app and the host still reach it`,
    /**
     * A one-way partition: the node stops hearing the other nodes on the replication network (their
     * packets are dropped as they arrive), while its own packets still reach them, and the app and
     * this host still reach it. The rule lives in the node's own network namespace (iptables in the
     * container, which has NET_ADMIN for this), in a chain of its own that the heal removes whole.
     */
    async partitionOneWay(node) {
      const peers = on.spec.nodes.filter((n) => n.name !== node);
      const script = [
        'set -e',
        `iptables -w -N ${ONE_WAY_CHAIN} 2>/dev/null || iptables -w -F ${ONE_WAY_CHAIN}`,
        // Every address of theirs: a peer's name resolves on the application network too, and libpq
        // tries the next address when one does not answer (repmgr reached the primary that way).
        ...peers.flatMap((p) => [p.backIp, ...(p.initialRole === 'witness' ? [] : [p.frontIp])]).map((ip) => `iptables -w -A ${ONE_WAY_CHAIN} -s ${ip}/32 -j DROP`),
        `iptables -w -C INPUT -j ${ONE_WAY_CHAIN} 2>/dev/null || iptables -w -I INPUT -j ${ONE_WAY_CHAIN}`,
      ].join('\n');
      const result = await on.exec(node, ['bash', '-c', script]);
      if (result.exitCode !== 0) throw new ClusterError(`could not add the one-way partition on ${node}: ${(result.stderr || result.stdout).trim()}`);
    },
    /** Remove the one-way partition's chain. Idempotent; a node that is not running has none. */
    async healOneWay(node) {
      if (!(await on.isRunning(node))) return;
      const script = [
        `while iptables -w -D INPUT -j ${ONE_WAY_CHAIN} 2>/dev/null; do :; done`,
        `iptables -w -F ${ONE_WAY_CHAIN} 2>/dev/null || true`,
        `iptables -w -X ${ONE_WAY_CHAIN} 2>/dev/null || true`,
        `! iptables -w -S ${ONE_WAY_CHAIN} >/dev/null 2>&1`,
      ].join('\n');
      const result = await on.exec(node, ['bash', '-c', script]);
      if (result.exitCode !== 0) throw new ClusterError(`could not remove the one-way partition on ${node}: ${(result.stderr || result.stdout).trim()}`);
    },
    leftovers: (nodes) =>
      eachNode(nodes, async (node) => {
        if (!(await on.isRunning(node))) return [];
        const rules = await on.exec(node, ['iptables', '-w', '-S']);
        return rules.stdout.includes(ONE_WAY_CHAIN) ? [`${node} still has the one-way partition's firewall rules`] : [];
      }),
  };
}
