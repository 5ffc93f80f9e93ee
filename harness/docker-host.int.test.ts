/**
 * DOCKER_HOST, read as docker's own CLI reads it. tcp: the test puts the engine's API on a tcp
 * port of 127.0.0.1 (a forwarder to the engine's socket, counting its connections), and a whole
 * drill runs through it, the endpoint agent included (on the host's network, where that address
 * is). unix: the socket named explicitly. A DOCKER_HOST flipdrill cannot use: one line, exit 2.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, removeClusters } from '../cluster/index.ts';
import { leftovers, testDocker } from './test-support/docker.ts';
import { runCommand, runFlipdrill } from './test-support/run-command.ts';

const runsDir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-docker-host-'));
const TCP = ['--name', 'fdtest-dh-tcp', '--port-base', '26532', '--app-port', '26580', '--back-subnet', '10.213.95.0/24', '--front-subnet', '10.213.96.0/24'];
const UNIX = ['--name', 'fdtest-dh-unix', '--port-base', '26632', '--app-port', '26680', '--back-subnet', '10.213.97.0/24', '--front-subnet', '10.213.98.0/24'];

let forwarder: net.Server;
let port = 0;
let connections = 0;

beforeAll(async () => {
  forwarder = net.createServer((client) => {
    connections += 1;
    const engine = net.connect('/var/run/docker.sock');
    client.pipe(engine).pipe(client);
    const end = () => {
      client.destroy();
      engine.destroy();
    };
    client.on('error', end);
    engine.on('error', end);
  });
  await new Promise<void>((resolve) => forwarder.listen(0, '127.0.0.1', resolve));
  port = (forwarder.address() as net.AddressInfo).port;
});

afterAll(async () => {
  for (const name of ['fdtest-dh-tcp', 'fdtest-dh-unix']) await removeClusters(await testDocker(), createLogger(), name);
  await new Promise<void>((resolve) => forwarder.close(() => resolve()));
  rmSync(runsDir, { recursive: true, force: true });
});

const env = (dockerHost: string) => ({ ...process.env, DOCKER_HOST: dockerHost, FLIPDRILL_NO_DOCKER_INSTALL: '1' });

describe('DOCKER_HOST', () => {
  it('tcp://127.0.0.1:<port>: up, a kill-primary drill on that cluster, and down all go through it; the agent runs on the host network', async () => {
    const dockerHost = `tcp://127.0.0.1:${port}`;
    const up = await runFlipdrill(['up', ...TCP], { env: env(dockerHost) });
    expect(up.stderr).not.toMatch(/flipdrill: /);
    expect(up.status).toBe(0);
    expect(connections).toBeGreaterThan(0);
    const mode = await runCommand('docker', ['inspect', '-f', '{{.HostConfig.NetworkMode}}', 'fdtest-dh-tcp-endpoint-agent']);
    expect(mode.stdout.trim()).toBe('host');

    // The agent itself reaches the engine through the forwarder: it moves the endpoint in the drill.
    const before = connections;
    const drill = await runFlipdrill(['drill', ...TCP, '--runs-dir', runsDir, '--warmup', '2', '--settle', '2'], { env: env(dockerHost) });
    expect(drill.stdout).toContain('verdict: PASS');
    expect(drill.stdout).toMatch(/endpoint move {4}to node2/);
    expect(drill.status).toBe(0);
    expect(connections).toBeGreaterThan(before);

    const down = await runFlipdrill(['down', '--name', 'fdtest-dh-tcp'], { env: env(dockerHost) });
    expect(down.status).toBe(0);
    expect(await leftovers('fdtest-dh-tcp')).toEqual([]);
  });

  it('unix:///var/run/docker.sock: a kill-primary drill', async () => {
    const drill = await runFlipdrill(['drill', ...UNIX, '--runs-dir', runsDir, '--warmup', '2', '--settle', '2'], { env: env('unix:///var/run/docker.sock') });
    expect(drill.stdout).toContain('verdict: PASS');
    expect(drill.status).toBe(0);
    expect(await leftovers('fdtest-dh-unix')).toEqual([]);
  });

  it.each([
    ['ssh://me@somewhere', 'flipdrill: DOCKER_HOST=ssh://me@somewhere: flipdrill reaches an engine over unix:// or tcp:// only'],
    ['tcp://127.0.0.1:1', 'flipdrill: no Docker engine answers at tcp://127.0.0.1:1 (DOCKER_HOST) (start that engine, or unset DOCKER_HOST to use the local one)'],
  ])('DOCKER_HOST=%s: one line, exit 2, no cluster', async (dockerHost, line) => {
    const r = await runFlipdrill(['up', '--name', 'fdtest-dh-bad', '--port-base', '26732', '--app-port', '26780', '--back-subnet', '10.213.99.0/24', '--front-subnet', '10.213.100.0/24'], { env: env(dockerHost) });
    expect(r.stderr.trim().split('\n')[0]).toBe(line);
    expect(r.status).toBe(2);
    expect(await leftovers('fdtest-dh-bad')).toEqual([]);
  });
});
