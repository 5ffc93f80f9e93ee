/** Requests refused before any database work are answered 4xx with outcome "failed", never 500 "unknown". */
import type { Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from './db.ts';
import { createApp, listen } from './server.ts';

describe('client errors', () => {
  let server: Server;
  let url: string;
  let writes = 0;
  const db = {
    profile: 'aware',
    countries: {
      create: async (row: unknown) => {
        writes += 1;
        return row;
      },
    },
  } as unknown as Database;

  beforeAll(async () => {
    server = await listen(createApp(db, pino({ level: 'silent' }), { schemaReady: () => true }), 0, '127.0.0.1');
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/countries`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const body = JSON.stringify({ id: '5b7e6f7e-1111-4111-8111-111111111111', name: 'Portugal' });

  it.each([
    ['a 20 KB body', { 'content-type': 'application/json' }, JSON.stringify({ id: '5b7e6f7e-1111-4111-8111-111111111111', name: 'x'.repeat(20_000) }), 413],
    ['an unsupported charset', { 'content-type': 'application/json; charset=ebcdic' }, body, 415],
    ['a bogus gzip body', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, 'not gzip at all', 400],
    ['an unknown encoding', { 'content-type': 'application/json', 'content-encoding': 'zstd-plus' }, body, 415],
    ['malformed JSON', { 'content-type': 'application/json' }, '{"id":', 400],
  ])('%s: %i, outcome failed', async (_what, headers, payload, status) => {
    const res = await fetch(url, { method: 'POST', headers, body: payload });
    expect(res.status).toBe(status);
    const answer = (await res.json()) as { outcome: string; error: string };
    expect(answer.outcome).toBe('failed');
    expect(answer.error.length).toBeLessThan(300);
    expect(writes).toBe(0);
  });

  it('a valid gzip body still writes (the checks above do not refuse good requests)', async () => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(body) });
    expect(res.status).toBe(201);
    expect(writes).toBe(1);
  });
});
