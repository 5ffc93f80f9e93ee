/**
 * A planned restart of PostgreSQL on the node, as repmgr's documentation has an operator make one
 * (for a setting that needs it, a minor upgrade): repmgrd paused on every node (`repmgr service
 * pause`), PostgreSQL restarted with the command repmgr is configured to restart it with
 * (`service_restart_command` in /etc/repmgr.conf: pg_ctl in a container, pg_ctlcluster on a
 * machine, so the same fault runs on both), repmgrd unpaused. No failover is expected, and writes
 * pause for the restart alone.
 *
 * `pauseRepmgrd: false` restarts without the pause, as a plain `systemctl restart` does: under the
 * fast failure detection the standby's repmgrd may find the primary down during the fraction of a
 * second it restarts, retry at once, and promote itself (measured: docs/benchmarks-history.md).
 */
import { ClusterError } from '../../cluster/index.ts';
import { defineFault, NODE_ROLES } from './types.ts';

const REPMGR = '/usr/lib/postgresql/15/bin/repmgr -f /etc/repmgr.conf';
const restartScript = (pause: boolean) => `cmd=$(sed -n "s/^service_restart_command='\\(.*\\)'$/\\1/p" /etc/repmgr.conf)
[ -n "$cmd" ] || { echo "no service_restart_command in /etc/repmgr.conf" >&2; exit 3; }
${pause ? `${REPMGR} service pause >&2 || exit 4` : ':'}
printf '%s\\n' "$cmd"
eval "$cmd" >&2; rc=$?
${pause ? `${REPMGR} service unpause >&2 || exit 5` : ':'}
exit $rc`;

export default defineFault({
  kind: 'restart',
  summary: "PostgreSQL restarted in place with repmgr's service_restart_command, repmgrd paused around it",
  roles: NODE_ROLES,
  needs: [],
  options: {
    pauseRepmgrd: { type: 'boolean', default: true, doc: "pause repmgrd around the restart, as repmgr's documentation says to" },
  },
  schedule: { roles: ['primary'], options: () => ({ pauseRepmgrd: true }), hold: () => 'none', restart: () => false, estimateSecs: () => 5 },
  nemesis: ({ pauseRepmgrd }) => ({
    kind: 'restart',
    async inject({ cluster, node }) {
      const at = Date.now();
      const result = await cluster.exec(node, ['sh', '-c', restartScript(pauseRepmgrd)], { user: 'postgres' });
      if (result.exitCode !== 0) {
        throw new ClusterError(`restarting PostgreSQL on ${node} failed (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')}`);
      }
      const how = pauseRepmgrd ? "repmgrd paused, then repmgr's service_restart_command" : "repmgr's service_restart_command, repmgrd left running";
      return { kind: 'restart', node, at, confirmedAt: Date.now(), detail: `${how} on ${node}: ${result.stdout.trim().split('\n')[0]}` };
    },
    // repmgrd must not stay paused if the drill stopped half-way (idempotent: unpausing twice is fine).
    async undo({ cluster, node }) {
      if (!pauseRepmgrd || !(await cluster.isRunning(node))) return;
      const result = await cluster.exec(node, ['sh', '-c', `${REPMGR} service unpause`], { user: 'postgres' });
      if (result.exitCode !== 0) throw new ClusterError(`unpausing repmgrd from ${node} failed (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim().split('\n').slice(-2).join(' | ')}`);
    },
    ...(pauseRepmgrd ? { undoing: () => 'unpausing repmgrd (already done unless the restart stopped half-way)' } : {}),
    leavesClusterWhole: true,
  }),
});
