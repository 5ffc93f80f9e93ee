/**
 * The replication link alone, on containers: in the node's own network namespace, its packets to
 * the other data nodes delayed and what it sends on the replication network capped (net-shape.ts).
 * The app's network, the witness and this host's connections are left alone.
 */
import { ClusterError } from '../../errors.ts';
import { describeReplicationLink, replicationLinkLeftScript, replicationLinkScript, unreplicationLinkScript } from '../../net-shape.ts';
import type { ReplicationLinkCapability } from '../../target.ts';
import { eachNode, type NodeContainers } from './node-containers.ts';

export function dockerReplicationLink(on: NodeContainers): ReplicationLinkCapability {
  const dataPeers = (node: string) => on.spec.nodes.filter((n) => n.name !== node && n.initialRole !== 'witness').map((n) => n.backIp);
  return {
    describe: (node, link) => `${node}'s replication link: ${describeReplicationLink(link)} (${link.delayMs ? 'iptables and an NFQUEUE' : ''}${link.delayMs && link.rateKbit ? ', ' : ''}${link.rateKbit ? 'tc tbf' : ''} in its network namespace)`,
    async shapeReplicationLink(node, link) {
      const script = replicationLinkScript(link, on.node(node).backIp, dataPeers(node));
      const result = await on.exec(node, ['bash', '-c', script]);
      if (result.exitCode !== 0) {
        await on.exec(node, ['bash', '-c', unreplicationLinkScript(on.node(node).backIp)]).catch(() => undefined);
        throw new ClusterError(`could not shape ${node}'s replication link: ${(result.stderr || result.stdout).trim()}`);
      }
    },
    async unshapeReplicationLink(node) {
      if (!(await on.isRunning(node))) return;
      const result = await on.exec(node, ['bash', '-c', unreplicationLinkScript(on.node(node).backIp)]);
      if (result.exitCode !== 0) throw new ClusterError(`could not take the shape off ${node}'s replication link: ${(result.stderr || result.stdout).trim()}`);
    },
    leftovers: (nodes) =>
      eachNode(nodes, async (node) => {
        if (!(await on.isRunning(node))) return [];
        const left = await on.exec(node, ['bash', '-c', replicationLinkLeftScript(on.node(node).backIp)]);
        return left.stdout.trim().split('\n').filter(Boolean).map((what) => `${node} still has ${what}`);
      }),
  };
}
