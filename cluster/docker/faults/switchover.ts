/** A planned switchover on containers: flipdrill-switchover (in the node image) run on the standby. */
import { ClusterError } from '../../errors.ts';
import type { SwitchoverCapability } from '../../target.ts';
import type { NodeContainers } from './node-containers.ts';

export function dockerSwitchover(on: NodeContainers): SwitchoverCapability {
  return {
    /**
     * A planned switchover to `node`, a standby: `repmgr standby switchover` run on it (see
     * flipdrill-switchover in the node image). Returns repmgr's output; throws with it on failure.
     */
    async switchover(node) {
      const result = await on.exec(node, ['/usr/local/bin/flipdrill-switchover'], { user: 'postgres' });
      const output = `${result.stdout}${result.stderr}`.trim();
      if (result.exitCode !== 0) {
        throw new ClusterError(`repmgr standby switchover to ${node} failed (exit ${result.exitCode}): ${output.split('\n').slice(-6).join(' | ')}`, {
          hint: `the node logs: docker exec ${on.containerOf(node)} tail -n 100 /var/log/flipdrill/repmgrd.log`,
        });
      }
      return output;
    },
  };
}
