/** partition: the node cut off from the other nodes and the app, both ways, until reconnected. */
import { defineFault, NODE_ROLES, stalls, timed } from './types.ts';

export default defineFault({
  kind: 'partition',
  summary: 'the node cut off from the other nodes and the app, both ways',
  roles: NODE_ROLES,
  needs: ['partition'],
  options: {},
  schedule: { roles: ['primary', 'standby'], ...stalls(35) },
  describe: ({ cluster, node }) => cluster.capabilities.partition.describe(node),
  nemesis: () => ({
    kind: 'partition',
    inject: ({ cluster, node }) => timed('partition', node, cluster.capabilities.partition.describe(node), () => cluster.capabilities.partition.partition(node)),
    undo: ({ cluster, node }) => cluster.capabilities.partition.heal(node),
    undoing: ({ node }) => `reconnecting ${node}`,
  }),
});
