/** The clock-skew fault on containers: the offset libfaketime reads (see clock.ts). */
import { ClusterError } from '../../errors.ts';
import { skewLeftScript, skewScript, unskewScript } from '../../clock.ts';
import type { ClockCapability } from '../../target.ts';
import { eachNode, type NodeContainers } from './node-containers.ts';

/** Only for a cluster started with a fake clock (`spec.fakeClock`): its data nodes run on libfaketime. */
export function dockerClock(on: NodeContainers): ClockCapability {
  return {
    /** Set the node's clock this many seconds off (clock-skew). */
    async skewClock(node, offsetSecs) {
      if (on.node(node).initialRole === 'witness') {
        throw new ClusterError(`${node} reads the host's clock, which flipdrill will not set`, {
          hint: 'the clock-skew fault needs a cluster started with --fake-clock (a drill of a clock-skew scenario creates one)',
        });
      }
      const result = await on.exec(node, ['sh', '-c', skewScript(offsetSecs)]);
      if (result.exitCode !== 0) throw new ClusterError(`could not skew ${node}'s clock: ${(result.stderr || result.stdout).trim()}`);
    },
    /** Idempotent. A stopped node keeps its skew (the file outlives a restart): undo it once the node runs again. */
    async unskewClock(node) {
      if (!(await on.isRunning(node))) return;
      const result = await on.exec(node, ['sh', '-c', unskewScript()]);
      if (result.exitCode !== 0) throw new ClusterError(`could not set ${node}'s clock right: ${(result.stderr || result.stdout).trim()}`);
    },
    leftovers: (nodes) =>
      eachNode(nodes, async (node) => {
        if (!(await on.isRunning(node))) return [];
        const skew = (await on.exec(node, ['sh', '-c', skewLeftScript()])).stdout.trim();
        return skew ? [`${node}'s clock is still skewed (${skew} s)`] : [];
      }),
  };
}
