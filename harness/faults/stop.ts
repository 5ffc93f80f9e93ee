/** stop: the node shuts down cleanly (fast shutdown): a stopped primary sends its last WAL first. */
import { defineFault, dies, NODE_ROLES, timed } from './types.ts';

export default defineFault({
  kind: 'stop',
  summary: 'the node shuts down cleanly (its last WAL sent first)',
  roles: NODE_ROLES,
  needs: [],
  options: {},
  schedule: { roles: ['primary', 'standby'], ...dies(25) },
  describe: ({ cluster, node }) => cluster.describeFault('stop', node),
  nemesis: () => ({
    kind: 'stop',
    inject: ({ cluster, node }) => timed('stop', node, cluster.describeFault('stop', node), () => cluster.stopNode(node)),
    async undo() {},
  }),
});
