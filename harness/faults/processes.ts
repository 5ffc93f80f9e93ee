/**
 * Signals to a node's PostgreSQL and repmgr processes, through the core's `exec`: what several
 * fault kinds build on (a frozen WAL sender, a frozen backend, a dead repmgrd).
 */
import { ClusterError, type NodeCore } from '../../cluster/index.ts';

/** Send a signal to the WAL sender processes on a primary; true if there was one to signal. */
export async function signalWalSenders(cluster: NodeCore, primary: string, signal: 'STOP' | 'CONT'): Promise<boolean> {
  const result = await cluster.exec(primary, ['pkill', `-${signal}`, '-f', 'postgres: .*walsender']);
  return result.exitCode === 0;
}

/**
 * The primary's backend serving the standby's repmgrd, signalled: found by its process title
 * (`postgres: node1: repmgr repmgr <the standby's address>(port) idle`), the standby's address as
 * the primary resolves its name. True if there was one.
 */
export async function signalRepmgrdBackend(cluster: NodeCore, primary: string, standby: string, signal: 'STOP' | 'CONT'): Promise<boolean> {
  const script = `address=$(getent hosts "$1" | awk '{ print $1; exit }'); [ -n "$address" ] || exit 3
pkill -${signal} -f "^postgres: [^ ]*: repmgr repmgr $(printf '%s' "$address" | sed 's/[.]/[.]/g')[(]"`;
  const result = await cluster.exec(primary, ['sh', '-c', script, 'sh', standby]);
  return result.exitCode === 0;
}

const REPMGRD_START = `pgrep -x repmgrd >/dev/null && { echo running; exit 0; }
if grep -qs '^REPMGRD_ENABLED=yes' /etc/default/repmgrd && command -v service >/dev/null; then
  service repmgrd start </dev/null >/dev/null 2>&1 || exit 3
else
  rm -f /run/postgresql/repmgrd.pid
  # As postgres, with its home: repmgrd reads the repmgr role's password from ~postgres/.pgpass.
  env HOME="$(getent passwd postgres | cut -d: -f6)" setpriv --reuid=postgres --regid=postgres --init-groups /usr/lib/postgresql/15/bin/repmgrd -f /etc/repmgr.conf --daemonize=true </dev/null >/dev/null 2>&1 || exit 3
fi
for _ in $(seq 1 50); do pgrep -x repmgrd >/dev/null && { echo started; exit 0; }; sleep 0.1; done
echo "repmgrd did not start" >&2; exit 4`;

export async function startRepmgrd(cluster: NodeCore, node: string): Promise<void> {
  if (!(await cluster.isRunning(node))) return;
  const result = await cluster.exec(node, ['sh', '-c', REPMGRD_START]);
  if (result.exitCode !== 0) throw new ClusterError(`starting repmgrd on ${node} again failed (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim().split('\n').slice(-2).join(' | ')}`);
}

export async function killRepmgrd(cluster: NodeCore, node: string): Promise<void> {
  const result = await cluster.exec(node, ['pkill', '-KILL', '-x', 'repmgrd']);
  if (result.exitCode !== 0) throw new ClusterError(`no repmgrd to kill on ${node} (pkill exit ${result.exitCode})`);
}
