/**
 * The delay process is found by its pid file only if the file names it: a pid file that outlived
 * its process (a node killed and started again keeps its /run) may name any process by then, and
 * taking a shape off must never signal it. Run with real processes and bash on this machine.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { delayPidScript } from './net-shape.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-net-shape-'));
const file = path.join(dir, 'delay.pid');
const started: ChildProcess[] = [];
// The interpreter itself, not a shim in front of it (a shim passes through other programs first).
const python3 = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
afterEach(() => {
  for (const p of started.splice(0)) p.kill('SIGKILL');
});

function start(command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: 'ignore' });
  started.push(child);
  return child;
}
/** What the script finds, given the pid file's contents. */
function found(contents: string | undefined): string {
  rmSync(file, { force: true });
  if (contents !== undefined) writeFileSync(file, contents);
  return spawnSync('bash', ['-c', `${delayPidScript(file)}; printf %s "$pid"`], { encoding: 'utf8' }).stdout;
}
/** Until the process runs the program asked for: at most 5 s. */
async function running(child: ChildProcess, comm: string): Promise<void> {
  const deadline = Date.now() + 5000;
  const argv = (): string => spawnSync('cat', [`/proc/${child.pid}/cmdline`], { encoding: 'utf8' }).stdout;
  while (spawnSync('cat', [`/proc/${child.pid}/comm`], { encoding: 'utf8' }).stdout.trim() !== comm || !argv().endsWith(`${(child.spawnargs.at(-1) ?? '')}\0`)) {
    if (Date.now() > deadline) throw new Error(`${child.spawnargs.join(' ')} did not start`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the delay process, found by its pid file', () => {
  it('is the python3 whose last argument is the pid file', async () => {
    const delay = start(python3, ['-c', 'import time; time.sleep(60)', '4207', '100', '0', file]);
    await running(delay, 'python3');
    expect(found(String(delay.pid))).toBe(String(delay.pid));
  });

  it('is not another process the pid now names (postgres, a shell, a python3 of something else)', async () => {
    const sleeper = start('sleep', ['60']);
    const other = start(python3, ['-c', 'import time; time.sleep(60)', '/some/other.pid']);
    const quoting = start('bash', ['-c', `sleep 60; echo ${file}`]);
    await Promise.all([running(sleeper, 'sleep'), running(other, 'python3'), running(quoting, 'bash')]);
    expect(found(String(sleeper.pid))).toBe('');
    expect(found(String(other.pid))).toBe('');
    expect(found(String(quoting.pid))).toBe('');
  });

  it('is nothing for a missing file, an empty one, a pid that is not a number or names no process', () => {
    expect(found(undefined)).toBe('');
    expect(found('')).toBe('');
    expect(found('1; rm -rf /')).toBe('');
    expect(found('999999999')).toBe('');
  });
});

process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
