/**
 * A child process run to its end without blocking the test process. Integration tests run in one
 * forked worker that talks to vitest over an RPC channel with a 60 s reply deadline; a spawnSync
 * longer than that (npm install, a nested vitest run, `flipdrill up` on a busy machine) freezes the
 * worker's event loop, and vitest reports "Timeout calling onTaskUpdate" and drops the files after it.
 */
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../../cluster/index.ts';

export interface CommandResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Killed (SIGKILL) after this long; the result then has status null and signal SIGKILL. */
  timeoutMs?: number;
}

export function runCommand(file: string, args: string[], options: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const deadline = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(deadline);
      reject(err);
    });
    child.on('close', (status, signal) => {
      clearTimeout(deadline);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** The project's CLI (`harness/cli.ts`), run from the repository root as `npm run flipdrill` does. */
export function runFlipdrill(args: string[], options: CommandOptions = {}): Promise<CommandResult> {
  return runCommand(process.execPath, ['--import', 'tsx', 'harness/cli.ts', ...args], { cwd: REPO_ROOT, ...options });
}
