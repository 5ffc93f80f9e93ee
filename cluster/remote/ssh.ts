/**
 * Commands on machines flipdrill did not start, over the system's OpenSSH client (the same
 * settings Ansible uses: host, user, port, key, extra options from the inventory). One
 * multiplexed connection per host (ControlMaster), so the drill's frequent looks cost a round
 * trip, not a handshake. Scripts go on stdin to `bash -s`: nothing is quoted into a command line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClusterError } from '../errors.ts';

export interface SshHost {
  /** The inventory's name for it (node1). */
  readonly name: string;
  readonly host: string;
  readonly user: string;
  readonly port: number;
  readonly privateKeyFile?: string;
  /** ansible_ssh_common_args, split on spaces. */
  readonly extraArgs: readonly string[];
}

export interface SshResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** POSIX shell quoting, for commands given as argument lists. */
export function shellQuote(args: readonly string[]): string {
  return args.map((a) => (/^[A-Za-z0-9_./:=@%+-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ');
}

export class SshRunner {
  readonly #controlDir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-ssh-'));
  readonly #hosts = new Set<SshHost>();

  #args(host: SshHost): string[] {
    return [
      '-o', 'BatchMode=yes',
      '-o', 'ConnectTimeout=5',
      '-o', 'ServerAliveInterval=5',
      '-o', 'ControlMaster=auto',
      '-o', `ControlPath=${path.join(this.#controlDir, '%C')}`,
      '-o', 'ControlPersist=120',
      '-p', String(host.port),
      ...(host.privateKeyFile ? ['-i', host.privateKeyFile] : []),
      ...host.extraArgs,
      // Nothing after this is an option, whatever the inventory's user or host looks like.
      '--',
      `${host.user}@${host.host}`,
    ];
  }

  /**
   * Run a bash script on `host` as root (through sudo unless the SSH user is root), or as `user`.
   * Resolves with the exit code; rejects only when SSH itself fails (exit 255) or on the timeout.
   */
  run(host: SshHost, script: string, options: { user?: string; timeoutMs?: number } = {}): Promise<SshResult> {
    this.#hosts.add(host);
    const asUser = options.user && options.user !== 'root' ? options.user : undefined;
    const remote =
      host.user === 'root'
        ? asUser ? `runuser -u ${shellQuote([asUser])} -- bash -s` : 'bash -s'
        : asUser ? `sudo -n -u ${shellQuote([asUser])} bash -s` : 'sudo -n bash -s';
    const timeoutMs = options.timeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      const child = spawn('ssh', [...this.#args(host), remote], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new ClusterError(`ssh ${host.user}@${host.host} (${host.name}) did not finish within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(new ClusterError(`cannot run ssh: ${error.message}`, { hint: 'install the OpenSSH client (apt-get install openssh-client)' }));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code === 255) {
          reject(new ClusterError(`ssh ${host.user}@${host.host} (${host.name}) failed: ${stderr.trim().split('\n').at(-1) ?? 'no message'}`, {
            hint: 'check ansible_host, ansible_user and ansible_ssh_private_key_file in the inventory, and that `ssh` to it works by hand',
          }));
          return;
        }
        resolve({ exitCode: code ?? 1, stdout, stderr });
      });
      child.stdin.end(`${script}\n`);
    });
  }

  /** Close the multiplexed connections. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.#hosts].map(
        (host) =>
          new Promise<void>((resolve) => {
            const child = spawn('ssh', [...this.#args(host).slice(0, -2), '-O', 'exit', '--', `${host.user}@${host.host}`], { stdio: 'ignore' });
            child.on('close', () => resolve());
            child.on('error', () => resolve());
          }),
      ),
    );
    rmSync(this.#controlDir, { recursive: true, force: true });
  }
}
