/**
 * The nemesis: one fault per type, each with its undo, so a drill never leaves a fault behind.
 * kill, stop and partition are not interchangeable (pg_auto_failover's point): a killed primary
 * says nothing, a stopped one sends its last WAL first, a frozen or partitioned one is alive and
 * comes back believing it is still primary.
 */
import { ClusterError, describeShape, type NetworkShape, type NodeFaults } from '../../cluster/index.ts';
import type { FaultType, Scenario } from '../scenario.ts';

export interface FaultTargets {
  /** A nemesis acts through faults alone. */
  cluster: NodeFaults;
  /** The node the fault hits. */
  node: string;
  /** The primary and a standby when the fault hit, as the database said. */
  primary: string;
  standby?: string;
}

export interface InjectedFault {
  kind: FaultType;
  node: string;
  /**
   * Wall-clock milliseconds when the fault was sent. Measurements start here, not when Docker
   * confirmed it (a kill returns after the container is gone, a few hundred ms later): a figure
   * that starts early can only look worse, never better.
   */
  at: number;
  /** Wall-clock milliseconds when Docker confirmed the fault. */
  confirmedAt: number;
  detail: string;
}

export interface Nemesis {
  readonly kind: FaultType;
  /** Set the stage before the fault, this long before it (the workload keeps going meanwhile). */
  prepare?: { holdMs: number; run(targets: FaultTargets): Promise<string> };
  inject(targets: FaultTargets): Promise<InjectedFault>;
  /**
   * Take the fault away (thaw, reconnect): idempotent, safe at any point, also when nothing was
   * injected. Restarting a stopped node is the scenario's heal.restart, not part of the undo.
   */
  undo(targets: FaultTargets): Promise<void>;
  /** What the undo does, for the drill's progress line (none: there is nothing to undo). */
  undoing?(targets: FaultTargets): string;
  /**
   * The fault leaves the cluster whole by itself (a switchover, a restart): a scenario with it can
   * run again and again on one cluster (--repeat) without restarting the node.
   */
  readonly leavesClusterWhole?: boolean;
  /** The node a heal with restart starts again (default: the node the fault hit). */
  down?(targets: FaultTargets): string;
  /** The undo needs that node back first (it would otherwise cause what the heal is there to prevent). */
  readonly undoAfterRestart?: boolean;
}

async function timed(kind: FaultType, node: string, detail: string, act: () => Promise<void>): Promise<InjectedFault> {
  const at = Date.now();
  await act();
  return { kind, node, at, confirmedAt: Date.now(), detail };
}

/** Send a signal to the WAL sender processes on a primary; true if there was one to signal. */
async function signalWalSenders(cluster: NodeFaults, primary: string, signal: 'STOP' | 'CONT'): Promise<boolean> {
  const result = await cluster.exec(primary, ['pkill', `-${signal}`, '-f', 'postgres: .*walsender']);
  return result.exitCode === 0;
}

export function kill(signal = 'SIGKILL'): Nemesis {
  return {
    kind: 'kill',
    inject: ({ cluster, node }) => timed('kill', node, cluster.describeFault('kill', node, signal), () => cluster.kill(node, signal)),
    // A killed node stays down until the scenario restarts it.
    async undo() {},
  };
}

export const stop: Nemesis = {
  kind: 'stop',
  inject: ({ cluster, node }) => timed('stop', node, cluster.describeFault('stop', node), () => cluster.stopNode(node)),
  async undo() {},
};

/**
 * The postmaster crashes, nothing else does: SIGKILL to the node's oldest `postgres` process (the
 * postmaster), while its container, its network and its repmgrd stay up. Nobody restarts it:
 * repmgrd does not restart a local server that died (it only reports it), so the standby's
 * repmgrd finds the primary refusing connections and promotes itself, as after a kill.
 */
export const postmasterCrash: Nemesis = {
  kind: 'postmaster-crash',
  async inject({ cluster, node }) {
    const at = Date.now();
    const result = await cluster.exec(node, ['pkill', '-KILL', '-o', '-x', 'postgres']);
    if (result.exitCode !== 0) throw new ClusterError(`no postmaster to kill on ${node} (pkill exit ${result.exitCode})`);
    return { kind: 'postmaster-crash', node, at, confirmedAt: Date.now(), detail: `SIGKILL to ${node}'s postmaster (pkill -KILL -o -x postgres): its container, network and repmgrd stay up` };
  },
  // Nothing to undo: the server stays down until someone starts it.
  async undo() {},
};

export const freeze: Nemesis = {
  kind: 'freeze',
  inject: ({ cluster, node }) => timed('freeze', node, cluster.describeFault('freeze', node), () => cluster.pause(node)),
  undo: ({ cluster, node }) => cluster.unpause(node),
  undoing: ({ node }) => `thawing ${node}`,
};

/**
 * The primary's backend serving the standby's repmgrd, signalled: found by its process title
 * (`postgres: node1: repmgr repmgr <the standby's address>(port) idle`), the standby's address as
 * the primary resolves its name. True if there was one.
 */
async function signalRepmgrdBackend(cluster: NodeFaults, primary: string, standby: string, signal: 'STOP' | 'CONT'): Promise<boolean> {
  const script = `address=$(getent hosts "$1" | awk '{ print $1; exit }'); [ -n "$address" ] || exit 3
pkill -${signal} -f "^postgres: [^ ]*: repmgr repmgr $(printf '%s' "$address" | sed 's/[.]/[.]/g')[(]"`;
  const result = await cluster.exec(primary, ['sh', '-c', script, 'sh', standby]);
  return result.exitCode === 0;
}

/**
 * The primary freezes while the standby's repmgrd waits on a query to it, the way a stall of its
 * processes can land (a stuck storage stack, SIGSTOP, a paused VM): first the backend answering
 * that repmgrd is frozen, so its next pg_is_in_recovery() waits; then, seconds later, the whole
 * primary. repmgrd neither logs nor fails over by itself then (the frozen kernel still acknowledges
 * every packet, and libpq has no limit on a query): the node's watch (flipdrill-repmgrd-watch)
 * must close that connection for the failover to happen. The undo thaws the node and its backend.
 */
export const freezeMidQuery: Nemesis = {
  kind: 'freeze',
  prepare: {
    holdMs: 3000,
    async run({ cluster, primary, standby }) {
      if (!standby) throw new ClusterError('the mid-query freeze needs a standby, and there is none');
      if (!(await signalRepmgrdBackend(cluster, primary, standby, 'STOP'))) throw new ClusterError(`no backend serving ${standby}'s repmgrd found on ${primary}`);
      return `the backend on ${primary} serving ${standby}'s repmgrd frozen with SIGSTOP: its next query waits`;
    },
  },
  inject: ({ cluster, node }) => timed('freeze', node, cluster.describeFault('freeze', node), () => cluster.pause(node)),
  async undo({ cluster, node, primary, standby }) {
    await cluster.unpause(node);
    if (standby && (await cluster.isRunning(primary))) await signalRepmgrdBackend(cluster, primary, standby, 'CONT').catch(() => false);
  },
  undoing: ({ node }) => `thawing ${node} and its backend`,
};

/** Wait `ms`, or less if `stop` fires first (a fault's own rhythm, not a guess at a condition). */
function rest(ms: number, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (stop.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      stop.removeEventListener('abort', done);
      resolve();
    }
    stop.addEventListener('abort', done);
  });
}

/**
 * A flapping primary: frozen and thawed again and again, each freeze about as long as repmgrd
 * takes to give up on a node (the fast profile: a second or two of failed pings). Some freezes end
 * before a standby is promoted, some may not: whichever way it goes, nothing acknowledged may be
 * lost and no two primaries may take writes together. The cycles run in the background from the
 * first freeze; the undo stops them and leaves the node thawed.
 */
export function flapping(freezeMs: number, thawMs: number, cycles: number): Nemesis {
  let stop = new AbortController();
  let loop: Promise<void> | undefined;
  return {
    kind: 'flapping',
    async inject({ cluster, node }) {
      stop = new AbortController();
      const at = Date.now();
      await cluster.pause(node);
      const confirmedAt = Date.now();
      const signal = stop.signal;
      loop = (async () => {
        for (let i = 0; i < cycles && !signal.aborted; i++) {
          if (i > 0) await cluster.pause(node);
          await rest(freezeMs, signal);
          await cluster.unpause(node);
          if (i < cycles - 1) await rest(thawMs, signal);
        }
      })();
      // An error in a later cycle surfaces in the undo, not as an unhandled rejection.
      loop.catch(() => undefined);
      return { kind: 'flapping', node, at, confirmedAt, detail: `${cluster.describeFault('freeze', node)} for ${freezeMs} ms, thawed for ${thawMs} ms, ${cycles} times` };
    },
    async undo({ cluster, node }) {
      stop.abort();
      const error = await loop?.then(() => undefined, (e: Error) => e);
      await cluster.unpause(node);
      if (error) throw error;
    },
    undoing: ({ node }) => `ending the freeze-and-thaw cycles on ${node}, thawed`,
  };
}

export const partition: Nemesis = {
  kind: 'partition',
  inject: ({ cluster, node }) =>
    timed('partition', node, cluster.describeFault('partition', node), () => cluster.partition(node)),
  undo: ({ cluster, node }) => cluster.heal(node),
  undoing: ({ node }) => `reconnecting ${node}`,
};

export const partitionOneWay: Nemesis = {
  kind: 'partition-one-way',
  inject: ({ cluster, node }) =>
    timed('partition-one-way', node, cluster.describeFault('partition-one-way', node), () => cluster.partitionOneWay(node)),
  undo: ({ cluster, node }) => cluster.healOneWay(node),
  undoing: ({ node }) => `removing the firewall rules on ${node}`,
};

/**
 * Slow or lossy links on the node (cluster/net-shape.ts): a delay on every packet it sends, with
 * jitter, and/or a share of packets dropped each way. The node is alive and answers, slowly or
 * after retransmissions: whether repmgrd fails over depends on how bad it is, and the scenario
 * says which outcome it expects.
 */
export function shapeNemesis(kind: 'latency' | 'loss', shape: NetworkShape): Nemesis {
  return {
    kind,
    inject: ({ cluster, node }) => timed(kind, node, `${node}'s links: ${describeShape(shape)} (${shape.delayMs ? 'iptables and an NFQUEUE' : "iptables' statistic match"} in its network namespace)`, () => cluster.shapeNetwork(node, shape)),
    undo: ({ cluster, node }) => cluster.unshapeNetwork(node),
    undoing: ({ node }) => `taking the ${kind} off ${node}'s links`,
    leavesClusterWhole: false,
  };
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

async function startRepmgrd(cluster: NodeFaults, node: string): Promise<void> {
  if (!(await cluster.isRunning(node))) return;
  const result = await cluster.exec(node, ['sh', '-c', REPMGRD_START]);
  if (result.exitCode !== 0) throw new ClusterError(`starting repmgrd on ${node} again failed (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim().split('\n').slice(-2).join(' | ')}`);
}

async function killRepmgrd(cluster: NodeFaults, node: string): Promise<void> {
  const result = await cluster.exec(node, ['pkill', '-KILL', '-x', 'repmgrd']);
  if (result.exitCode !== 0) throw new ClusterError(`no repmgrd to kill on ${node} (pkill exit ${result.exitCode})`);
}

/**
 * repmgrd dies on the node (SIGKILL), PostgreSQL runs on, and nothing restarts it: repmgr has no
 * supervisor of its own. On the primary nothing follows (the standbys watch the primary, not its
 * repmgrd). `thenKillPrimary`: repmgrd dies on a standby, then the primary is killed: the only
 * node that could promote itself is not watching, so nothing is promoted and writes stay down
 * until someone starts repmgrd again. The heal restarts the primary first, and only then repmgrd
 * (started while the primary is down, it would promote its node at once).
 */
export function repmgrdCrash(thenKillPrimary = false): Nemesis {
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
}

/**
 * The app cannot resolve names for a while (its DNS server refuses it), then can. Its open
 * connections go on working; any new one (a pool growing, a reconnect after an error) fails to
 * resolve the endpoint until the undo. `node` is "app".
 */
export const dns: Nemesis = {
  kind: 'dns',
  inject: ({ cluster }) => timed('dns', 'app', "the app's DNS server refuses it (iptables in the app's network namespace: REJECT to 127.0.0.11)", () => cluster.blockAppDns()),
  undo: ({ cluster }) => cluster.unblockAppDns(),
  undoing: () => "letting the app resolve names again",
};

/**
 * A planned switchover: not a failure, but the endpoint must follow it just the same, and repmgr
 * runs no promote_command to help. `node` is the standby that becomes primary. The switchover
 * returns once repmgr is done (old primary stopped, this node promoted, old primary rejoined);
 * the fault's time is when it was asked for.
 */
export const switchover: Nemesis = {
  kind: 'switchover',
  async inject({ cluster, node }) {
    const at = Date.now();
    const output = await cluster.switchover(node);
    const summary = output.split('\n').filter((l) => /NOTICE: (switchover|STANDBY SWITCHOVER)/i.test(l)).at(-1)?.replace(/^.*NOTICE: /, '');
    return { kind: 'switchover', node, at, confirmedAt: Date.now(), detail: `repmgr standby switchover on ${node}${summary ? `: ${summary}` : ''}` };
  },
  // Nothing to undo: the switched-over cluster is a healthy cluster.
  async undo() {},
  leavesClusterWhole: true,
};

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
 * second it restarts, retry at once, and promote itself (measured: docs/benchmarks.md).
 */
const REPMGR = '/usr/lib/postgresql/15/bin/repmgr -f /etc/repmgr.conf';
const restartScript = (pause: boolean) => `cmd=$(sed -n "s/^service_restart_command='\\(.*\\)'$/\\1/p" /etc/repmgr.conf)
[ -n "$cmd" ] || { echo "no service_restart_command in /etc/repmgr.conf" >&2; exit 3; }
${pause ? `${REPMGR} service pause >&2 || exit 4` : ':'}
printf '%s\\n' "$cmd"
eval "$cmd" >&2; rc=$?
${pause ? `${REPMGR} service unpause >&2 || exit 5` : ':'}
exit $rc`;

export function restart(pauseRepmgrd = true): Nemesis {
  return {
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
  };
}

/**
 * Make the standby fall behind, then kill the primary. The primary's WAL sender is frozen
 * (SIGSTOP) while writes go on: with asynchronous replication every write acknowledged in the
 * meantime exists only on the primary, and dies with it. With synchronous replication the same
 * commits wait for the standby instead of being acknowledged, so none can be lost.
 *
 * Why the sender and not the standby's WAL receiver: a frozen receiver still has the primary's
 * WAL waiting in its socket buffers, and applies all of it once thawed, before its promotion
 * completes (measured: 0 of 1028 writes lost). A frozen sender never sends it.
 */
export function lagThenKill(lagMs: number): Nemesis {
  return {
    kind: 'lag-then-kill',
    prepare: {
      holdMs: lagMs,
      async run({ cluster, primary, standby }) {
        if (!standby) throw new ClusterError('the lag-then-kill fault needs a standby, and there is none');
        if (!(await signalWalSenders(cluster, primary, 'STOP'))) throw new ClusterError(`no WAL sender process found on ${primary}`);
        return `WAL sender on ${primary} frozen with SIGSTOP: ${standby} receives nothing`;
      },
    },
    inject: ({ cluster, node }) => timed('lag-then-kill', node, cluster.describeFault('kill', node, 'SIGKILL'), () => cluster.kill(node, 'SIGKILL')),
    async undo({ cluster, primary }) {
      // Only matters if the drill stopped between prepare and the kill.
      if (await cluster.isRunning(primary)) await signalWalSenders(cluster, primary, 'CONT').catch(() => false);
    },
  };
}

/**
 * The node's disk fills up: a ballast file takes every free block of its data directory's file
 * system (a size-limited one flipdrill made for this), so whatever PostgreSQL must write to a new
 * block fails with ENOSPC. The undo deletes the ballast. What PostgreSQL and repmgr then do is the
 * scenario's finding (docs/benchmarks.md); the workload must lose nothing acknowledged.
 */
export const diskFull: Nemesis = {
  kind: 'disk-full',
  async inject({ cluster, node }) {
    const at = Date.now();
    const free = await cluster.fillDisk(node);
    return { kind: 'disk-full', node, at, confirmedAt: Date.now(), detail: `${node}'s data file system filled with a ballast file (${free} bytes left)` };
  },
  undo: ({ cluster, node }) => cluster.freeDisk(node),
  undoing: ({ node }) => `freeing ${node}'s disk (deleting the ballast)`,
};

/**
 * The node's clock runs this many seconds off (libfaketime; cluster/clock.ts): its commit stamps,
 * repmgr's event times and logs say so. Replication and repmgr's failure detection time with
 * monotonic clocks and do not care; the checker's stamp-based figures do, and it must say it
 * cannot trust them rather than report a wrong number. `thenKillPrimary`: the clock of a standby
 * is set off, then the primary is killed, so the node promoted commits on the wrong clock.
 */
export function clockSkew(offsetSecs: number, thenKillPrimary = false): Nemesis {
  const undo = ({ cluster, node }: FaultTargets) => cluster.unskewClock(node);
  const undoing = ({ node }: FaultTargets) => `setting ${node}'s clock right`;
  const how = (node: string) => `${node}'s clock set ${Math.abs(offsetSecs)} s ${offsetSecs > 0 ? 'ahead' : 'behind'} (libfaketime)`;
  if (!thenKillPrimary) return { kind: 'clock-skew', inject: ({ cluster, node }) => timed('clock-skew', node, how(node), () => cluster.skewClock(node, offsetSecs)), undo, undoing };
  return {
    kind: 'clock-skew',
    prepare: {
      // libfaketime reads the offset again within a second.
      holdMs: 2000,
      async run({ cluster, node }) {
        await cluster.skewClock(node, offsetSecs);
        return how(node);
      },
    },
    inject: ({ cluster, node, primary }) => timed('clock-skew', primary, `${cluster.describeFault('kill', primary, 'SIGKILL')}, with ${how(node)}`, () => cluster.kill(primary, 'SIGKILL')),
    undo,
    undoing,
    down: ({ primary }) => primary,
  };
}

export function nemesisFor(scenario: Scenario): Nemesis {
  return nemesisForFault(scenario.fault);
}

/** The nemesis of one fault as a scenario states it (a plan with several faults has one per fault). */
export function nemesisForFault(fault: Scenario['fault']): Nemesis {
  switch (fault.type) {
    case 'kill':
      return kill(fault.signal);
    case 'stop':
      return stop;
    case 'freeze':
      return fault.midQuery ? freezeMidQuery : freeze;
    case 'partition':
      return partition;
    case 'partition-one-way':
      return partitionOneWay;
    case 'switchover':
      return switchover;
    case 'lag-then-kill':
      return lagThenKill((fault.lagSecs ?? 3) * 1000);
    case 'restart':
      return restart(fault.pauseRepmgrd ?? true);
    case 'postmaster-crash':
      return postmasterCrash;
    case 'latency':
      return shapeNemesis('latency', { delayMs: fault.delayMs ?? 100, jitterMs: fault.jitterMs ?? 0 });
    case 'loss':
      return shapeNemesis('loss', { lossPct: fault.lossPct ?? 1 });
    case 'repmgrd-crash':
      return repmgrdCrash(fault.thenKillPrimary ?? false);
    case 'dns':
      return dns;
    case 'disk-full':
      return diskFull;
    case 'clock-skew':
      return clockSkew(fault.offsetSecs ?? 30, fault.thenKillPrimary ?? false);
    case 'flapping':
      return flapping(fault.freezeMs ?? 2000, fault.thawMs ?? 2000, fault.cycles ?? 5);
  }
}
