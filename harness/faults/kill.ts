/** kill: the node dies at once (SIGKILL, or the signal given): no clean shutdown, no last WAL sent. */
import { defineFault, dies, NODE_ROLES, timed } from './types.ts';

export default defineFault({
  kind: 'kill',
  summary: 'the node dies at once (SIGKILL by default): no clean shutdown',
  roles: NODE_ROLES,
  needs: [],
  options: {
    signal: { type: 'string', pattern: /^SIG[A-Z0-9]+$/, like: 'SIGKILL', default: 'SIGKILL', doc: 'the signal' },
  },
  schedule: { roles: ['primary', 'standby'], ...dies(25) },
  describe: ({ cluster, node }, { signal }) => cluster.describeFault('kill', node, signal),
  nemesis: ({ signal }) => ({
    kind: 'kill',
    inject: ({ cluster, node }) => timed('kill', node, cluster.describeFault('kill', node, signal), () => cluster.kill(node, signal)),
    // A killed node stays down until the scenario restarts it.
    async undo() {},
  }),
});
