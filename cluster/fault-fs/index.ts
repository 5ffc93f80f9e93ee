/**
 * The fault file system (fault-fs.py beside this file): a FUSE passthrough over a node's data
 * folder, run on this host so it outlives the node as a disk does. It stalls, fails or slows
 * operations on command and, at a power loss, takes back every write not yet fsynced. Only a
 * cluster started with it has one (a drill of a disk fault creates one), as with the size-limited
 * data file system it sits on (data-fs.ts).
 *
 * Control is one JSON line each way on a Unix socket only its owner (root) can open, in a folder
 * only root can write. Every call has a deadline.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { ClusterError, ConfigError } from '../errors.ts';
import { packageRoot } from '../lib/package-root.ts';
import { waitFor } from '../lib/wait-for.ts';

/** The program, in flipdrill's own files (a clone, or the installed package). */
export const faultFsProgram = () => path.join(packageRoot(), 'cluster', 'fault-fs', 'fault-fs.py');
/** Debian's Python, which has Debian's fusepy (a python3 earlier on PATH may not). */
const PYTHON = '/usr/bin/python3';

/** Which operations a fault holds up or fails: all of them, those that change the disk, or fsync. */
export type DiskOps = 'all' | 'write' | 'fsync';
export const DISK_OPS: readonly DiskOps[] = ['all', 'write', 'fsync'];

export interface DiskFaultState {
  stall: DiskOps | null;
  error: DiskOps | null;
  latency_ms: number;
  latency_on: DiskOps;
  cut: boolean;
  /** Operations waiting on a stall now. */
  waiting: number;
  stalled_total: number;
  /** Operations answered EIO so far. */
  errors: number;
  unsynced_files: number;
  unsynced_bytes: number;
}

export interface DiskFaultSetting {
  stall?: DiskOps | null;
  error?: DiskOps | null;
  latency_ms?: number;
  latency_on?: DiskOps;
}

type Request = { op: 'status' } | ({ op: 'set' } & DiskFaultSetting) | { op: 'clear' } | { op: 'cut' } | { op: 'revert' };
type Answer = DiskFaultState & { ok: true; reverted_files?: number; reverted_bytes?: number };

/** Is the mount point in this host's mount table as a fault file system? */
export function isFaultFsMounted(mount: string): boolean {
  if (!existsSync('/proc/self/mounts')) return false;
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .some((line) => {
      const [fsname, point] = line.split(' ');
      return fsname === 'flipdrill-fault-fs' && point?.replace(/\\040/g, ' ') === mount;
    });
}

/** Can this host run it? One line if not. */
export function assertFaultFsPossible(): void {
  if (!existsSync('/dev/fuse')) throw new ConfigError('the fault file system needs FUSE on this host (/dev/fuse is missing)');
  if (!existsSync(PYTHON) || !existsSync('/usr/lib/python3/dist-packages/fusepy.py')) throw new ConfigError("the fault file system needs Python's fusepy on this host (Debian: apt-get install python3-fusepy)");
}

/**
 * Mount the fault file system at `mount` over `backing`, controlled through `control`; returns
 * once it is mounted. The program runs on after this process ends (the cluster does), in its own
 * session; `log` gets what it prints. Unmounting it (umount) ends it.
 */
export async function startFaultFs(backing: string, mount: string, control: string, log: string): Promise<void> {
  assertFaultFsPossible();
  const out = openSync(log, 'a', 0o600);
  let exited: string | undefined;
  try {
    const child = spawn(PYTHON, [faultFsProgram(), backing, mount, control], { detached: true, stdio: ['ignore', out, out] });
    child.on('exit', (code, signal) => (exited = `exited (${signal ?? code})`));
    child.on('error', (error) => (exited = error.message));
    child.unref();
  } finally {
    closeSync(out);
  }
  await waitFor(`the fault file system at ${mount}`, async () => {
    if (exited) throw new ClusterError(`the fault file system at ${mount} ${exited}: ${readFileSync(log, 'utf8').trim().split('\n').slice(-3).join(' ')}`);
    return isFaultFsMounted(mount) && existsSync(control);
  }, { timeoutMs: 15_000, intervalMs: 50, fatal: (e) => e instanceof ClusterError });
}

/** One request to a fault file system, one answer; within `timeoutMs`. */
export function faultFsControl(control: string, request: Request, timeoutMs = 10_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(control);
    let buffer = '';
    const fail = (why: string) => {
      socket.destroy();
      reject(new ClusterError(`the fault file system (${control}): ${why}`));
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer to ${request.op} within ${timeoutMs} ms`));
    socket.on('error', (error) => fail(error.message));
    socket.on('connect', () => socket.write(JSON.stringify(request) + '\n'));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      const end = buffer.indexOf('\n');
      if (end < 0) return;
      socket.end();
      const answer = JSON.parse(buffer.slice(0, end)) as Answer | { ok: false; error: string };
      if (answer.ok) resolve(answer);
      else fail(`${request.op} refused: ${answer.error}`);
    });
  });
}

/** What of a fault is still on: none when the file system is plain again. */
export function faultLeft(state: DiskFaultState): string[] {
  return [
    ...(state.stall ? [`its ${state.stall === 'all' ? '' : state.stall + ' '}operations stalled`] : []),
    ...(state.error ? [`its ${state.error === 'all' ? '' : state.error + ' '}operations failing with EIO`] : []),
    ...(state.latency_ms ? [`${state.latency_ms} ms added to its ${state.latency_on === 'all' ? '' : state.latency_on + ' '}operations`] : []),
    ...(state.cut ? ['its power cut (every operation failing)'] : []),
  ];
}

/** The fault file system programs serving `mount` (by their command line). */
export function programsServing(mount: string): number[] {
  const pids: number[] = [];
  for (const entry of existsSync('/proc') ? readdirSync('/proc') : []) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.some((a) => a.endsWith('/fault-fs.py')) && args.includes(mount)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * Unmount a fault file system and wait until its program has ended (it holds the folder under it
 * open until then, so that folder's own mount would be busy). Ended by SIGKILL if it outlives 10 s.
 */
export async function stopFaultFs(mount: string): Promise<void> {
  const pids = programsServing(mount);
  if (isFaultFsMounted(mount)) await promisify(execFile)('umount', [mount], { timeout: 30_000 });
  const gone = () => pids.every((pid) => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z'));
  try {
    await waitFor(`the fault file system program at ${mount} to end`, async () => gone(), { timeoutMs: 10_000, intervalMs: 50 });
  } catch {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // ended meanwhile
      }
    }
    await waitFor(`the fault file system program at ${mount} to end after SIGKILL`, async () => gone(), { timeoutMs: 5_000, intervalMs: 50 });
  }
}
