/**
 * freeze: the node's processes stop (a paused container, SIGSTOP on a machine) until thawed: alive,
 * silent, and back believing it is what it was.
 *
 * `midQuery`: the primary freezes while the standby's repmgrd waits on a query to it, the way a
 * stall of its processes can land (a stuck storage stack, SIGSTOP, a paused VM): first the backend
 * answering that repmgrd is frozen, so its next pg_is_in_recovery() waits; then, seconds later,
 * the whole primary. repmgrd neither logs nor fails over by itself then (the frozen kernel still
 * acknowledges every packet, and libpq has no limit on a query): the node's watch
 * (flipdrill-repmgrd-watch) must close that connection for the failover to happen. The undo thaws
 * the node and its backend.
 */
import { ClusterError } from '../../cluster/index.ts';
import { signalRepmgrdBackend } from './processes.ts';
import { defineFault, NODE_ROLES, stalls, timed } from './types.ts';

export default defineFault({
  kind: 'freeze',
  summary: "the node's processes stop until thawed: alive, silent, and back believing it is what it was",
  roles: NODE_ROLES,
  needs: ['freeze'],
  options: {
    midQuery: { type: 'boolean', doc: "first freeze the primary's backend serving the standby's repmgrd, so repmgrd waits on a query when the whole node freezes", roles: ['primary'] },
  },
  schedule: { roles: ['primary', 'standby'], ...stalls(35) },
  describe: ({ cluster, node }) => cluster.capabilities.freeze.describe(node),
  nemesis: ({ midQuery }) =>
    midQuery
      ? {
          kind: 'freeze',
          prepare: {
            holdMs: 3000,
            async run({ cluster, primary, standby }) {
              if (!standby) throw new ClusterError('the mid-query freeze needs a standby, and there is none');
              if (!(await signalRepmgrdBackend(cluster, primary, standby, 'STOP'))) throw new ClusterError(`no backend serving ${standby}'s repmgrd found on ${primary}`);
              return `the backend on ${primary} serving ${standby}'s repmgrd frozen with SIGSTOP: its next query waits`;
            },
          },
          inject: ({ cluster, node }) => timed('freeze', node, cluster.capabilities.freeze.describe(node), () => cluster.capabilities.freeze.pause(node)),
          async undo({ cluster, node, primary, standby }) {
            await cluster.capabilities.freeze.unpause(node);
            if (standby && (await cluster.isRunning(primary))) await signalRepmgrdBackend(cluster, primary, standby, 'CONT').catch(() => false);
          },
          undoing: ({ node }) => `thawing ${node} and its backend`,
        }
      : {
          kind: 'freeze',
          inject: ({ cluster, node }) => timed('freeze', node, cluster.capabilities.freeze.describe(node), () => cluster.capabilities.freeze.pause(node)),
          undo: ({ cluster, node }) => cluster.capabilities.freeze.unpause(node),
          undoing: ({ node }) => `thawing ${node}`,
        },
});
