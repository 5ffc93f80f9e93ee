/** The tar writer, read back by the real tar(1): names, contents, modes and owners as written. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tarOf } from './tar.ts';

describe('tarOf', () => {
  const files = [
    { path: '/run/flipdrill-secrets/POSTGRES_PASSWORD', content: 'p@ss\\word\n', mode: 0o400 },
    { path: '/run/flipdrill-secrets/FLIPDRILL_SSH_PRIVATE_KEY', content: '-----BEGIN KEY-----\n' + 'x'.repeat(700) + '\n-----END KEY-----\n', mode: 0o400 },
  ];

  it('is listed by tar(1) with root as owner and the modes asked for', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-tar-'));
    try {
      writeFileSync(path.join(dir, 'a.tar'), tarOf(files));
      const listing = execFileSync('tar', ['-tvf', path.join(dir, 'a.tar'), '--numeric-owner'], { encoding: 'utf8' }).trim().split('\n');
      expect(listing.map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['drwx------ 0/0', '-r-------- 0/0', '-r-------- 0/0']);
      expect(listing.map((l) => l.split(/\s+/).at(-1))).toEqual(['run/flipdrill-secrets/', 'run/flipdrill-secrets/POSTGRES_PASSWORD', 'run/flipdrill-secrets/FLIPDRILL_SSH_PRIVATE_KEY']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('extracts to exactly the contents written (a file longer than one block, backslashes kept)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-tar-'));
    try {
      execFileSync('tar', ['-xf', '-', '-C', dir], { input: tarOf(files) });
      for (const f of files) {
        expect(readFileSync(path.join(dir, f.path), 'utf8')).toBe(f.content);
        expect(statSync(path.join(dir, f.path)).mode & 0o777).toBe(0o400);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a relative path or one with ..', () => {
    expect(() => tarOf([{ path: 'run/x', content: '', mode: 0o400 }])).toThrow(/absolute/);
    expect(() => tarOf([{ path: '/run/../etc/passwd', content: '', mode: 0o400 }])).toThrow(/plain/);
  });
});
