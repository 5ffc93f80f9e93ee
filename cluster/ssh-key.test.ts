import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSshKeyPair } from './ssh-key.ts';

const hasSshKeygen = (() => {
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
})();

describe('generateSshKeyPair', () => {
  it('makes a public key line of the ecdsa-sha2-nistp256 shape', () => {
    const { publicKey, privateKey } = generateSshKeyPair('flipdrill-test');
    expect(publicKey).toMatch(/^ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABB[A-Za-z0-9+/=]+ flipdrill-test$/);
    expect(privateKey).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/);
  });

  // OpenSSH itself derives the public key from the private one: both halves must agree.
  it.skipIf(!hasSshKeygen)('is a pair OpenSSH accepts (ssh-keygen -y derives the same public key)', () => {
    const { publicKey, privateKey } = generateSshKeyPair('flipdrill-test');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-key-'));
    try {
      writeFileSync(path.join(dir, 'id'), privateKey, { mode: 0o600 });
      const derived = execFileSync('ssh-keygen', ['-y', '-f', path.join(dir, 'id')]).toString().trim();
      expect(publicKey.startsWith(derived)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
