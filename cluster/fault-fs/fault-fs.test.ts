/**
 * The fault file system, mounted for real on this host (FUSE, as root, as a drill mounts it): a
 * passthrough that keeps owners, and each fault as a process doing I/O on it sees it. The I/O runs
 * in child processes, so a stalled operation holds up the child, not the test.
 */
import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../lib/wait-for.ts';
import { faultFsControl, faultLeft, isFaultFsMounted, programsServing, startFaultFs, stopFaultFs } from './index.ts';

const run = promisify(execFile);
const base = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-fault-fs-'));
const backing = path.join(base, 'backing');
const mount = path.join(base, 'mount');
const control = path.join(base, 'control.sock');
const ctl = (request: Parameters<typeof faultFsControl>[1]) => faultFsControl(control, request);

/** Python doing I/O on the mount, in a child: resolves with its exit code, stdout and how long it took. */
function io(code: string): { done: Promise<{ code: number | null; out: string; ms: number }> } {
  const started = Date.now();
  const child = spawn('python3', ['-c', `import os, sys\nos.chdir(${JSON.stringify(mount)})\n${code}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { done: new Promise((resolve) => child.on('exit', (c) => resolve({ code: c, out: out.trim(), ms: Date.now() - started }))) };
}
const ioDone = async (code: string) => {
  const result = await io(code).done;
  if (result.code !== 0) throw new Error(`python failed: ${result.out}`);
  return result;
};
const writeFile = (name: string, text: string, { sync = false, at = 0 } = {}) =>
  ioDone(`fd = os.open(${JSON.stringify(name)}, os.O_WRONLY | os.O_CREAT, 0o600)\nos.pwrite(fd, ${JSON.stringify(text)}.encode(), ${at})\n${sync ? 'os.fdatasync(fd)\n' : ''}os.close(fd)`);
const backed = (name: string) => readFileSync(path.join(backing, name), 'utf8');

describe.runIf(process.getuid?.() === 0)('the fault file system (FUSE, on this host)', () => {
  beforeAll(async () => {
    mkdirSync(backing);
    mkdirSync(mount);
    await startFaultFs(backing, mount, control, path.join(base, 'fault-fs.log'));
  });
  afterAll(async () => {
    if (isFaultFsMounted(mount)) await stopFaultFs(mount);
    rmSync(base, { recursive: true, force: true });
  });

  it('passes files through to the folder under it; what another user creates is theirs; the control socket is root’s alone', async () => {
    await writeFile('hello', 'hello world');
    expect(backed('hello')).toBe('hello world');
    chmodSync(base, 0o755);
    chmodSync(mount, 0o777);
    await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/usr/bin/python3', '-c', `open(${JSON.stringify(path.join(mount, 'nobody'))}, 'w').write('x')`]);
    expect(statSync(path.join(backing, 'nobody'))).toMatchObject({ uid: 65534, gid: 65534 });
    // The kernel checks rights from the modes (default_permissions): root's file is closed to nobody.
    writeFileSync(path.join(mount, 'secret'), 's', { mode: 0o600 });
    await expect(run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'cat', path.join(mount, 'secret')])).rejects.toThrow(/Permission denied/);
    expect(statSync(control).mode & 0o077).toBe(0);
    expect(await ctl({ op: 'status' })).toMatchObject({ stall: null, error: null, latency_ms: 0, cut: false });
  });

  it('a power loss takes back every write not fsynced (data and size), and keeps what was fsynced, written O_DSYNC, or renamed', async () => {
    const before = (await ctl({ op: 'status' })).unsynced_files;
    await writeFile('wal', 'AAAAAAAA', { sync: true });
    await writeFile('wal', 'BBBB', { at: 4 }); // unsynced, over synced bytes
    await writeFile('wal', 'CCCC', { at: 8 }); // unsynced, the file grows
    await writeFile('new', 'never synced');
    await ioDone(`fd = os.open('dsync', os.O_WRONLY | os.O_CREAT | os.O_DSYNC, 0o600)\nos.write(fd, b'durable')\nos.close(fd)`);
    await writeFile('moved', 'first', { sync: true });
    await writeFile('moved', 'FIRST');
    await ioDone(`os.rename('moved', 'renamed')`);
    await writeFile('big', 'x'.repeat(10_000), { sync: true });
    await ioDone(`os.truncate('big', 10)`); // a shrink, unsynced
    expect(backed('wal')).toBe('AAAABBBBCCCC');
    expect(await ctl({ op: 'status' })).toMatchObject({ unsynced_files: before + 4 });

    await ctl({ op: 'cut' });
    const reverted = await ctl({ op: 'revert' });
    expect(reverted).toMatchObject({ reverted_files: before + 4, cut: false, unsynced_files: 0 });
    expect(backed('wal')).toBe('AAAAAAAA');
    expect(backed('new')).toBe('');
    expect(backed('dsync')).toBe('durable');
    expect(backed('renamed')).toBe('first');
    expect(backed('big')).toBe('x'.repeat(10_000));
    // And through the mount, as the restarted node reads it.
    expect(readFileSync(path.join(mount, 'wal'), 'utf8')).toBe('AAAAAAAA');
  });

  it('a power cut fails every operation at once, a stalled one too (a killed process must get its answer to die), and changes nothing', async () => {
    await writeFile('late', 'before', { sync: true });
    await ctl({ op: 'set', stall: 'write' });
    const stalled = io(`fd = os.open('late', os.O_WRONLY)\nos.pwrite(fd, b'AFTER!', 0)`);
    await waitFor('the write waiting on the stall', async () => (await ctl({ op: 'status' })).waiting > 0, { timeoutMs: 5000, intervalMs: 20 });
    await ctl({ op: 'cut' });
    expect((await stalled.done).out).toMatch(/Input\/output error/);
    const during = await io(`print(open('late').read())`).done;
    expect(during.out).toMatch(/Input\/output error/);
    await ctl({ op: 'revert' });
    await ctl({ op: 'clear' });
    expect(backed('late')).toBe('before');
  });

  it('stalls writes while reads go on; the stalled write completes once the stall is cleared', async () => {
    await writeFile('stalled', 'old', { sync: true });
    await writeFile('beside', 'readable', { sync: true });
    await ctl({ op: 'set', stall: 'write' });
    const write = io(`fd = os.open('stalled', os.O_WRONLY)\nos.pwrite(fd, b'new', 0)\nos.close(fd)`);
    await waitFor('a write waiting on the stall', async () => (await ctl({ op: 'status' })).waiting > 0, { timeoutMs: 5000, intervalMs: 20 });
    // Another file reads on (the stalled one's page is locked by its write, as on any disk).
    expect((await ioDone(`print(open('beside').read())`)).out).toBe('readable');
    expect(faultLeft(await ctl({ op: 'status' }))).toEqual(['its write operations stalled']);
    await ctl({ op: 'clear' });
    expect((await write.done).code).toBe(0);
    expect(backed('stalled')).toBe('new');
    expect(faultLeft(await ctl({ op: 'status' }))).toEqual([]);
  });

  it('stalls only fsync: the write returns, its fsync waits', async () => {
    await ctl({ op: 'set', stall: 'fsync' });
    const sync = io(`fd = os.open('fsync-stalled', os.O_WRONLY | os.O_CREAT, 0o600)\nos.write(fd, b'w')\nprint('written', flush=True)\nos.fsync(fd)`);
    await waitFor('the fsync waiting on the stall', async () => (await ctl({ op: 'status' })).waiting > 0, { timeoutMs: 5000, intervalMs: 20 });
    expect(backed('fsync-stalled')).toBe('w');
    await ctl({ op: 'clear' });
    expect(await sync.done).toMatchObject({ code: 0, out: 'written' });
  });

  it('fails fsync with EIO (the write itself succeeds), then writes; a failed fsync keeps the writes unsynced', async () => {
    await ctl({ op: 'set', error: 'fsync' });
    const failed = await io(`fd = os.open('eio', os.O_WRONLY | os.O_CREAT, 0o600)\nos.write(fd, b'data')\nos.fsync(fd)`).done;
    expect(failed.code).not.toBe(0);
    expect(failed.out).toMatch(/Input\/output error/);
    expect(backed('eio')).toBe('data');
    await ctl({ op: 'set', error: 'write' });
    const write = await io(`open('eio-write', 'w').write('x')`).done;
    expect(write.out).toMatch(/Input\/output error/);
    expect((await ctl({ op: 'status' })).errors).toBeGreaterThanOrEqual(2);
    await ctl({ op: 'clear' });
    await ctl({ op: 'cut' });
    await ctl({ op: 'revert' });
    expect(backed('eio')).toBe('');
  });

  it('adds latency to each write: ten writes take at least ten times it', async () => {
    await ctl({ op: 'set', latency_ms: 50, latency_on: 'write' });
    const slow = await ioDone(`fd = os.open('slow', os.O_WRONLY | os.O_CREAT, 0o600)\nfor i in range(10): os.pwrite(fd, b'x', i)`);
    expect(slow.ms).toBeGreaterThanOrEqual(500);
    expect(faultLeft(await ctl({ op: 'status' }))).toEqual(['50 ms added to its write operations']);
    await ctl({ op: 'clear' });
  });

  it('answers a bad request with a refusal and goes on serving', async () => {
    await expect(ctl({ op: 'set', stall: 'everything' as never })).rejects.toThrow(/stall must be all, write, fsync or null/);
    await expect(ctl({ op: 'set', latency_ms: -1 })).rejects.toThrow(/latency_ms must be a whole number/);
    await expect(ctl({ op: 'revert' })).rejects.toThrow(/revert comes after a cut/);
    await expect(ctl({ op: 'nonsense' } as never)).rejects.toThrow(/unknown op/);
    expect((await ctl({ op: 'status' })).cut).toBe(false);
    await writeFile('still', 'up');
    expect(backed('still')).toBe('up');
  });

  it('stopFaultFs unmounts it and returns once its program has ended (it held the folder under it open until then)', async () => {
    expect(programsServing(mount)).toHaveLength(1);
    await stopFaultFs(mount);
    expect(isFaultFsMounted(mount)).toBe(false);
    expect(programsServing(mount)).toEqual([]);
    await expect(ctl({ op: 'status' })).rejects.toThrow(/ECONNREFUSED|ENOENT/);
  });
});
