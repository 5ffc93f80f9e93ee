/**
 * The data file systems' folder, without mounting anything: what `down` removes, and what
 * createDataFs refuses before it writes a byte. PATH is emptied around createDataFs so that no
 * mkfs.ext4 or mount could run even if a refusal were missing.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDataFs, dataFsLeft, removeDataFs } from './data-fs.ts';

const base = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-data-fs-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const asRoot = process.getuid?.() === 0;

let root: string;
let n = 0;
const saved = { dir: process.env.FLIPDRILL_DATA_FS_DIR, path: process.env.PATH };
beforeEach(() => {
  root = path.join(base, `case${(n += 1)}`);
  process.env.FLIPDRILL_DATA_FS_DIR = root;
  process.env.PATH = path.join(base, 'no-programs-here');
});
afterEach(() => {
  process.env.FLIPDRILL_DATA_FS_DIR = saved.dir;
  process.env.PATH = saved.path;
});

/** createDataFs up to its first program (mkfs.ext4, not on PATH here): what it made, or its refusal. */
async function createUpToMkfs(cluster: string, node: string): Promise<Error> {
  const error = await createDataFs(cluster, node, 256).then(
    () => new Error('createDataFs finished'),
    (e: Error) => e,
  );
  return error;
}

describe('flipdrill down removes only the data file systems flipdrill made', () => {
  it('leaves every entry of the folder it did not make, of all clusters or of one', async () => {
    mkdirSync(path.join(root, 'photos'), { recursive: true, mode: 0o700 });
    writeFileSync(path.join(root, 'photos', 'cat.jpg'), 'meow');
    writeFileSync(path.join(root, 'notes.txt'), 'mine');
    mkdirSync(path.join(root, 'fdtest'), { mode: 0o700 });
    writeFileSync(path.join(root, 'fdtest', 'node1.img'), 'not flipdrill');
    expect(await removeDataFs()).toEqual([]);
    expect(await removeDataFs('fdtest')).toEqual([]);
    expect(readFileSync(path.join(root, 'photos', 'cat.jpg'), 'utf8')).toBe('meow');
    expect(readFileSync(path.join(root, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readFileSync(path.join(root, 'fdtest', 'node1.img'), 'utf8')).toBe('not flipdrill');
    expect(dataFsLeft('fdtest')).toEqual([]);
  });

  it('removes a folder createDataFs made (it carries the marker), of all clusters or of one', async () => {
    expect((await createUpToMkfs('one', 'node1')).message).toMatch(/mkfs\.ext4 is not installed/);
    expect((await createUpToMkfs('two', 'node1')).message).toMatch(/mkfs\.ext4 is not installed/);
    expect(statSync(path.join(root, 'one', 'node1.img')).size).toBe(256 * 1024 * 1024);
    expect(statSync(path.join(root, 'one', 'node1.img')).mode & 0o077).toBe(0);
    writeFileSync(path.join(root, 'notes.txt'), 'mine');
    expect(dataFsLeft('one')).toEqual([`the folder ${path.join(root, 'one')}`]);
    await removeDataFs('one');
    expect(existsSync(path.join(root, 'one'))).toBe(false);
    expect(existsSync(path.join(root, 'two'))).toBe(true);
    await removeDataFs();
    expect(existsSync(path.join(root, 'two'))).toBe(false);
    expect(readFileSync(path.join(root, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it.runIf(asRoot)("a marker someone else planted is not flipdrill's", async () => {
    mkdirSync(path.join(root, 'planted'), { recursive: true, mode: 0o700 });
    writeFileSync(path.join(root, 'planted', '.flipdrill-data-fs'), '');
    chownSync(path.join(root, 'planted', '.flipdrill-data-fs'), 4242, 4242);
    chownSync(path.join(root, 'planted'), 4242, 4242);
    await removeDataFs();
    expect(existsSync(path.join(root, 'planted', '.flipdrill-data-fs'))).toBe(true);
  });
});

describe('createDataFs refuses a folder others could plant links in', () => {
  const victim = path.join(base, 'victim');
  beforeEach(() => writeFileSync(victim, 'precious\n'));
  afterEach(() => {
    expect(statSync(victim).size).toBe('precious\n'.length);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  });

  it('a world-writable folder, with a link planted where the image goes', async () => {
    mkdirSync(path.join(root, 'c'), { recursive: true });
    chmodSync(root, 0o777);
    chmodSync(path.join(root, 'c'), 0o777);
    symlinkSync(victim, path.join(root, 'c', 'node1.img'));
    expect((await createUpToMkfs('c', 'node1')).message).toBe(`FLIPDRILL_DATA_FS_DIR ${root}: ${root} is writable by others than its owner; give a folder only its owner (root) can write`);
  });

  it('a group-writable folder, and a world-writable one even with the sticky bit (like /tmp)', async () => {
    mkdirSync(root, { recursive: true });
    chmodSync(root, 0o770);
    expect((await createUpToMkfs('c', 'node1')).message).toMatch(/is writable by others than its owner/);
    chmodSync(root, 0o1777);
    expect((await createUpToMkfs('c', 'node1')).message).toMatch(/is writable by others than its owner/);
    expect(existsSync(path.join(root, 'c'))).toBe(false);
  });

  it('a folder under one anyone can write to without the sticky bit', async () => {
    const open = path.join(root, 'open');
    mkdirSync(open, { recursive: true });
    chmodSync(open, 0o777);
    process.env.FLIPDRILL_DATA_FS_DIR = path.join(open, 'data-fs');
    expect((await createUpToMkfs('c', 'node1')).message).toBe(`FLIPDRILL_DATA_FS_DIR ${path.join(open, 'data-fs')}: ${open} is writable by others than its owner; give a folder only its owner (root) can write`);
    expect(existsSync(path.join(open, 'data-fs'))).toBe(false);
  });

  it('a path through a symbolic link', async () => {
    mkdirSync(path.join(root, 'real'), { recursive: true, mode: 0o700 });
    symlinkSync(path.join(root, 'real'), path.join(root, 'link'));
    process.env.FLIPDRILL_DATA_FS_DIR = path.join(root, 'link', 'data-fs');
    expect((await createUpToMkfs('c', 'node1')).message).toBe(`FLIPDRILL_DATA_FS_DIR ${path.join(root, 'link', 'data-fs')}: ${path.join(root, 'link')} is a symbolic link`);
    expect(existsSync(path.join(root, 'real', 'data-fs'))).toBe(false);
  });

  it.runIf(asRoot)('a folder that belongs to another user', async () => {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    chownSync(root, 4242, 4242);
    expect((await createUpToMkfs('c', 'node1')).message).toBe(`FLIPDRILL_DATA_FS_DIR ${root}: ${root} belongs to uid 4242, not to root or to flipdrill's user`);
  });

  it('an image that is a link, in a folder of its own (O_NOFOLLOW)', async () => {
    mkdirSync(path.join(root, 'c'), { recursive: true, mode: 0o700 });
    symlinkSync(victim, path.join(root, 'c', 'node1.img'));
    expect((await createUpToMkfs('c', 'node1')).message).toMatch(/node1\.img is a symbolic link/);
  });
});
