/**
 * A node driven by the user's own shell commands, one per fault and one per undo: how a drill
 * reaches what flipdrill cannot (`kubectl delete pod --grace-period=1`, `aws rds failover-db-cluster`).
 * Each runs with `sh -c` on this host, with a timeout, in this process's environment plus:
 *
 *   FLIPDRILL_NODE       the node's name (every command)
 *   FLIPDRILL_SIGNAL     kill: the signal the fault asks for (SIGKILL unless given)
 *   FLIPDRILL_PEERS      partition-one-way: the other nodes' addresses, space-separated
 *   FLIPDRILL_DELAY_MS, FLIPDRILL_JITTER_MS, FLIPDRILL_LOSS_PCT   shape: the network shape (0 when not set)
 *   FLIPDRILL_USER       exec: the user the command should run as, when one is asked for
 *
 * A capability is there exactly when both its commands are given (freeze needs freeze and thaw).
 * Every command's output goes to `onOutput`, so the drill keeps it in the run folder; a command
 * that exits non-zero, or outlives its timeout, fails the step with its last lines.
 *
 * Leftovers: none this driver can know. What the user's commands change is theirs to judge; the
 * capabilities here report nothing left, and the undo command is trusted to have undone it.
 */
import { spawn } from 'node:child_process';
import { ClusterError } from '../../errors.ts';
import type { ExecResult } from '../../docker/docker-client.ts';
import { shellQuote } from '../../remote/ssh.ts';
import type { NodeCapabilities, NodeDriver, NodeDriverCore } from './node-driver.ts';

/** The user's commands for one node, each optional. */
export interface NodeCommands {
  kill?: string;
  stop?: string;
  start?: string;
  freeze?: string;
  thaw?: string;
  partition?: string;
  heal?: string;
  'partition-one-way'?: string;
  'heal-one-way'?: string;
  shape?: string;
  unshape?: string;
  /** A prefix for running a command on the node (`kubectl exec -i pg-1 --`): the command's words follow, quoted. */
  exec?: string;
  /** Exits 0 when the node's database runs, anything else when not. */
  running?: string;
}
export type CommandName = keyof NodeCommands;

export interface CommandsDriverOptions {
  /** The node's name, for messages and FLIPDRILL_NODE. */
  readonly name: string;
  readonly commands: NodeCommands;
  /** Each command's limit; 60 s unless given. */
  readonly timeoutMs?: number;
  /** The environment the commands see (this process's unless given); FLIPDRILL_* are added to it. */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the commands run (this process's directory unless given). */
  readonly cwd?: string;
  /** Each command's output, once it ended (also when it failed or timed out), to keep in the run folder. */
  readonly onOutput?: (command: CommandName, stdout: string, stderr: string) => void;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

/** The last few lines of a command's output, on one line, for an error. */
function tail(text: string): string {
  return text.trim().split('\n').slice(-4).join(' | ');
}

export function commandsDriver(options: CommandsDriverOptions): NodeDriver {
  const { name, commands } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;

  /** Runs one of the commands: its exit code and output; rejects only on the timeout or when sh cannot start. */
  function run(which: CommandName, command: string, env: Record<string, string> = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      // Its own process group, so the timeout ends whatever the command started too.
      const child = spawn('sh', ['-c', command], {
        env: { ...(options.env ?? process.env), FLIPDRILL_NODE: name, ...env },
        ...(options.cwd ? { cwd: options.cwd } : {}),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }, timeoutMs);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(new ClusterError(`${name}'s ${which} command could not start: ${error.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        options.onOutput?.(which, stdout, stderr);
        if (timedOut) {
          reject(new ClusterError(`${name}'s ${which} command did not finish within ${timeoutMs / 1000} s: ${command}`, { hint: 'raise the commands\' timeout, or make the command return sooner' }));
          return;
        }
        resolve({ exitCode: code ?? (signal ? 128 : 1), stdout, stderr });
      });
    });
  }

  /** Runs a fault's command; fails with its output when it exits non-zero. */
  async function act(which: CommandName, command: string, env: Record<string, string> = {}): Promise<void> {
    const result = await run(which, command, env);
    if (result.exitCode !== 0) {
      throw new ClusterError(`${name}'s ${which} command failed (exit ${result.exitCode}): ${tail(result.stderr || result.stdout) || 'no output'}`, { hint: `the command: ${command}` });
    }
  }

  const { kill, stop, start, exec, running } = commands;
  const core: NodeDriverCore = {
    describe: (fault) => commands[fault],
    ...(kill ? { kill: (signal = 'SIGKILL') => act('kill', kill, { FLIPDRILL_SIGNAL: signal }) } : {}),
    ...(stop ? { stop: () => act('stop', stop) } : {}),
    ...(start ? { start: () => act('start', start) } : {}),
    ...(exec
      ? { exec: (cmd: string[], opts: { user?: string } = {}) => run('exec', `${exec} ${shellQuote(cmd)}`, opts.user ? { FLIPDRILL_USER: opts.user } : {}) }
      : {}),
    ...(running ? { isRunning: async () => (await run('running', running)).exitCode === 0 } : {}),
  };

  const none = async (): Promise<string[]> => [];
  const capabilities: NodeCapabilities = {};
  if (commands.freeze && commands.thaw) {
    const [freeze, thaw] = [commands.freeze, commands.thaw];
    capabilities.freeze = { describe: () => freeze, pause: () => act('freeze', freeze), unpause: () => act('thaw', thaw), leftovers: none };
  }
  if (commands.partition && commands.heal) {
    const [partition, heal] = [commands.partition, commands.heal];
    capabilities.partition = { describe: () => partition, partition: () => act('partition', partition), heal: () => act('heal', heal), leftovers: none };
  }
  if (commands['partition-one-way'] && commands['heal-one-way']) {
    const [partition, heal] = [commands['partition-one-way'], commands['heal-one-way']];
    capabilities['one-way-partition'] = {
      describe: () => partition,
      partitionOneWay: (peers) => act('partition-one-way', partition, { FLIPDRILL_PEERS: peers.join(' ') }),
      healOneWay: () => act('heal-one-way', heal),
      leftovers: none,
    };
  }
  if (commands.shape && commands.unshape) {
    const [shape, unshape] = [commands.shape, commands.unshape];
    capabilities['network-shape'] = {
      describe: () => shape,
      shapeNetwork: (s) => act('shape', shape, { FLIPDRILL_DELAY_MS: String(s.delayMs ?? 0), FLIPDRILL_JITTER_MS: String(s.jitterMs ?? 0), FLIPDRILL_LOSS_PCT: String(s.lossPct ?? 0) }),
      unshapeNetwork: () => act('unshape', unshape),
      leftovers: none,
    };
  }

  return {
    kind: 'commands',
    where: 'your commands',
    // Nothing here knows the node's address: the cluster file's URL says it (faults-of.ts).
    addresses: async () => [],
    core,
    capabilities,
  };
}
