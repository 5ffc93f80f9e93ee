/**
 * repmgrd dies on the node (SIGKILL), PostgreSQL runs on, and nothing restarts it: repmgr has no
 * supervisor of its own. On the primary nothing follows (the standbys watch the primary, not its
 * repmgrd). `thenKillPrimary`: repmgrd dies on a standby, then the primary is killed: the only
 * node that could promote itself is not watching, so nothing is promoted and writes stay down
 * until someone starts repmgrd again. The heal restarts the primary first, and only then repmgrd
 * (started while the primary is down, it would promote its node at once).
 */
import { killRepmgrd, startRepmgrd } from './processes.ts';
import { defineFault, endures, NODE_ROLES, timed, type FaultTargets } from './types.ts';

export default defineFault({
  kind: 'repmgrd-crash',
  summary: 'repmgrd dies on the node; PostgreSQL runs on and nothing restarts it',
  roles: NODE_ROLES,
  needs: [],
  options: {
    thenKillPrimary: { type: 'boolean', default: false, doc: 'kill the primary once repmgrd is dead on the target (a standby)' },
  },
  validate(spec, fail) {
    if (spec.thenKillPrimary && spec.target !== 'standby') fail('fault.thenKillPrimary kills the primary after the repmgrd-crash on a standby: fault.target must be standby');
  },
  schedule: { roles: ['primary', 'standby'], options: () => ({ thenKillPrimary: false }), ...endures },
  nemesis({ thenKillPrimary }) {
    const undo = async ({ cluster, node }: FaultTargets) => startRepmgrd(cluster, node);
    if (!thenKillPrimary) {
      return {
        kind: 'repmgrd-crash',
        inject: ({ cluster, node }) => timed('repmgrd-crash', node, `SIGKILL to repmgrd on ${node} (pkill -KILL -x repmgrd); PostgreSQL runs on`, () => killRepmgrd(cluster, node)),
        undo,
        undoing: ({ node }) => `starting repmgrd on ${node} again`,
      };
    }
    return {
      kind: 'repmgrd-crash',
      prepare: {
        holdMs: 2000,
        async run({ cluster, node }) {
          await killRepmgrd(cluster, node);
          return `repmgrd on ${node} killed (SIGKILL): nothing there watches the primary`;
        },
      },
      inject: ({ cluster, node, primary }) =>
        timed('repmgrd-crash', primary, `${cluster.describeFault('kill', primary, 'SIGKILL')}, with repmgrd dead on ${node}: no node is left to promote itself`, () => cluster.kill(primary, 'SIGKILL')),
      undo,
      undoing: ({ node }) => `starting repmgrd on ${node} again`,
      down: ({ primary }) => primary,
      undoAfterRestart: true,
    };
  },
  /** A node that finished starting and has no repmgrd: a crash nobody healed. */
  async leftovers(cluster, nodes) {
    const left: string[] = [];
    for (const node of nodes) {
      if (!(await cluster.isRunning(node))) continue;
      const ready = await cluster.exec(node, ['test', '-f', '/run/flipdrill/ready']);
      if (ready.exitCode !== 0) continue;
      const repmgrd = await cluster.exec(node, ['pgrep', '-x', 'repmgrd']);
      if (repmgrd.exitCode !== 0) left.push(`${node} has no repmgrd running`);
    }
    return left;
  },
});
