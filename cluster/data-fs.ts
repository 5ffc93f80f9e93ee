/**
 * A size-limited file system for each data node's data directory, so a disk-full fault is a real
 * ENOSPC and never the host's disk: an ext4 image on this host, loop-mounted and bound into the
 * node's container. Only for a cluster started with `dataFsMb` (a drill of a disk-full scenario
 * creates one), only on a Docker engine on this host, and only as root (it mounts).
 *
 *   /var/lib/flipdrill/data-fs/<cluster>/.flipdrill-data-fs   the marker: flipdrill made this folder
 *   /var/lib/flipdrill/data-fs/<cluster>/<node>.img   the image (sparse: it takes what is written)
 *   /var/lib/flipdrill/data-fs/<cluster>/<node>/      its mount, the node's /var/lib/postgresql/fs
 *
 * With the fault file system (`faults`, for the disk faults: cluster/fault-fs/), the image is
 * mounted at <node>.disk/ instead, and the fault file system over it at <node>/, controlled
 * through <node>.ctl (its log: <node>.fault-fs.log).
 *
 * flipdrill writes there as root, so the folder (FLIPDRILL_DATA_FS_DIR) must be one no one else
 * can plant a link in: every folder on its path a real folder (no symbolic link), owned by root
 * or flipdrill's user, and writable by no one else (a folder above it may be, with the sticky bit,
 * like /tmp); the images are opened without following links. `down` removes only the folders that
 * carry flipdrill's marker (a file flipdrill's user owns), whatever else the folder holds.
 *
 * The fault (fillScript) fills the file system with a ballast file from inside the node, as a
 * runaway log or a forgotten dump would; freeing it is deleting the ballast.
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, existsSync, fstatSync, ftruncateSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, type Stats } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ClusterError, ConfigError } from './errors.ts';
import { isFaultFsMounted, startFaultFs, stopFaultFs } from './fault-fs/index.ts';
import { waitFor } from './lib/wait-for.ts';

const run = promisify(execFile);

/** Where the images and mounts live on this host (a test may point it elsewhere). */
export const dataFsRoot = () => process.env.FLIPDRILL_DATA_FS_DIR || '/var/lib/flipdrill/data-fs';
/** The mount inside the node's container, and the data directory on it. */
export const DATA_FS_MOUNT = '/var/lib/postgresql/fs';
export const DATA_FS_PGDATA = `${DATA_FS_MOUNT}/data`;
/** The ballast's name prefix on the node's file system. */
export const BALLAST = 'flipdrill-ballast';
export const MIN_DATA_FS_MB = 256;
export const MAX_DATA_FS_MB = 16384;

export function dataFsPaths(cluster: string, node: string): { image: string; mount: string; disk: string; control: string; log: string } {
  const dir = path.join(dataFsRoot(), cluster);
  return { image: path.join(dir, `${node}.img`), mount: path.join(dir, node), disk: path.join(dir, `${node}.disk`), control: path.join(dir, `${node}.ctl`), log: path.join(dir, `${node}.fault-fs.log`) };
}

/** Can this host give a cluster size-limited data file systems? One clear error if not. */
export function assertDataFsPossible(engine: { kind: string }): void {
  if (engine.kind !== 'unix') throw new ConfigError('a size-limited data file system needs the Docker engine on this host (it is a loop mount here, bound into the nodes); DOCKER_HOST points elsewhere');
  if (process.getuid?.() !== 0) throw new ConfigError('a size-limited data file system needs root on this host (it loop-mounts an ext4 image)');
}

async function command(file: string, args: string[]): Promise<void> {
  try {
    await run(file, args, { timeout: 60_000 });
  } catch (error) {
    const e = error as { stderr?: string; message: string; code?: string };
    const why = e.code === 'ENOENT' ? `${file} is not installed` : (e.stderr || e.message).trim().split('\n').slice(-2).join(' ');
    throw new ClusterError(`could not set up the size-limited data file system: ${file} ${args.join(' ')}: ${why}`, { hint: 'it needs e2fsprogs (mkfs.ext4), util-linux (mount) and loop devices on this host' });
  }
}

/** The file in a cluster's folder that says flipdrill made it. */
const MARKER = '.flipdrill-data-fs';
const NOFOLLOW = constants.O_NOFOLLOW;
const STICKY = 0o1000;

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Owned by root or by flipdrill's user. */
const trusted = (st: Stats) => st.uid === 0 || st.uid === process.getuid?.();

/**
 * Refuse a data file system folder someone else could plant a link in (one line): each existing
 * folder on its path is a real folder, owned by root or flipdrill's user, and writable by no one
 * else, but for a folder above it with the sticky bit (/tmp). `own`: folders at and under the root.
 * `create`: make the missing folders (0700), each checked before the next.
 */
function assertSafeFolder(folder: string, own: string, { create = false } = {}): void {
  const root = dataFsRoot();
  const refuse = (what: string) => new ConfigError(`FLIPDRILL_DATA_FS_DIR ${root}: ${what}`);
  const parts = path.resolve(folder).split(path.sep).filter(Boolean);
  for (let i = 0; i <= parts.length; i += 1) {
    const p = path.sep + parts.slice(0, i).join(path.sep);
    let st = lstatOrUndefined(p);
    if (!st && create) {
      // One folder at a time, each checked before the next is made in it: never through a link.
      try {
        mkdirSync(p, { mode: 0o700 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      st = lstatSync(p);
    }
    if (!st) return;
    if (st.isSymbolicLink()) throw refuse(`${p} is a symbolic link`);
    if (!st.isDirectory()) throw refuse(`${p} is not a folder`);
    if (!trusted(st)) throw refuse(`${p} belongs to uid ${st.uid}, not to root or to flipdrill's user`);
    const mine = p === own || p.startsWith(own + path.sep);
    if (st.mode & 0o022 && (mine || !(st.mode & STICKY))) throw refuse(`${p} is writable by others than its owner; give a folder only its owner (root) can write`);
  }
}

/** A folder flipdrill made (its marker, flipdrill's own), and no link. */
function isOurs(dir: string): boolean {
  const st = lstatOrUndefined(dir);
  const marker = st?.isDirectory() ? lstatOrUndefined(path.join(dir, MARKER)) : undefined;
  return !!st && !!marker && marker.isFile() && trusted(st) && marker.uid === process.getuid?.();
}

/** Create (no link followed) a file of flipdrill's own, only its owner reading it; `size` bytes, sparse. */
function createOwnFile(file: string, size: number): void {
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | NOFOLLOW, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new ConfigError(`FLIPDRILL_DATA_FS_DIR ${dataFsRoot()}: ${file} is a symbolic link`);
    throw error;
  }
  try {
    if (!fstatSync(fd).isFile()) throw new ConfigError(`FLIPDRILL_DATA_FS_DIR ${dataFsRoot()}: ${file} is not a regular file`);
    ftruncateSync(fd, 0);
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
}

/**
 * A node's image file, empty and `sizeMb` large, in its cluster's folder (marked as flipdrill's),
 * after the folder's path is checked: no mount, no program. Returns the image and its mount point.
 */
function dataFsImage(cluster: string, node: string, sizeMb: number): { image: string; mount: string } {
  const { image, mount } = dataFsPaths(cluster, node);
  const root = path.resolve(dataFsRoot());
  assertSafeFolder(path.dirname(image), root, { create: true });
  createOwnFile(path.join(path.dirname(image), MARKER), 0);
  createOwnFile(image, sizeMb * 1024 * 1024);
  assertSafeFolder(mount, root, { create: true });
  return { image, mount };
}

/**
 * Make, format and mount a node's file system, with the fault file system over it if `faults`;
 * returns the mount (the host side of the bind).
 */
export async function createDataFs(cluster: string, node: string, sizeMb: number, { faults = false } = {}): Promise<string> {
  const { image, mount } = dataFsImage(cluster, node, sizeMb);
  const { disk, control, log } = dataFsPaths(cluster, node);
  if (faults) assertSafeFolder(disk, path.resolve(dataFsRoot()), { create: true });
  // -m 0: no blocks kept for root, so a full file system is full for PostgreSQL and the ballast alike.
  await command('mkfs.ext4', ['-q', '-F', '-m', '0', '-L', `fd-${node}`.slice(0, 16), image]);
  await command('mount', ['-o', 'loop', image, faults ? disk : mount]);
  if (faults) {
    rmSync(control, { force: true });
    await startFaultFs(disk, mount, control, log);
  }
  return mount;
}

/**
 * Unmount a node's disk. Under a fault file system that has just ended, the kernel can call it
 * busy for a moment after the program is gone (seen once): tried again until 10 s have passed.
 */
async function unmountDisk(mount: string): Promise<void> {
  const busy = (error: unknown) => error instanceof Error && /target is busy/.test(error.message);
  await waitFor(`${mount} to unmount`, () => command('umount', [mount]).then(() => true), { timeoutMs: 10_000, intervalMs: 200, fatal: (e) => !busy(e) });
}

/** The mount points under our root (of one cluster, or of all), as this host's mount table lists them. */
function ourMounts(cluster?: string): string[] {
  const under = cluster ? path.join(dataFsRoot(), cluster) + '/' : dataFsRoot() + '/';
  // Only Linux has the table (and only Linux can have made these mounts): elsewhere there are none.
  if (!existsSync('/proc/self/mounts')) return [];
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => !!m && m.startsWith(under));
}

/**
 * Unmount and delete a cluster's file systems (or every cluster's): only the folders flipdrill
 * made (its marker), and none in a folder that fails createDataFs's checks. Returns what it removed.
 */
export async function removeDataFs(cluster?: string): Promise<string[]> {
  const removed: string[] = [];
  // The last mounted first: a fault file system before the disk under it.
  for (const mount of ourMounts(cluster).reverse()) {
    if (isFaultFsMounted(mount)) await stopFaultFs(mount);
    else await unmountDisk(mount);
    removed.push(`data file system ${mount}`);
  }
  const root = path.resolve(dataFsRoot());
  try {
    assertSafeFolder(root, root);
  } catch {
    return removed; // createDataFs never made anything there
  }
  const dirs = cluster ? [path.join(root, cluster)] : existsSync(root) ? readdirSync(root).map((d) => path.join(root, d)) : [];
  for (const dir of dirs) if (isOurs(dir)) rmSync(dir, { recursive: true, force: true });
  return removed;
}

/** What is left of a cluster's file systems once it is gone (a mount, an image): flipdrill's only. */
export function dataFsLeft(cluster: string): string[] {
  const dir = path.join(dataFsRoot(), cluster);
  return [...ourMounts(cluster).map((m) => `the mount ${m}`), ...(isOurs(dir) ? [`the folder ${dir}`] : [])];
}

/**
 * Fill the node's file system, run inside the node as root: a ballast of all the space left (a
 * second one for what fallocate could not take). Prints the bytes still available (0, or close).
 */
export function fillScript(): string {
  return [
    'set -eu',
    `cd ${DATA_FS_MOUNT}`,
    'avail=$(df -B1 --output=avail . | tail -n 1 | tr -d " ")',
    `fallocate -l "$avail" ${BALLAST} 2>/dev/null || fallocate -l $((avail - 8388608)) ${BALLAST}`,
    `dd if=/dev/zero of=${BALLAST}-rest bs=64k 2>/dev/null || true`,
    'sync -f .',
    'df -B1 --output=avail . | tail -n 1 | tr -d " "',
  ].join('\n');
}

/** Free it again: idempotent. */
export const freeScript = () => `rm -f ${DATA_FS_MOUNT}/${BALLAST} ${DATA_FS_MOUNT}/${BALLAST}-rest`;

/** Is a node's disk still full? Looked at from this host, so it answers for a stopped node too. */
export function ballastLeft(cluster: string, node: string): boolean {
  const { mount } = dataFsPaths(cluster, node);
  return existsSync(path.join(mount, BALLAST)) || existsSync(path.join(mount, `${BALLAST}-rest`));
}
