/**
 * A node that is a machine reached over SSH, set up by whoever set it up: no path, hook or service
 * of flipdrill's is assumed. The faults act on the database's processes and the HA manager's, never
 * on the machine, so SSH stays up for the undo:
 *
 * - the postmaster is the one its data directory's postmaster.pid names, or else the only
 *   `postgres` process whose parent is not one (a machine with several asks for the directory);
 * - the manager's processes are those the node names (`patroni`, `pg_autoctl`, `repmgrd`), as
 *   `pgrep -x` matches them (the process's command name);
 * - kill signals the manager's processes, the postmaster and its children at once; stop sends the
 *   manager SIGTERM and the postmaster SIGINT (a fast shutdown) and waits for them to end, or runs
 *   the node's own stop command; freeze stops them all (SIGSTOP), thaw continues them;
 * - start runs the node's start command, or the service manager's start of its services;
 * - partitions are firewall chains of flipdrill's own (iptables.ts) that keep SSH open.
 *
 * Scripts run as root (sudo unless the SSH user is root) through flipdrill's SSH runner.
 * Leftovers: a stopped (state T) postmaster or manager process, the partitions' chains, a shape.
 */
import { lookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import os from 'node:os';
import { ClusterError } from '../../errors.ts';
import { describeShape, shapeLeftScript, shapeScript, unshapeScript } from '../../net-shape.ts';
import { shellQuote, type SshHost, type SshResult } from '../../remote/ssh.ts';
import { ONE_WAY_CHAIN } from '../../target.ts';
import { addChainsScript, chainsLeftScript, connectionChains, CONNECTION_CHAINS, oneLine, oneWayChains, partitionChains, PARTITION_IN, PARTITION_OUT, removeChainsScript } from '../../iptables.ts';
import type { NodeDriver } from './node-driver.ts';

export interface SshNode {
  /** The node's name in the cluster file, for messages. */
  readonly name: string;
  readonly host: string;
  readonly user: string;
  /** 22 unless given. */
  readonly port?: number;
  /** The private key file (`~/` is this user's home). */
  readonly key?: string;
  /** More options for ssh (`-o ProxyJump=bastion`). */
  readonly sshOptions?: readonly string[];
  /** The HA manager's process names, as `pgrep -x` matches them: patroni, pg_autoctl, repmgrd. */
  readonly manager?: readonly string[];
  /** The data directory, whose postmaster.pid names the postmaster (found with pgrep otherwise). */
  readonly dataDirectory?: string;
  /** The services the default start starts (the manager's names unless given, else postgresql). */
  readonly services?: readonly string[];
  /** The command that starts the node, instead of the service manager's start of its services. */
  readonly start?: string;
  /** The command that stops the node, instead of signalling its processes. */
  readonly stop?: string;
  /** The database's TCP port on the machine (5432 unless given), for the connection faults. */
  readonly dbPort?: number;
  /** The ports sshd listens on, kept open by a partition: 22 and `port` unless given. */
  readonly sshdPorts?: readonly number[];
  /** How long a stop may take; 60 s unless given. */
  readonly stopTimeoutSecs?: number;
}

/** What the driver needs of flipdrill's SSH runner (remote/ssh.ts): a script as root, its exit code and output. */
export interface SshScripts {
  run(host: SshHost, script: string, options?: { user?: string; timeoutMs?: number }): Promise<SshResult>;
}

const q = (s: string) => shellQuote([s]);

/** Sets `pm` to the postmaster's pid (empty when none runs); exits 3 when it cannot tell which. */
export function postmasterScript(dataDirectory?: string): string {
  const find = dataDirectory
    ? `pm=$(head -n 1 ${q(`${dataDirectory.replace(/\/$/, '')}/postmaster.pid`)} 2>/dev/null); [ -n "$pm" ] && [ "$(ps -o comm= -p "$pm" 2>/dev/null)" = postgres ] || pm=`
    : 'pm=$(for p in $(pgrep -x postgres); do [ "$(ps -o comm= -p "$(ps -o ppid= -p "$p" | tr -d " ")" 2>/dev/null)" = postgres ] || echo "$p"; done | tr "\\n" " ")';
  return [find, `set -- $pm; if [ $# -gt 1 ]; then echo "more than one postmaster runs here (pids $pm): name the node's data directory" >&2; exit 3; fi; pm=$1`].join('\n');
}

export function sshDriver(node: SshNode, ssh: SshScripts): NodeDriver {
  const { name } = node;
  const port = node.port ?? 22;
  const host: SshHost = {
    name,
    host: node.host,
    user: node.user,
    port,
    ...(node.key ? { privateKeyFile: node.key.replace(/^~(?=\/)/, os.homedir()) } : {}),
    extraArgs: [...(node.sshOptions ?? [])],
  };
  const where = `${node.user}@${node.host}:${port}`;
  const on = (script: string) => `on ${where} as root: ${oneLine(script)}`;
  const managers = (node.manager ?? []).map(q).join(' ');
  const eachManager = (body: string) => (managers ? `for m in ${managers}; do ${body}; done` : ':');
  const find = postmasterScript(node.dataDirectory);
  const sshdPorts = node.sshdPorts ?? [...new Set([22, port])];
  const partition = partitionChains(sshdPorts);
  const stopSecs = node.stopTimeoutSecs ?? 60;

  const killScript = (signal: string) =>
    [
      find,
      'pids="$pm $([ -z "$pm" ] || pgrep -P "$pm" | tr "\\n" " ")"',
      eachManager('pids="$pids $(pgrep -x "$m" | tr "\\n" " ")"'),
      `[ -n "$(echo $pids)" ] || { echo "neither a postmaster${managers ? ` nor ${node.manager!.join(', ')}` : ''} runs here" >&2; exit 3; }`,
      `kill -${signal.replace(/^SIG/, '')} $pids`,
    ].join('\n');
  const thawScript = [find, '[ -z "$pm" ] || kill -CONT $pm $(pgrep -P "$pm") 2>/dev/null || true', eachManager('pkill -CONT -x "$m" || true')].join('\n');
  const freezeScript = [
    find,
    '[ -n "$pm" ] || { echo "no postmaster runs here" >&2; exit 3; }',
    eachManager('pkill -STOP -x "$m" || true'),
    // The postmaster first: stopped, it starts no child the next line would miss.
    'kill -STOP "$pm"',
    'kids=$(pgrep -P "$pm"); [ -z "$kids" ] || kill -STOP $kids',
    // kill returns once the signal is sent, not once it is taken: frozen means every one of them
    // stopped (a busy machine may take a moment to schedule them).
    'all="$pm $kids"',
    eachManager('all="$all $(pgrep -x "$m" | tr "\\n" " ")"'),
    'stopped() { for p in $all; do s=$(ps -o stat= -p "$p" 2>/dev/null) || continue; case "$s" in T*|Z*) ;; *) return 1 ;; esac; done; }',
    'for _ in $(seq 1 50); do stopped && exit 0; sleep 0.1; done',
    'echo "not every process stopped within 5 s of SIGSTOP" >&2; exit 4',
  ].join('\n');
  const stopScript =
    node.stop ??
    [
      find,
      eachManager('pkill -TERM -x "$m" || true'),
      '[ -z "$pm" ] || kill -INT "$pm"',
      // A frozen node hears its signals once it is thawed.
      '[ -z "$pm" ] || kill -CONT $pm $(pgrep -P "$pm") 2>/dev/null || true',
      eachManager('pkill -CONT -x "$m" || true'),
      // Alive: there, and no zombie (one whose parent has yet to reap it is gone).
      'live() { for p in "$@"; do s=$(ps -o stat= -p "$p" 2>/dev/null) && [ "${s#Z}" = "$s" ] && return 0; done; return 1; }',
      `for _ in $(seq 1 ${stopSecs * 10}); do`,
      '  alive=; [ -n "$pm" ] && live "$pm" && alive=postmaster',
      `  ${eachManager('live $(pgrep -x "$m") && alive="$m"')}`,
      '  [ -z "$alive" ] && exit 0; sleep 0.1',
      'done',
      `echo "$alive still runs ${stopSecs} s after it was told to stop" >&2; exit 4`,
    ].join('\n');
  const services = (node.services ?? (node.manager?.length ? node.manager : ['postgresql'])).map(q);
  const startCommand =
    node.start ?? `if [ -d /run/systemd/system ]; then systemctl start ${services.join(' ')}; else for s in ${services.join(' ')}; do service "$s" start || exit; done; fi`;
  const startScript = [thawScript, startCommand].join('\n');
  const frozenScript = [
    find,
    '[ -n "$pm" ] && [ "$(ps -o stat= -p "$pm" | cut -c1)" = T ] && echo "its postmaster"',
    eachManager('for p in $(pgrep -x "$m"); do [ "$(ps -o stat= -p "$p" | cut -c1)" = T ] && echo "$m" && break; done'),
    'true',
  ].join('\n');
  // Running: a postmaster neither stopped (T) nor dead and unreaped (Z).
  const runningScript = [find, '[ -n "$pm" ] && s=$(ps -o stat= -p "$pm" | cut -c1) && [ "$s" != T ] && [ "$s" != Z ]'].join('\n');

  /** The runner's answer; when SSH itself fails, an error that points at the node's settings. */
  async function send(script: string, what: string, options: { user?: string; timeoutMs?: number } = {}): Promise<SshResult> {
    try {
      return await ssh.run(host, script, options);
    } catch (error) {
      throw new ClusterError(`${what} on ${where} (${name}): ${(error as Error).message}`, {
        hint: "check the node's host, user, port and key, and that ssh to it works by hand",
        cause: error,
      });
    }
  }

  /** A script as root; fails with its output when it exits non-zero. */
  async function run(script: string, what: string, timeoutMs = 60_000): Promise<string> {
    const result = await send(script, what, { timeoutMs });
    if (result.exitCode !== 0) {
      throw new ClusterError(`${what} on ${where} (${name}) failed (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim().split('\n').slice(-4).join(' | ') || 'no output'}`);
    }
    return result.stdout;
  }
  const chainLeft = async (chains: string[], what: string) => ((await run(chainsLeftScript(chains), 'looking for firewall chains')).trim() ? [`${name} still has ${what}`] : []);

  return {
    kind: 'ssh',
    where,
    /** The host's address, or what its name resolves to from this host. */
    async addresses() {
      if (isIPv4(node.host)) return [node.host];
      const found = await lookup(node.host, { all: true, family: 4 }).catch(() => []);
      return found.map((a) => a.address);
    },
    core: {
      describe(fault, signal = 'SIGKILL') {
        switch (fault) {
          case 'kill':
            return on(killScript(signal));
          case 'stop':
            return on(stopScript);
          case 'start':
            return on(startScript);
        }
      },
      kill: async (signal = 'SIGKILL') => void (await run(killScript(signal), 'kill')),
      stop: async () => void (await run(stopScript, 'stop', (stopSecs + 30) * 1000)),
      start: async () => void (await run(startScript, 'start', 180_000)),
      exec: (cmd, opts = {}) => send(shellQuote(cmd), 'a command', opts),
      async isRunning() {
        const result = await send(runningScript, 'looking for the postmaster');
        if (result.exitCode > 1) throw new ClusterError(`could not tell whether ${name} runs: ${(result.stderr || result.stdout).trim()}`);
        return result.exitCode === 0;
      },
    },
    capabilities: {
      freeze: {
        describe: () => on(freezeScript),
        pause: async () => void (await run(freezeScript, 'freeze')),
        unpause: async () => void (await run(thawScript, 'thaw')),
        leftovers: async () => {
          const frozen = (await run(frozenScript, 'looking for frozen processes')).trim().split('\n').filter(Boolean);
          return frozen.length ? [`${name} is frozen (${frozen.join(', ')} stopped)`] : [];
        },
      },
      partition: {
        describe: () => on(addChainsScript(partition)),
        partition: async () => void (await run(addChainsScript(partition), 'the partition')),
        heal: async () => void (await run(removeChainsScript(partition), 'removing the partition')),
        leftovers: () => chainLeft([PARTITION_IN, PARTITION_OUT], "the partition's firewall rules"),
      },
      'one-way-partition': {
        describe: () => on(addChainsScript(oneWayChains(['<each address of the other nodes>']))),
        async partitionOneWay(peers) {
          if (peers.length === 0) throw new ClusterError(`${name}: no address of another node is known, so a one-way partition would drop nothing`);
          await run(addChainsScript(oneWayChains(peers)), 'the one-way partition');
        },
        healOneWay: async () => void (await run(removeChainsScript(oneWayChains([])), 'removing the one-way partition')),
        leftovers: () => chainLeft([ONE_WAY_CHAIN], "the one-way partition's firewall rules"),
      },
      'network-shape': {
        describe: (shape) => `${name}'s links: ${describeShape(shape)}, by ${shape.delayMs ? 'iptables and an NFQUEUE' : "iptables' statistic match"} on ${where} as root (net-shape.ts's script), but for SSH (tcp ${sshdPorts.join(', ')})`,
        async shapeNetwork(shape) {
          const script = shapeScript(shape, { out: sshdPorts.map((p) => `-p tcp --sport ${p}`), in: sshdPorts.map((p) => `-p tcp --dport ${p}`) });
          await run(script, 'the network shape');
        },
        unshapeNetwork: async () => void (await run(unshapeScript(), 'removing the network shape')),
        leftovers: async () => {
          const left = await run(shapeLeftScript(), 'looking for a network shape');
          return left.trim().split('\n').filter(Boolean).map((what) => `${name} still has ${what}`);
        },
      },
      connections: {
        describe: (how) => on(addChainsScript(connectionChains(node.dbPort ?? 5432, how, '<a mark of its own>'))),
        breakConnections: async (how) => void (await run(addChainsScript(connectionChains(node.dbPort ?? 5432, how)), 'breaking the connections')),
        restoreConnections: async () => void (await run(removeChainsScript(CONNECTION_CHAINS), 'restoring the connections')),
        leftovers: async () => ((await run(chainsLeftScript(CONNECTION_CHAINS), 'looking for firewall chains')).trim() ? [`${name} still has the connection fault's firewall rules`] : []),
      },
    },
  };
}
