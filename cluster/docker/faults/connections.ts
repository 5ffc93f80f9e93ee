/**
 * The connection faults on containers: firewall chains in the node's own network namespace that
 * break every connection open to its PostgreSQL when the fault comes and leave alone the ones
 * opened after (see connectionChains in iptables.ts).
 */
import { ClusterError } from '../../errors.ts';
import { addChainsScript, chainsLeftScript, connectionChains, CONNECTION_CHAINS, removeChainsScript } from '../../iptables.ts';
import type { ConnectionFaultCapability } from '../../target.ts';
import { eachNode, type NodeContainers } from './node-containers.ts';

export function dockerConnections(on: NodeContainers): ConnectionFaultCapability {
  return {
    describe: (node, how) =>
      how === 'reset'
        ? `iptables in ${on.containerOf(node)}: every connection open to its PostgreSQL (port 5432) answered with a TCP RST at its next packet; new connections work`
        : `iptables in ${on.containerOf(node)}: every connection open to its PostgreSQL (port 5432) black-holed both ways (no data, no RST); new connections work`,
    async breakConnections(node, how) {
      const result = await on.exec(node, ['bash', '-c', addChainsScript(connectionChains(5432, how))]);
      if (result.exitCode !== 0) throw new ClusterError(`could not break ${node}'s connections: ${(result.stderr || result.stdout).trim()}`);
    },
    /** Remove the chains. Idempotent; a node that is not running has none. */
    async restoreConnections(node) {
      if (!(await on.isRunning(node))) return;
      const result = await on.exec(node, ['bash', '-c', removeChainsScript(CONNECTION_CHAINS)]);
      if (result.exitCode !== 0) throw new ClusterError(`could not restore ${node}'s connections: ${(result.stderr || result.stdout).trim()}`);
    },
    leftovers: (nodes) =>
      eachNode(nodes, async (node) => {
        if (!(await on.isRunning(node))) return [];
        const left = await on.exec(node, ['bash', '-c', chainsLeftScript(CONNECTION_CHAINS)]);
        return left.stdout.trim() ? [`${node} still has the connection fault's firewall rules`] : [];
      }),
  };
}
