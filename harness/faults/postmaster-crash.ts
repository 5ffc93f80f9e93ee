/**
 * The postmaster crashes, nothing else does: SIGKILL to the node's oldest `postgres` process (the
 * postmaster), while its container, its network and its repmgrd stay up. Nobody restarts it:
 * repmgrd does not restart a local server that died (it only reports it), so the standby's
 * repmgrd finds the primary refusing connections and promotes itself, as after a kill.
 */
import { ClusterError } from '../../cluster/index.ts';
import { defineFault, dies, NODE_ROLES } from './types.ts';

export default defineFault({
  kind: 'postmaster-crash',
  summary: "the node's postmaster is killed; its host, network and HA manager stay up",
  roles: NODE_ROLES,
  needs: [],
  options: {},
  schedule: { roles: ['primary'], ...dies(25) },
  nemesis: () => ({
    kind: 'postmaster-crash',
    async inject({ cluster, node }) {
      const at = Date.now();
      const result = await cluster.exec(node, ['pkill', '-KILL', '-o', '-x', 'postgres']);
      if (result.exitCode !== 0) throw new ClusterError(`no postmaster to kill on ${node} (pkill exit ${result.exitCode})`);
      return { kind: 'postmaster-crash', node, at, confirmedAt: Date.now(), detail: `SIGKILL to ${node}'s postmaster (pkill -KILL -o -x postgres): its container, network and repmgrd stay up` };
    },
    // Nothing to undo: the server stays down until someone starts it.
    async undo() {},
  }),
});
