/**
 * Contract tests: the real do-wrapper 4.5.1, through our adapter, over a real socket to the
 * simulator on 127.0.0.1, for every case of the simulator spec's acceptance list
 * (shared/reference/digitalocean-flip.md §5.7), then the move algorithm on top of it, including
 * the refusals it must wait out and the ones it must not.
 */
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { DoApiError } from './api.ts';
import { createDoWrapperClient } from './do-wrapper-client.ts';
import { FloatingIpMoveError, moveFloatingIp } from './move-ip.ts';
import { DoApiSimulator, tokenFingerprint, type SimConfig } from './simulator.ts';

const TOKEN = 'dop_v1_test_0123456789abcdef';
const IP = '45.55.96.47';
const config = (over: Partial<SimConfig> = {}): SimConfig => ({
  tokens: [TOKEN],
  droplets: [
    { id: 101, name: 'node1', region: 'nyc3' },
    { id: 102, name: 'node2', region: 'nyc3' },
    { id: 201, name: 'far-away', region: 'ams3' },
  ],
  ips: [{ ip: IP, region: 'nyc3', dropletId: 101 }],
  actionDelayMs: 50,
  rateLimit: { perHour: 5000, perMinute: 250 },
  ...over,
});

let sim: DoApiSimulator;
let base: string;

beforeEach(async () => {
  sim = new DoApiSimulator(config());
  base = `${await sim.listen()}/v2/`;
});
afterEach(async () => {
  await sim.close();
});

/** Poll until `probe` holds, failing after a deadline (actions complete after the simulator's delay). */
async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const client = (token = TOKEN, extra: Parameters<typeof createDoWrapperClient>[1] = {}) => createDoWrapperClient(token, { baseUrl: base, ...extra });
const fast = { pollMs: 20, backoffMs: 20, maxBackoffMs: 40, deadlineMs: 5000 };

describe('the do-wrapper adapter against the simulator (acceptance list)', () => {
  it('1. assign answers an in-progress assign_ip action, sent as {type, droplet_id} with an integer id and the bearer token', async () => {
    const action = await client().assign(IP, 102);
    expect(action).toMatchObject({ status: 'in-progress', type: 'assign_ip', completedAt: null });
    const post = sim.requests.find((r) => r.method === 'POST')!;
    expect(post.path).toBe(`/v2/floating_ips/${IP}/actions`);
    expect(post.body).toEqual({ type: 'assign', droplet_id: 102 });
    // The simulator records which token, never the token itself.
    expect(post.token).toBe(tokenFingerprint(TOKEN));
    expect(post.headers.authorization).toBe('Bearer [redacted]');
    const view = sim.actions().find((a) => a.id === action.id)!;
    expect(view.resource_id).toBe(758603823); // 45.55.96.47 as an unsigned 32-bit integer
  });

  it('2. a second assign while one is pending is refused: 422 "already has a pending event"', async () => {
    await client().assign(IP, 102);
    const error = (await client().assign(IP, 102).catch((e: unknown) => e)) as DoApiError;
    expect(error).toBeInstanceOf(DoApiError);
    expect(error).toMatchObject({ status: 422, id: 'unprocessable_entity', pendingEvent: true, retryable: true });
    expect(error.message).toContain('The floating IP already has a pending event.');
  });

  it('3. polling reaches completed, and only then does the IP belong to the new droplet', async () => {
    const c = client();
    const action = await c.assign(IP, 102);
    expect((await c.getIp(IP)).dropletId).toBe(101);
    expect((await c.getIp(IP)).locked).toBe(true);
    await until('the action to complete', async () => (await c.getAction(IP, action.id)).status === 'completed');
    expect(await c.getIp(IP)).toEqual({ ip: IP, regionSlug: 'nyc3', dropletId: 102, locked: false });
  });

  it('4. a droplet in another region is refused (422), an unknown IP is 404, a wrong token 401 with the JSON body', async () => {
    await expect(client().assign(IP, 201)).rejects.toMatchObject({ status: 422, id: 'unprocessable_entity' });
    await expect(client().getIp('203.0.113.9')).rejects.toMatchObject({ status: 404, id: 'not_found' });
    const unauthorized = (await client('not-the-token').getIp(IP).catch((e: unknown) => e)) as DoApiError;
    expect(unauthorized).toMatchObject({ status: 401, id: 'unauthorized', retryable: false });
    expect(unauthorized.message).toContain('Unable to authenticate you.');
  });

  it('5. an injected 429 carries retry-after, and the rate-limit headers come with successes too', async () => {
    sim.addFault({ match: { method: 'GET' }, times: 1, response: { status: 429, body: { id: 'too_many_requests', message: 'API Rate limit exceeded.' }, headers: { 'retry-after': '7', 'ratelimit-remaining': '0' } } });
    const error = (await client().getIp(IP).catch((e: unknown) => e)) as DoApiError;
    expect(error).toMatchObject({ status: 429, retryAfterSecs: 7, rateLimitRemaining: 0, retryable: true });
    await client().getIp(IP);
    const ok = sim.requests.at(-1)!;
    expect(ok.status).toBe(200);
    // The simulator's own limiter answers 429 with its headers when the burst is spent.
    sim.reset(config({ rateLimit: { perHour: 5000, perMinute: 2 } }));
    await client().getIp(IP);
    await client().getIp(IP);
    await expect(client().getIp(IP)).rejects.toMatchObject({ status: 429, rateLimitRemaining: 0 });
  });

  it('6. getAll works through do-wrapper\'s trailing-slash path and pages with meta.total', async () => {
    sim.reset(config({ ips: Array.from({ length: 30 }, (_, i) => ({ ip: `198.51.100.${i + 1}`, region: 'nyc3', dropletId: null })) }));
    const all = await client().listIps();
    expect(all).toHaveLength(30);
    expect(sim.requests.map((r) => r.path)).toContain('/v2/floating_ips');
  });

  it('7. reserved_ips paths work over the same state, through do-wrapper\'s request helper', async () => {
    const c = client(TOKEN, { paths: 'reserved_ips' });
    const action = await c.assign(IP, 102);
    expect(sim.actions().find((a) => a.id === action.id)?.resource_type).toBe('reserved_ip');
    await until('the action to complete', async () => (await c.getAction(IP, action.id)).status === 'completed');
    expect((await client().getIp(IP)).dropletId).toBe(102);
    expect(sim.requests.some((r) => r.path === `/v2/reserved_ips/${IP}/actions`)).toBe(true);
  });

  it('gives up on a hung API at its own timeout (do-wrapper has none)', async () => {
    sim.addFault({ match: { method: 'GET' }, times: 1, mode: 'hang' });
    await expect(client(TOKEN, { timeoutMs: 200 }).getIp(IP)).rejects.toMatchObject({ status: 0, retryable: true });
  });
});

describe('moving the IP', () => {
  it('moves it, polls the action to completed, and verifies the holder', async () => {
    const result = await moveFloatingIp(client(), IP, 102, fast);
    expect(result).toMatchObject({ outcome: 'moved', from: 101, to: 102, requests: 1, retries: [] });
    expect(result.action?.status).toBe('completed');
    expect(sim.state().ips).toEqual([{ ip: IP, dropletId: 102, locked: false }]);
  });

  it('does nothing when this droplet holds it already (no write: assigning it again would be 422)', async () => {
    const result = await moveFloatingIp(client(), IP, 101, fast);
    expect(result).toMatchObject({ outcome: 'already-held', requests: 0 });
    expect(sim.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('waits out a 429 for as long as retry-after says, and a pending event with backoff, then moves it', async () => {
    sim.addFault({ match: { method: 'POST' }, times: 1, response: { status: 429, body: { id: 'too_many_requests', message: 'API Rate limit exceeded.' }, headers: { 'retry-after': '1' } } });
    sim.addFault({ match: { method: 'POST' }, times: 1, response: { status: 422, body: { id: 'unprocessable_entity', message: 'The floating IP already has a pending event.' } } });
    const waits: number[] = [];
    const result = await moveFloatingIp(client(), IP, 102, { ...fast, sleep: async (ms) => {
      waits.push(ms);
      await new Promise((r) => setTimeout(r, Math.min(ms, 20)));
    } });
    expect(result.outcome).toBe('moved');
    expect(result.requests).toBe(3);
    expect(result.retries).toEqual([
      { status: 429, id: 'too_many_requests', waitedMs: 1000 },
      { status: 422, id: 'unprocessable_entity', waitedMs: 20 },
    ]);
    expect(waits[0]).toBe(1000);
  });

  it('fails at once on 401 and 404, naming what was refused', async () => {
    await expect(moveFloatingIp(client('wrong'), IP, 102, fast)).rejects.toThrow(/reading the IP was refused: GET floating IP 45\.55\.96\.47: 401 unauthorized/);
    await expect(moveFloatingIp(client(), '203.0.113.9', 102, fast)).rejects.toBeInstanceOf(FloatingIpMoveError);
    expect(sim.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('reports an errored action as a failure, and never creates a new IP (do-wrapper\'s assignDroplet)', async () => {
    sim.setNextAction('errored');
    await expect(moveFloatingIp(client(), IP, 102, fast)).rejects.toThrow(/errored/);
    expect(sim.requests.some((r) => r.method === 'POST' && r.path === '/v2/floating_ips')).toBe(false);
  });
});

describe('the token', () => {
  it('never appears in an error message, a serialised error, or the progress lines', async () => {
    const seen: string[] = [];
    const failures: unknown[] = [];
    sim.addFault({ match: { method: 'GET' }, times: 1, mode: 'reset' });
    failures.push(await client().getIp(IP).catch((e: unknown) => e));
    failures.push(await client('dop_v1_wrong_token_value').getIp(IP).catch((e: unknown) => e));
    failures.push(await moveFloatingIp(client(), '203.0.113.9', 102, { ...fast, onProgress: (m) => seen.push(m) }).catch((e: unknown) => e));
    sim.addFault({ match: { method: 'POST' }, times: 2, response: { status: 422, body: { id: 'unprocessable_entity', message: 'The floating IP already has a pending event.' } } });
    await moveFloatingIp(client(), IP, 102, { ...fast, onProgress: (m) => seen.push(m) });
    for (const f of failures) {
      const text = `${String(f)} ${JSON.stringify(f)} ${(f as Error).stack ?? ''} ${JSON.stringify(Object.getOwnPropertyDescriptors(f))}`;
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('dop_v1_wrong_token_value');
      expect((f as Error).cause).toBeUndefined();
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.join('\n')).not.toContain(TOKEN);
  });

  it('is redacted from log lines, wherever a careless caller puts it', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger({ destination, level: 'debug' });
    log.info({ token: TOKEN }, 'config');
    log.info({ request: { headers: { authorization: `Bearer ${TOKEN}` } } }, 'request');
    log.info({ do: { token: TOKEN }, authorization: `Bearer ${TOKEN}` }, 'nested');
    log.warn({ err: new DoApiError(401, 'unauthorized', 'GET floating IP: 401 unauthorized: Unable to authenticate you.') }, 'refused');
    expect(lines).toHaveLength(4);
    expect(lines.join('')).not.toContain(TOKEN);
    expect(lines.join('')).toContain('[redacted]');
  });
});
