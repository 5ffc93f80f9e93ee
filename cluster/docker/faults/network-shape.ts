/** Slow or lossy links on containers, made in the node's own network namespace (see net-shape.ts). */
import { ClusterError } from '../../errors.ts';
import { describeShape, shapeLeftScript, shapeScript, unshapeScript } from '../../net-shape.ts';
import { hostAddress } from '../../spec.ts';
import type { NetworkShapeCapability } from '../../target.ts';
import { eachNode, type NodeContainers } from './node-containers.ts';

export function dockerNetworkShape(on: NodeContainers): NetworkShapeCapability {
  return {
    describe: (node, shape) => `${node}'s links: ${describeShape(shape)} (${shape.delayMs ? 'iptables and an NFQUEUE' : "iptables' statistic match"} in its network namespace)`,
    /**
     * Slow or lossy links for the node, inside its own network namespace (see net-shape.ts). This
     * host's own connections (through the networks' gateways: published ports, the harness's looks)
     * are left alone; the app's, the other nodes' and the endpoint agent's are shaped.
     */
    async shapeNetwork(node, shape) {
      const gateways = [on.spec.backSubnet, on.spec.frontSubnet].map((s) => `${hostAddress(s, 1)}/32`);
      const script = shapeScript(shape, { out: gateways.map((g) => `-d ${g}`), in: gateways.map((g) => `-s ${g}`) });
      const result = await on.exec(node, ['bash', '-c', script]);
      if (result.exitCode !== 0) {
        await on.exec(node, ['bash', '-c', unshapeScript()]).catch(() => undefined);
        throw new ClusterError(`could not shape ${node}'s network: ${(result.stderr || result.stdout).trim()}`);
      }
    },
    async unshapeNetwork(node) {
      if (!(await on.isRunning(node))) return;
      const result = await on.exec(node, ['bash', '-c', unshapeScript()]);
      if (result.exitCode !== 0) throw new ClusterError(`could not take the network shape off ${node}: ${(result.stderr || result.stdout).trim()}`);
    },
    leftovers: (nodes) =>
      eachNode(nodes, async (node) => {
        if (!(await on.isRunning(node))) return [];
        const shaped = await on.exec(node, ['bash', '-c', shapeLeftScript()]);
        return shaped.stdout.trim().split('\n').filter(Boolean).map((what) => `${node} still has ${what}`);
      }),
  };
}
