/** partition-one-way: the node hears nothing from the other nodes; it can still send, and the app still reaches it. */
import { defineFault, NODE_ROLES, stalls, timed } from './types.ts';

export default defineFault({
  kind: 'partition-one-way',
  summary: 'the node hears nothing from the other nodes; it still sends, and the app still reaches it',
  roles: NODE_ROLES,
  needs: ['one-way-partition'],
  options: {},
  schedule: { roles: ['primary'], ...stalls(35) },
  describe: ({ cluster, node }) => cluster.capabilities['one-way-partition'].describe(node),
  nemesis: () => ({
    kind: 'partition-one-way',
    inject: ({ cluster, node }) => timed('partition-one-way', node, cluster.capabilities['one-way-partition'].describe(node), () => cluster.capabilities['one-way-partition'].partitionOneWay(node)),
    undo: ({ cluster, node }) => cluster.capabilities['one-way-partition'].healOneWay(node),
    undoing: ({ node }) => `removing the firewall rules on ${node}`,
  }),
});
