import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../cluster/index.ts';
import { runCommand } from './run-command.ts';

function integrationTests(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name.startsWith('.') ? [] : integrationTests(file);
    return entry.name.endsWith('.int.test.ts') ? [file] : [];
  });
}

describe('runCommand', () => {
  it('gives the exit status and both outputs of a real process', async () => {
    const r = await runCommand('sh', ['-c', 'echo out; echo err >&2; exit 3']);
    expect(r).toEqual({ status: 3, signal: null, stdout: 'out\n', stderr: 'err\n' });
  });

  it('kills a process that outlives its deadline', async () => {
    const r = await runCommand('sleep', ['30'], { timeoutMs: 200 });
    expect(r.status).toBeNull();
    expect(r.signal).toBe('SIGKILL');
  });

  it('leaves the worker free while the child runs: a timer fires meanwhile', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    await runCommand('sleep', ['0.5']);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(5);
  });

  it('is what integration tests use: none of them runs a child process synchronously', () => {
    const offenders = ['app', 'cluster', 'harness']
      .flatMap((dir) => integrationTests(path.join(REPO_ROOT, dir)))
      .filter((file) => /\b(spawnSync|execSync|execFileSync)\b/.test(readFileSync(file, 'utf8')))
      .map((file) => path.relative(REPO_ROOT, file));
    expect(offenders).toEqual([]);
  });
});
