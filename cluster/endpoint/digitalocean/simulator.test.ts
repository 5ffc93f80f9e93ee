/**
 * The simulator against hostile input: its control plane needs its token, it never gives a token
 * back, every malformed request is answered with a 4xx and a JSON error, and no request ends it
 * (in process on 127.0.0.1, and as its own process); then a seeded fuzz of its router.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DoApiSimulator, tokenFingerprint, type SimConfig } from './simulator.ts';
import { seededRandom } from '../../lib/seeded-random.ts';

const TOKEN = 'dop_v1_sim_hostile_0123456789abcdef';
const IP = '203.0.113.10';
const config = (over: Partial<SimConfig> = {}): SimConfig => ({
  tokens: [TOKEN],
  droplets: [
    { id: 101, name: 'node1', region: 'nyc3' },
    { id: 102, name: 'node2', region: 'nyc3' },
  ],
  ips: [{ ip: IP, region: 'nyc3', dropletId: 101 }],
  actionDelayMs: 20,
  rateLimit: { perHour: 5000, perMinute: 250 },
  ...over,
});

interface Answer {
  status: number;
  text: string;
  json: unknown;
}

/**
 * One request, the path sent as given (no URL normalisation): its status and body, or 'reset'
 * when the connection was closed without an answer; rejects only after a deadline.
 */
function request(
  base: string,
  method: string,
  path: string,
  options: { token?: string | null; body?: string | Buffer; agent?: http.Agent; timeoutMs?: number } = {},
): Promise<Answer | 'reset'> {
  const url = new URL(base);
  const token = options.token === undefined ? TOKEN : options.token;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        agent: options.agent ?? false,
        headers: {
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => resolve('reset'));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, json });
        });
      },
    );
    req.setTimeout(options.timeoutMs ?? 3000, () => {
      req.destroy();
      reject(new Error(`no answer to ${method} ${path} within ${options.timeoutMs ?? 3000} ms`));
    });
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? resolve('reset') : reject(error)));
    req.end(options.body);
  });
}

const answered = (a: Answer | 'reset'): Answer => {
  if (a === 'reset') throw new Error('the connection was reset instead of answered');
  return a;
};

describe('the simulator against hostile requests', () => {
  let sim: DoApiSimulator;
  let base: string;
  beforeEach(async () => {
    sim = new DoApiSimulator(config());
    base = await sim.listen();
  });
  afterEach(async () => {
    await sim.close();
  });

  it('its control plane needs a token it accepts, on every route', async () => {
    for (const [method, route, body] of [
      ['GET', '/__sim/state'],
      ['GET', '/__sim/requests'],
      ['POST', '/__sim/reset', '{}'],
      ['POST', '/__sim/faults', JSON.stringify({ match: { method: 'GET' }, times: 1, response: { status: 500, body: {} } })],
      ['POST', '/__sim/actions/next', '{"outcome":"errored"}'],
      ['POST', '/__sim/clock', '{"advanceMs":1000}'],
    ] as const) {
      for (const token of [null, 'dop_v1_not_a_token_of_this_simulator']) {
        const a = answered(await request(base, method, route, { token, ...(body ? { body } : {}) }));
        expect({ route, token, status: a.status, json: a.json }).toEqual({ route, token, status: 401, json: { id: 'unauthorized', message: 'Unable to authenticate you.' } });
      }
    }
    // Nothing of the above changed it.
    expect(answered(await request(base, 'GET', `/v2/floating_ips/${IP}`)).status).toBe(200);
    expect(answered(await request(base, 'GET', '/__sim/state')).status).toBe(200);
  });

  it('never gives a token back: recorded requests say which token by a fingerprint, the header redacted', async () => {
    await request(base, 'GET', `/v2/floating_ips/${IP}`);
    await request(base, 'GET', `/v2/floating_ips/${IP}`, { token: 'dop_v1_a_wrong_token_someone_tried' });
    const a = answered(await request(base, 'GET', '/__sim/requests'));
    expect(a.status).toBe(200);
    expect(a.text).not.toContain(TOKEN);
    expect(a.text).not.toContain('dop_v1_a_wrong_token_someone_tried');
    const { requests } = a.json as { requests: { headers: Record<string, string>; token: string | null }[] };
    expect(requests.map((r) => [r.headers.authorization, r.token])).toEqual([
      ['Bearer [redacted]', tokenFingerprint(TOKEN)],
      ['Bearer [redacted]', tokenFingerprint('dop_v1_a_wrong_token_someone_tried')],
    ]);
    expect(tokenFingerprint(TOKEN)).not.toContain(TOKEN.slice(-8));
  });

  it.each([
    ['GET //', 'GET', '//', undefined, 404],
    ['a path that is not percent-decodable', 'GET', `/v2/floating_ips/%E0%A4%A`, undefined, 404],
    ['its actions, not percent-decodable', 'POST', `/v2/floating_ips/%E0%A4%A/actions`, '{"type":"assign","droplet_id":102}', 404],
    ['a fault whose pathRegex does not compile', 'POST', '/__sim/faults', JSON.stringify({ match: { pathRegex: '(' }, times: 1, response: { status: 500, body: {} } }), 422],
    ['a fault with a status HTTP has not', 'POST', '/__sim/faults', JSON.stringify({ match: {}, times: 1, response: { status: 5, body: {} } }), 422],
    ['a fault with a header HTTP cannot carry', 'POST', '/__sim/faults', JSON.stringify({ match: {}, times: 1, response: { status: 500, body: {}, headers: { 'x-a': 'line\nbreak' } } }), 422],
    ['a fault without a count', 'POST', '/__sim/faults', JSON.stringify({ match: {}, response: { status: 500, body: {} } }), 422],
    ['a reset whose ips are not a list', 'POST', '/__sim/reset', '{"ips": 5}', 422],
    ['a reset whose droplets are not droplets', 'POST', '/__sim/reset', '{"droplets": [{"id": "x"}]}', 422],
    ['a reset that names a field it does not have', 'POST', '/__sim/reset', '{"tokenz": []}', 422],
    ['a control body that is not JSON', 'POST', '/__sim/reset', '{"ips": [', 400],
    ['a control body that is not an object', 'POST', '/__sim/faults', '[1,2]', 422],
    ['a clock advanced by something not a number', 'POST', '/__sim/clock', '{"advanceMs":"soon"}', 422],
    ['a clock advanced out of the range of dates', 'POST', '/__sim/clock', '{"advanceMs":1e300}', 422],
    ['a next action with an outcome it does not know', 'POST', '/__sim/actions/next', '{"outcome":"exploded"}', 422],
    ['a next action with a negative delay', 'POST', '/__sim/actions/next', '{"outcome":"completed","delayMs":-5}', 422],
  ])('%s: answered %s with a JSON error, and it still serves', async (_what, method, route, body, status) => {
    const a = answered(await request(base, method, route, body === undefined ? {} : { body }));
    expect(a.status).toBe(status);
    expect(a.json).toMatchObject({ id: expect.any(String), message: expect.any(String) });
    // Still up, still sane: a read, an action and the control plane all answer.
    expect(answered(await request(base, 'GET', `/v2/floating_ips/${IP}`)).status).toBe(200);
    expect(answered(await request(base, 'POST', `/v2/floating_ips/${IP}/actions`, { body: '{"type":"assign","droplet_id":102}' })).status).toBe(201);
    expect(answered(await request(base, 'GET', '/__sim/state')).status).toBe(200);
  });

  it('a body over its limit is refused with 413, not collected without end', async () => {
    const a = answered(await request(base, 'POST', '/__sim/reset', { body: `{"tokens":["${'x'.repeat(2 * 1024 * 1024)}"]}` }));
    expect(a.status).toBe(413);
    expect(a.json).toMatchObject({ id: 'request_too_large' });
    expect(answered(await request(base, 'GET', '/__sim/state')).status).toBe(200);
  });

  it('a well-formed control call still does what it did', async () => {
    const fault = { match: { method: 'GET', pathRegex: '^/v2/floating_ips/' }, times: 1, response: { status: 503, body: { id: 'service_unavailable', message: 'later' }, headers: { 'retry-after': '1' } } };
    expect(answered(await request(base, 'POST', '/__sim/faults', { body: JSON.stringify(fault) })).status).toBe(200);
    const refused = answered(await request(base, 'GET', `/v2/floating_ips/${IP}`));
    expect([refused.status, refused.json]).toEqual([503, { id: 'service_unavailable', message: 'later' }]);
    expect(answered(await request(base, 'GET', `/v2/floating_ips/${IP}`)).status).toBe(200);
    expect(answered(await request(base, 'POST', '/__sim/reset', { body: JSON.stringify({ ips: [{ ip: '198.51.100.7', region: 'nyc3', dropletId: null }] }) })).status).toBe(200);
    expect(answered(await request(base, 'GET', '/__sim/state')).json).toMatchObject({ ips: [{ ip: '198.51.100.7', dropletId: null, locked: false }] });
  });
});

describe('the simulator as a process', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('is still up after each request that used to end it', { timeout: 30_000 }, async () => {
    child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'simulator-main.ts')], {
      env: {
        PATH: process.env.PATH ?? '',
        SIM_TOKENS: TOKEN,
        SIM_PORT: '0',
        SIM_DROPLETS: JSON.stringify(config().droplets),
        SIM_IPS: JSON.stringify(config().ips),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = child;
    let stderr = '';
    proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const base = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`the simulator did not say where it listens within 15 s: ${stderr}`)), 15_000);
      proc.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      proc.on('exit', (code) => reject(new Error(`the simulator exited (${code}) before listening: ${stderr}`)));
    });
    const hostile: [string, string, string | undefined][] = [
      ['GET', '//', undefined],
      ['POST', '/__sim/faults', JSON.stringify({ match: { pathRegex: '(' }, times: 1, response: { status: 500, body: {} } })],
      ['POST', '/__sim/reset', '{"ips": 5}'],
      ['GET', '/v2/floating_ips/%E0%A4%A', undefined],
    ];
    for (const [method, route, body] of hostile) {
      const outcome = (a: Answer | 'reset' | string) => (typeof a === 'string' ? a : a.status);
      const a = await request(base, method, route, body === undefined ? {} : { body }).catch((error: Error) => error.message);
      // Whatever it answered, the process is still there and still answers, after a /v2 request too.
      const after = await request(base, 'GET', `/v2/floating_ips/${IP}`).catch((error: Error) => error.message);
      const state = await request(base, 'GET', '/__sim/state').catch((error: Error) => error.message);
      const answer = outcome(a);
      expect({ request: `${method} ${route}`, exited: proc.exitCode, refused: typeof answer === 'number' && answer >= 400 && answer < 500, after: outcome(after), state: outcome(state) }).toEqual({
        request: `${method} ${route}`,
        exited: null,
        refused: true,
        after: 200,
        state: 200,
      });
    }
    expect(stderr).not.toMatch(/Error|Unhandled/);
  });
});

describe('the simulator fuzzed', () => {
  it('answers or refuses 3,000 random and malformed requests, never with its own 500, and stays up', { timeout: 60_000 }, async () => {
    const SEED = 31_4_5;
    const rnd = seededRandom(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const int = (n: number) => Math.floor(rnd() * n);
    const junk = (n: number) => Array.from({ length: int(n) }, () => pick(['a', '/', '%', '%E0', '%A4%A', '%00', '..', '?', '&', '=', '#', '(', '[', '\\', '~', '203.0.113.10', '1', '-1', 'é'])).join('');
    const anyValue = (depth = 0): unknown =>
      depth > 2
        ? pick([null, 0, -1, 1e300, 'x', true, '('])
        : pick([() => null, () => int(1000) - 500, () => junk(6), () => [anyValue(depth + 1), anyValue(depth + 1)], () => ({ [pick(['ips', 'droplets', 'tokens', 'status', 'x'])]: anyValue(depth + 1) }), () => rnd() < 0.5])();
    const fault = () =>
      JSON.stringify({
        match: { method: pick(['GET', 'POST', 'get', 5, undefined]), pathRegex: pick(['(', '^/v2/', '[a-', '/actions$', '(a', 7, undefined]) },
        times: pick([1, 1, 2, 0, -1, 'x', 2.5, undefined]),
        ...pick([
          { response: { status: pick([200, 429, 500, 503, 5, 1000, '500']), body: anyValue(), headers: pick([undefined, { 'retry-after': '1' }, { 'bad header': 'x' }, { x: 'a\r\nb' }, { 'content-length': '9' }, 5]) } },
          { mode: pick(['reset', 'explode', 5]) },
          { mode: 'reset', response: { status: 200, body: {} } },
          {},
        ]),
      });
    const control: Record<string, () => string | undefined> = {
      faults: fault,
      reset: () => JSON.stringify(pick([{}, { ips: anyValue() }, { droplets: anyValue() }, { actionDelayMs: anyValue() }, { rateLimit: anyValue() }, { tokens: pick([[TOKEN], TOKEN, [], [5], [`${TOKEN} x`]]) }, { ips: [{ ip: pick([IP, '999.1.1.1', '1.2.3']), region: 'nyc3', dropletId: pick([101, null, 'x']) }] }])),
      'actions/next': () => JSON.stringify({ outcome: pick(['errored', 'completed', 'x', 5]), delayMs: pick([0, 10, -1, 'x', 1e12, undefined]) }),
      clock: () => JSON.stringify({ advanceMs: pick([0, 1000, -1000, 'x', 1e300, null, undefined]) }),
    };
    const bodies: (() => string | undefined)[] = [
      () => undefined,
      () => junk(10),
      () => JSON.stringify(anyValue()),
      () => JSON.stringify({ type: pick(['assign', 'unassign', 'x', 5]), droplet_id: pick([101, 102, '102', 9, null, 1.5]) }),
      ...Object.values(control),
    ];
    const paths = [
      () => '/',
      () => '//',
      () => `/v2/${junk(4)}`,
      () => `/v2/floating_ips/${pick([IP, '%E0%A4%A', junk(3), ''])}${pick(['', '/actions', '/actions/1000000', `/actions/${junk(2)}`, '/'])}${pick(['', '?per_page=x&page=-1', '?%E0=1', `?${junk(4)}`])}`,
      () => `/v2/reserved_ips/${IP}/actions`,
      () => `/v2/actions/${pick(['1000000', junk(2)])}`,
      () => `/__sim/${pick(['reset', 'faults', 'actions/next', 'clock', 'requests', 'state', junk(3)])}`,
      () => `/__meta/${pick(['101', '102', junk(3)])}/metadata/v1/${pick(['id', 'hostname', 'region', 'floating_ip/ipv4/active', junk(3)])}`,
      () => `/${junk(8)}`,
    ];
    const sim = new DoApiSimulator(config({ rateLimit: { perHour: 100_000, perMinute: 100_000 } }));
    const base = await sim.listen();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const started = Date.now();
    try {
      let ownErrors = 0;
      let resets = 0;
      let resetsArmed = 0;
      const seen = new Set<number>();
      for (let batch = 0; batch < 375; batch++) {
        const requests = Array.from({ length: 8 }, () => {
          const token = pick([TOKEN, TOKEN, TOKEN, null, 'dop_v1_wrong']);
          const kind = rnd();
          if (kind < 0.3) {
            // The control plane, with bodies that are nearly right.
            const route = pick(Object.keys(control));
            return { method: pick(['POST', 'POST', 'GET']), route: `/__sim/${route}`, body: control[route]!(), token };
          }
          if (kind < 0.5) return { method: pick(['GET', 'POST']), route: `/v2/floating_ips/${IP}${pick(['', '/actions'])}`, body: bodies[3]!(), token };
          return { method: pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']), route: pick(paths)(), body: pick(bodies)(), token };
        });
        const answers = await Promise.all(requests.map((r) => request(base, r.method, r.route, { token: r.token, agent, timeoutMs: 5000, ...(r.body === undefined ? {} : { body: r.body }) }).then((a) => ({ r, a }))));
        for (const { r, a } of answers) {
          if (a === 'reset') {
            resets += 1;
            continue;
          }
          expect(a.status, `${r.method} ${r.route} ${r.body ?? ''}`).toBeGreaterThanOrEqual(200);
          expect(a.status).toBeLessThan(1000);
          seen.add(a.status);
          if (r.method === 'POST' && r.route === '/__sim/faults' && a.status === 200) {
            const f = JSON.parse(r.body!) as { mode?: string; times: number };
            if (f.mode === 'reset') resetsArmed += f.times;
          }
          if ((a.json as { id?: string } | undefined)?.id === 'simulator_error') ownErrors += 1;
        }
      }
      expect(ownErrors).toBe(0);
      // It reached the routes, the token checks and the validators, not only the 404.
      for (const status of [200, 201, 400, 401, 404, 422]) expect(seen).toContain(status);
      // Injected 'reset' faults are the only way a connection closes without an answer.
      expect(resets).toBeLessThanOrEqual(resetsArmed);
      expect(unhandled).toEqual([]);
      // Still up, and its state still readable.
      expect(answered(await request(base, 'GET', '/__sim/state')).status).toBe(200);
      expect(Date.now() - started).toBeLessThan(50_000);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      agent.destroy();
      await sim.close();
    }
  });
});
