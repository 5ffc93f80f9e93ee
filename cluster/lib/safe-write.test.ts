/** The writer for files in a folder a user chose: never through a planted link, never half a file. */
import { execFileSync } from 'node:child_process';
import { linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnsafeWriteError, writeFileSafely } from './safe-write.ts';

let dir: string;
let outside: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-safe-write-'));
  outside = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-safe-write-outside-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('writeFileSafely', () => {
  it('writes a new file, mode 0644 whatever the umask, and leaves no temp file', () => {
    const old = process.umask(0o077);
    try {
      writeFileSafely(path.join(dir, 'index.html'), '<p>hello</p>');
    } finally {
      process.umask(old);
    }
    expect(readFileSync(path.join(dir, 'index.html'), 'utf8')).toBe('<p>hello</p>');
    expect(statSync(path.join(dir, 'index.html')).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(['index.html']);
  });

  it('replaces a regular file by renaming over it: a hard link to the old file keeps the old bytes', () => {
    const shadow = path.join(dir, 'shadow');
    writeFileSync(shadow, 'root:$6$secret\n');
    linkSync(shadow, path.join(dir, 'report.json'));
    writeFileSafely(path.join(dir, 'report.json'), '{"new":true}\n');
    expect(readFileSync(path.join(dir, 'report.json'), 'utf8')).toBe('{"new":true}\n');
    expect(readFileSync(shadow, 'utf8')).toBe('root:$6$secret\n');
  });

  it('refuses a symbolic link at the target, to a file or to nowhere, and writes nothing anywhere', () => {
    const target = path.join(outside, 'authorized_keys');
    writeFileSync(target, 'ssh-ed25519 AAAA owner\n');
    symlinkSync(target, path.join(dir, 'index.html'));
    expect(() => writeFileSafely(path.join(dir, 'index.html'), 'planted')).toThrow(UnsafeWriteError);
    expect(() => writeFileSafely(path.join(dir, 'index.html'), 'planted')).toThrow(/index\.html is a symbolic link: not written through/);
    expect(readFileSync(target, 'utf8')).toBe('ssh-ed25519 AAAA owner\n');
    // A dangling link: following it would create the file it names.
    symlinkSync(path.join(outside, 'cron-job'), path.join(dir, 'junit.xml'));
    expect(() => writeFileSafely(path.join(dir, 'junit.xml'), 'planted')).toThrow(/symbolic link/);
    expect(readdirSync(outside)).toEqual(['authorized_keys']);
    expect(lstatSync(path.join(dir, 'index.html')).isSymbolicLink()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['index.html', 'junit.xml']);
  });

  it('refuses a folder or a FIFO at the target at once, without opening it', () => {
    mkdirSync(path.join(dir, 'report.html'));
    expect(() => writeFileSafely(path.join(dir, 'report.html'), 'x')).toThrow(/report\.html is not a regular file/);
    execFileSync('mkfifo', [path.join(dir, 'report.json')]);
    const t0 = Date.now();
    expect(() => writeFileSafely(path.join(dir, 'report.json'), 'x')).toThrow(/report\.json is not a regular file/);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(lstatSync(path.join(dir, 'report.json')).isFIFO()).toBe(true);
  });

  it('says in one line when the folder is not there', () => {
    expect(() => writeFileSafely(path.join(dir, 'missing', 'index.html'), 'x')).toThrow(/^cannot write .*missing\/index\.html: ENOENT$/);
  });
});
