/** What flipdrill hands to ssh: nothing from an inventory can be read as an option. */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SshRunner } from './ssh.ts';

let dir: string;
let savedPath: string | undefined;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-ssh-test-'));
  // A stand-in ssh that records its arguments, one a line, and answers exit 0.
  writeFileSync(path.join(dir, 'ssh'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done >>"${dir}/argv"\necho --- >>"${dir}/argv"\ncat >/dev/null\n`);
  chmodSync(path.join(dir, 'ssh'), 0o755);
  savedPath = process.env.PATH;
  process.env.PATH = `${dir}:${savedPath}`;
});
afterEach(() => {
  process.env.PATH = savedPath;
  rmSync(dir, { recursive: true, force: true });
});

describe('ssh arguments', () => {
  it('end the options with -- before the destination, also when closing the connection', async () => {
    const runner = new SshRunner();
    const host = { name: 'node1', host: 'example-host', user: 'admin', port: 2222, extraArgs: ['-o', 'StrictHostKeyChecking=no'] };
    expect((await runner.run(host, 'true', { user: 'postgres' })).exitCode).toBe(0);
    await runner.close();
    const [run, close] = readFileSync(path.join(dir, 'argv'), 'utf8').split('---\n').map((b) => b.trim().split('\n'));
    expect(run!.slice(-3)).toEqual(['--', 'admin@example-host', 'sudo -n -u postgres bash -s']);
    expect(run!.indexOf('--')).toBe(run!.length - 3);
    expect(close!.slice(-4)).toEqual(['-O', 'exit', '--', 'admin@example-host']);
  });
});
