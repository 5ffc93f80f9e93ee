/** The flipdrill command as a person uses it: up, status --json, down, and Ctrl-C in a drill. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, removeClusters } from '../cluster/index.ts';
import { leftovers, testDocker } from './test-support/docker.ts';
import { runFlipdrill, type CommandResult } from './test-support/run-command.ts';

const runsDir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-cli-runs-'));

function flipdrill(args: string[]): Promise<CommandResult> {
  return runFlipdrill(args, { env: { ...process.env, FLIPDRILL_NO_DOCKER_INSTALL: '1' } });
}

const UP = ['--name', 'fdtest-cli', '--port-base', '26432', '--app-port', '29080', '--back-subnet', '10.213.21.0/24', '--front-subnet', '10.213.22.0/24'];
const DRILL = ['--name', 'fdtest-int', '--port-base', '27432', '--app-port', '29180', '--back-subnet', '10.213.31.0/24', '--front-subnet', '10.213.32.0/24', '--runs-dir', runsDir];

afterAll(async () => {
  const docker = await testDocker();
  for (const name of ['fdtest-cli', 'fdtest-int']) await removeClusters(docker, createLogger(), name);
  rmSync(runsDir, { recursive: true, force: true });
});

describe('flipdrill up, status --json, down', () => {
  it('up leaves the cluster and the app running, status reports them, down removes everything', async () => {
    const up = await flipdrill(['up', ...UP]);
    expect(up.stderr).not.toMatch(/flipdrill: /);
    expect(up.status).toBe(0);

    const status = await flipdrill(['status', '--json', ...UP]);
    expect(status.status).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual({
      nodes: [
        { name: 'node1', role: 'primary', container: 'fdtest-cli-node1' },
        { name: 'node2', role: 'standby', container: 'fdtest-cli-node2' },
        { name: 'node3', role: 'witness', container: 'fdtest-cli-node3' },
      ],
      endpoint: { kind: 'docker-alias', holder: 'node1' },
      agent: { container: 'fdtest-cli-endpoint-agent', running: true },
      app: { url: 'http://127.0.0.1:29080' },
    });

    // The app writes through the endpoint and answers with the database's own stamps.
    const id = '0b7e6f7e-2222-4222-8222-222222222222';
    const res = await fetch('http://127.0.0.1:29080/countries', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id, name: 'Portugal', is_eu_member: true }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ id, name: 'Portugal', committed_by: 'node1', committed_timeline: 1 });

    // A second up with the same cluster running is not an error and creates nothing.
    expect((await flipdrill(['up', ...UP])).status).toBe(0);

    const down = await flipdrill(['down', '--name', 'fdtest-cli']);
    expect(down.status).toBe(0);
    expect(await leftovers('fdtest-cli')).toEqual([]);
    expect((await flipdrill(['status', '--json', ...UP])).stderr.trim()).toBe('flipdrill: no cluster named "fdtest-cli" is running (run: npm run flipdrill -- up)');
  });

  it('refuses a port that is taken, with one line, and creates nothing', async () => {
    const net = await import('node:net');
    const blocker = net.createServer().listen(26434, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    try {
      const up = await flipdrill(['up', ...UP]);
      expect(up.status).toBe(2);
      expect(up.stderr.trim().split('\n').at(-1)).toBe(
        'flipdrill: port 26434 on 127.0.0.1 is already in use (free it, or choose other ports with --port-base / --app-port)',
      );
      expect(await leftovers('fdtest-cli')).toEqual([]);
    } finally {
      blocker.close();
    }
  });
});

describe('Ctrl-C in the middle of a drill', () => {
  it('stops the drill with exit code 130 and removes everything it created', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'harness/cli.ts', 'drill', ...DRILL], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no warm-up after 120 s: ${stderr}`)), 120_000);
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
        if (stderr.includes('warming up')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('flipdrill: drill interrupted; everything it created is removed; run folder: ');
    expect(await leftovers('fdtest-int')).toEqual([]);
  });
});
