/**
 * The client host as a real process on 127.0.0.1, serving small client modules written in a
 * temporary folder: the contract's answers (acknowledged, failed, unknown, reads, the final read),
 * a client per worker, and a module that cannot be used said in one line by /flipdrill/health.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-client-host-'));
const hosts: ChildProcess[] = [];
afterAll(() => {
  for (const h of hosts) h.kill();
  rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Start the host on a module with this source; resolves with its URL once it answers /flipdrill/health. */
async function host(file: string, source: string, settings: Record<string, string> = { FLIPDRILL_CONNECTION: JSON.stringify({ host: 'pg-primary', port: 5432 }), FLIPDRILL_REPLICAS: '[]' }): Promise<{ url: string; health: { status: number; body: Record<string, unknown> } }> {
  writeFileSync(path.join(dir, file), source);
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'client-host.ts')], {
    env: { ...process.env, PORT: String(port), FLIPDRILL_CLIENT_MODULE: path.join(dir, file), FLIPDRILL_CLIENT_NAME: `./${file}`, ...settings, FLIPDRILL_CLIENT_LOAD_TIMEOUT_MS: '1000' },
    stdio: 'ignore',
  });
  hosts.push(child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(`${url}/flipdrill/health`);
      return { url, health: { status: res.status, body: (await res.json()) as Record<string, unknown> } };
    } catch (error) {
      if (i > 200) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const MEMORY = `
export default async function createClient({ connection }) {
  globalThis.rows ??= new Set();
  globalThis.factories = (globalThis.factories ?? 0) + 1;
  return {
    async write(id) {
      if (id.endsWith('f')) throw Object.assign(new Error('refused'), { outcome: 'failed', code: 'NOPE' });
      if (id.endsWith('u')) throw new Error('connection lost');
      globalThis.rows.add(id);
      return { committed_by: connection.host };
    },
    async read(id) { return globalThis.rows.has(id); },
    async readAll() { return [...globalThis.rows, { id: 'x', committed_by: 'node9' }]; },
  };
}`;

describe('the client host', () => {
  it('takes the connection settings (which hold the password) from the files FLIPDRILL_CONNECTION_FILE and FLIPDRILL_REPLICAS_FILE name', async () => {
    writeFileSync(path.join(dir, 'connection.json'), JSON.stringify({ host: 'from-the-file', port: 5432, password: 'secret' }));
    writeFileSync(path.join(dir, 'replicas.json'), JSON.stringify([{ host: 'replica-from-the-file' }]));
    const source = `export default async function createClient({ connection, replicas }) {
      return { async write(id) { return { committed_by: connection.host + ' ' + replicas[0].host + ' ' + connection.password }; }, async readAll() { return []; } };
    }`;
    const { url, health } = await host('files.mjs', source, { FLIPDRILL_CONNECTION_FILE: path.join(dir, 'connection.json'), FLIPDRILL_REPLICAS_FILE: path.join(dir, 'replicas.json') });
    expect(health.status).toBe(200);
    const res = await fetch(`${url}/flipdrill/writes`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-flipdrill-worker': '1' }, body: JSON.stringify({ id: 'a' }) });
    expect(await res.json()).toEqual({ id: 'a', committed_by: 'from-the-file replica-from-the-file secret' });
  });

  it('serves a module over the contract: 201 acknowledged, 503 failed or unknown, reads, the final read', async () => {
    const { url, health } = await host('memory.mjs', MEMORY);
    expect(health).toEqual({ status: 200, body: { ok: true } });
    const write = (id: string, worker = '1') => fetch(`${url}/flipdrill/writes`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-flipdrill-worker': worker }, body: JSON.stringify({ id }) });
    const ok = await write('a');
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ id: 'a', committed_by: 'pg-primary' });
    const failed = await write('bf');
    expect(failed.status).toBe(503);
    expect(await failed.json()).toEqual({ error: 'refused', outcome: 'failed', code: 'NOPE' });
    const unknown = await write('cu', '2');
    expect(await unknown.json()).toMatchObject({ outcome: 'unknown', error: 'connection lost' });
    expect(await (await fetch(`${url}/flipdrill/writes/a`)).json()).toEqual({ found: true });
    expect(await (await fetch(`${url}/flipdrill/writes/zz`)).json()).toEqual({ found: false });
    expect(await (await fetch(`${url}/flipdrill/writes`)).json()).toEqual({ rows: [{ id: 'a' }, { id: 'x', committed_by: 'node9' }] });
    expect((await fetch(`${url}/flipdrill/setup`, { method: 'POST' })).status).toBe(200);
  });

  it.each([
    ['throws.mjs', 'throw new Error("no config\\nsecond line");', 'client module ./throws.mjs does not load: no config'],
    ['number.mjs', 'export default 42;', 'client module ./number.mjs: its default export must be a function (the client factory), not number'],
    ['half.mjs', 'export default () => ({ write: async () => {} });', 'client module ./half.mjs: the client its factory returns has no readAll function'],
    ['empty.mjs', 'export default () => ({});', 'client module ./empty.mjs: the client its factory returns has no write and no readAll function'],
    ['hangs.mjs', 'await new Promise(() => {}); export default () => ({});', 'client module ./hangs.mjs: loading it did not resolve within 1 s'],
    ['never.mjs', 'export default () => new Promise(() => {});', 'client module ./never.mjs: its factory did not resolve within 1 s'],
  ])('%s: said in one line on /flipdrill/health, and every request refused with it', { timeout: 30_000 }, async (file, source, problem) => {
    const { url, health } = await host(file, source);
    expect(health).toEqual({ status: 500, body: { ok: false, error: problem } });
    const write = await fetch(`${url}/flipdrill/writes`, { method: 'POST', body: JSON.stringify({ id: 'a' }) });
    expect(await write.json()).toEqual({ error: problem, outcome: 'failed', code: 'CLIENT_MODULE' });
  });
});
