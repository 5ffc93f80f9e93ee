/**
 * A planned switchover: not a failure, but the endpoint must follow it just the same, and repmgr
 * runs no promote_command to help. `node` is the standby that becomes primary. The switchover
 * returns once the manager is done (old primary stopped, this node promoted, old primary
 * rejoined); the fault's time is when it was asked for.
 */
import { defineFault } from './types.ts';

export default defineFault({
  kind: 'switchover',
  summary: 'a planned switchover to the standby, by the HA manager',
  roles: ['standby'],
  rolesBecause: 'the node that becomes primary',
  needs: ['switchover'],
  options: {},
  plannedPromotion: true,
  schedule: { roles: ['standby'], hold: () => 'none', restart: () => false, estimateSecs: () => 20 },
  describe: ({ cluster, node, primary }) => cluster.capabilities.switchover.describe?.(node, primary) ?? `a planned switchover to ${node} by the HA manager`,
  nemesis: () => ({
    kind: 'switchover',
    async inject({ cluster, node }) {
      const at = Date.now();
      const output = await cluster.capabilities.switchover.switchover(node);
      const summary = output.split('\n').filter((l) => /NOTICE: (switchover|STANDBY SWITCHOVER)/i.test(l)).at(-1)?.replace(/^.*NOTICE: /, '');
      return { kind: 'switchover', node, at, confirmedAt: Date.now(), detail: `repmgr standby switchover on ${node}${summary ? `: ${summary}` : ''}` };
    },
    // Nothing to undo: the switched-over cluster is a healthy cluster.
    async undo() {},
    leavesClusterWhole: true,
  }),
});
