/** Freeze on containers: `docker pause` (the cgroup freezer stops every process of the node). */
import type { FreezeCapability } from '../../target.ts';
import { eachNode, type NodeContainers } from './node-containers.ts';

export function dockerFreeze(on: NodeContainers): FreezeCapability {
  return {
    describe: (node) => `docker pause ${on.containerOf(node)}`,
    async pause(node) {
      await on.docker.pauseContainer(on.containerOf(node));
    },
    /** Idempotent: a node that is not paused is left alone. */
    async unpause(node) {
      const info = await on.docker.inspectContainer(on.containerOf(node));
      if (info?.paused) await on.docker.unpauseContainer(on.containerOf(node));
    },
    leftovers: (nodes) =>
      eachNode(nodes, async (node) => {
        const info = await on.docker.inspectContainer(on.containerOf(node));
        return info?.paused ? [`${node} is paused`] : [];
      }),
  };
}
