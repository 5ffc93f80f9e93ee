/**
 * Find a Docker engine, or get one: on a fresh Debian or Ubuntu machine, as root, flipdrill
 * installs Debian's docker.io and starts the engine itself, as a visible step. Anywhere else it
 * stops with the one command that would fix it. FLIPDRILL_NO_DOCKER_INSTALL=1 refuses the install.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { DockerUnavailableError } from '../errors.ts';
import type { Logger } from '../lib/logger.ts';
import { silentLogger } from '../lib/logger.ts';
import { waitFor } from '../lib/wait-for.ts';
import type { DockerClient } from './docker-client.ts';
import { DockerodeClient } from './dockerode-client.ts';
import { describeEngine, engineAddress } from './engine-address.ts';

export type StepReporter = (step: string) => void;


async function reachable(docker: DockerClient): Promise<boolean> {
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('ping timed out')), 3000).unref()),
    ]);
    return true;
  } catch {
    return false;
  }
}

export function isDebianLike(osRelease = readOsRelease()): boolean {
  const id = /^ID="?([^"\n]+)"?/m.exec(osRelease)?.[1] ?? '';
  const like = /^ID_LIKE="?([^"\n]+)"?/m.exec(osRelease)?.[1] ?? '';
  return ['debian', 'ubuntu'].includes(id) || /\b(debian|ubuntu)\b/.test(like);
}

function readOsRelease(): string {
  try {
    return readFileSync('/etc/os-release', 'utf8');
  } catch {
    return '';
  }
}

function commandExists(name: string): boolean {
  return ['/usr/bin', '/usr/sbin', '/bin', '/sbin', '/usr/local/bin'].some((dir) => existsSync(`${dir}/${name}`));
}

/** Run a command to completion; its output goes to the log, not the terminal. */
export function run(cmd: string, args: string[], log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (b: Buffer) => {
      tail = (tail + b.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => {
      log.debug({ cmd, args, code, output: tail }, 'command finished');
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${tail.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

/** Install Debian packages when the running machine allows it (root on Debian/Ubuntu). */
export async function aptInstall(packages: string[], log: Logger): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], log, env);
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], log, env);
}

export function canInstallPackages(): boolean {
  return process.getuid?.() === 0 && isDebianLike() && commandExists('apt-get');
}

export interface ConnectOptions {
  logger?: Logger;
  onStep?: StepReporter;
  /** Defaults to true unless FLIPDRILL_NO_DOCKER_INSTALL is set. */
  allowInstall?: boolean;
}

/** A DockerClient on a reachable engine, installing and starting one where allowed. */
export async function connectDocker(options: ConnectOptions = {}): Promise<DockerClient> {
  const log = (options.logger ?? silentLogger).child({ component: 'docker-engine' });
  const onStep = options.onStep ?? (() => {});
  const engine = engineAddress();
  const docker = new DockerodeClient({ engine, ...(options.logger ? { logger: options.logger } : {}) });
  if (await reachable(docker)) return docker;
  const where = describeEngine(engine);
  // An engine someone named (DOCKER_HOST) is theirs to start: never install or start one in its place.
  if (engine.kind === 'tcp' || engine.fromDockerHost) {
    throw new DockerUnavailableError(`no Docker engine answers at ${where} (DOCKER_HOST)`, { hint: 'start that engine, or unset DOCKER_HOST to use the local one' });
  }

  const allowInstall = options.allowInstall ?? !['1', 'true', 'yes'].includes(process.env.FLIPDRILL_NO_DOCKER_INSTALL ?? '');
  const manual = isDebianLike()
    ? 'run: sudo apt-get install -y docker.io && sudo dockerd --storage-driver=overlay2 &'
    : 'install and start Docker Engine (https://docs.docker.com/engine/install/)';
  if (!allowInstall) {
    throw new DockerUnavailableError(`no Docker engine reachable at ${where}`, {
      hint: `FLIPDRILL_NO_DOCKER_INSTALL is set, so flipdrill will neither install nor start one; ${manual}`,
    });
  }
  if (!canInstallPackages()) {
    throw new DockerUnavailableError(`no Docker engine reachable at ${where}`, { hint: manual });
  }

  if (!commandExists('dockerd')) {
    onStep('no Docker engine: installing Debian\'s docker.io (set FLIPDRILL_NO_DOCKER_INSTALL=1 to refuse)');
    try {
      await aptInstall(['docker.io', 'iptables'], log);
    } catch (error) {
      throw new DockerUnavailableError(`installing docker.io failed: ${(error as Error).message}`, { hint: manual, cause: error });
    }
  }
  onStep('starting the Docker engine (dockerd --storage-driver=overlay2, log in /var/log/flipdrill-dockerd.log)');
  const out = openSync('/var/log/flipdrill-dockerd.log', 'a');
  const daemon = spawn('dockerd', ['--storage-driver=overlay2'], { detached: true, stdio: ['ignore', out, out] });
  daemon.on('error', (error) => log.error({ err: error.message }, 'dockerd failed to start'));
  daemon.unref();
  await waitFor('the Docker engine to answer', async () => reachable(docker), {
    timeoutMs: 60_000,
    intervalMs: 500,
    hint: 'see /var/log/flipdrill-dockerd.log',
  }).catch((error) => {
    throw new DockerUnavailableError((error as Error).message, { hint: 'see /var/log/flipdrill-dockerd.log', cause: error });
  });
  return docker;
}
