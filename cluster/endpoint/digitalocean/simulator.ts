/**
 * A DigitalOcean API simulator for floating (reserved) IPs, faithful enough that the real
 * do-wrapper talks to it over a real socket: shared/reference/digitalocean-flip.md §5.
 *
 *   /v2/floating_ips and /v2/reserved_ips  one shared state; root keys and resource_type follow the path
 *   actions                                in-progress, completed after a configurable delay (the
 *                                          assignment changes only then), or errored on request
 *   errors                                 401 / 404 / 422 / 429 with DigitalOcean's bodies and
 *                                          rate-limit headers on every answer
 *   /__sim/...                             the control plane: reset, faults, next action's fate,
 *                                          clock, recorded requests, state (never under /v2); it
 *                                          takes the same bearer tokens as /v2
 *   /__meta/<droplet id>/metadata/v1/...   the metadata service as that droplet sees it (no token,
 *                                          as the real one at 169.254.169.254: it holds no secret)
 *
 * It listens on 127.0.0.1 unless told another address (a drill runs it where the nodes can reach it).
 * Hostile input gets an answer, never its end: every body is validated (422), JSON that does not
 * parse is 400, a body over 256 KiB 413, and a request that fails inside it anyway gets a 500 of its
 * own (`simulator_error`). It never gives a token back: recorded requests carry the Authorization
 * header redacted and the token's fingerprint (`tokenFingerprint`).
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isObject, ms, objectOf, refuse, SimInputError, validFault, validSimConfig, type SimConfig, type SimDroplet, type SimFault, type SimIp } from './sim-input.ts';

export type { SimConfig, SimDroplet, SimFault, SimIp };

export interface RecordedRequest {
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  /** As sent, but Authorization, Proxy-Authorization and Cookie redacted. */
  headers: Record<string, string | string[] | undefined>;
  /** The bearer token sent, as `tokenFingerprint` names it (accepted or not); null without one. */
  token: string | null;
  body: unknown;
  status: number;
}

/**
 * How recorded requests name a token: a prefix of its SHA-256, enough to tell the configured
 * tokens apart (the hook's from flipdrill's) and useless to call the API with.
 */
export function tokenFingerprint(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 16)}`;
}


/** Bodies larger than this are refused (413): the API's and the control plane's are a few hundred bytes. */
export const MAX_BODY_BYTES = 256 * 1024;
/** Requests recorded, the oldest dropped first: more than a drill makes (5,000 an hour per token is the API's limit). */
export const MAX_RECORDED_REQUESTS = 10_000;
/** The largest clock offset: keeps every date the simulator writes a valid one. */
const MAX_CLOCK_OFFSET_MS = 100 * 365 * 86_400_000;

interface Action {
  id: number;
  status: 'in-progress' | 'completed' | 'errored';
  type: 'assign_ip' | 'unassign_ip';
  startedAtMs: number;
  completedAtMs: number | null;
  ip: string;
  family: 'floating_ip' | 'reserved_ip';
  targetDropletId: number | null;
  dueAtMs: number;
  fate: 'completed' | 'errored';
}

const REGIONS: Record<string, { name: string }> = { nyc3: { name: 'New York 3' }, ams3: { name: 'Amsterdam 3' }, fra1: { name: 'Frankfurt 1' } };
const region = (slug: string) => ({ slug, name: REGIONS[slug]?.name ?? slug, features: ['private_networking', 'metadata'], available: true, sizes: ['s-1vcpu-1gb'] });
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
/** resource_id of an IP action: the IPv4 address as an unsigned 32-bit integer. */
const ipToUint32 = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);

const ERR = {
  unauthorized: [401, { id: 'unauthorized', message: 'Unable to authenticate you.' }],
  notFound: [404, { id: 'not_found', message: 'The resource you requested could not be found.' }],
  tooMany: [429, { id: 'too_many_requests', message: 'API Rate limit exceeded.' }],
  badRequest: [400, { id: 'bad_request', message: 'error parsing request body' }],
  invalid: [422, { id: 'unprocessable_entity', message: 'request payload validation failed' }],
  badTarget: [400, { id: 'bad_request', message: 'the request target is not a path' }],
  tooLarge: [413, { id: 'request_too_large', message: `the request body is over ${MAX_BODY_BYTES} bytes` }],
  internal: [500, { id: 'simulator_error', message: 'the simulator failed on this request' }],
} as const;

/** The request's body, whole; 'too large' past `limit` (read and dropped up to 16 times the limit, so the client sees the answer; past that, `whole` is false); undefined if the client went away. */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | { tooLarge: true; whole: boolean } | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
      else chunks.length = 0;
      if (size > limit * 16) {
        req.off('data', onData);
        req.pause();
        resolve({ tooLarge: true, whole: false });
      }
    };
    req.on('data', onData);
    req.on('end', () => resolve(size > limit ? { tooLarge: true, whole: true } : Buffer.concat(chunks, size)));
    req.on('error', () => resolve(undefined));
    req.on('close', () => resolve(undefined));
  });
}

const REDACTED_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];
/** Headers as recorded: credentials replaced by `[redacted]` (an Authorization's scheme kept). */
function redacted(headers: http.IncomingHttpHeaders): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = { ...headers };
  for (const name of REDACTED_HEADERS) {
    const value = out[name];
    if (value === undefined) continue;
    const scheme = name === 'cookie' ? undefined : /^([A-Za-z][\w-]*)\s/.exec(String(value))?.[1];
    out[name] = scheme ? `${scheme} [redacted]` : '[redacted]';
  }
  return out;
}

export class DoApiSimulator {
  #server: http.Server;
  #sockets = new Set<Socket>();
  #config!: SimConfig;
  #ips = new Map<string, SimIp & { projectId: string; pendingActionId: number | null }>();
  #droplets = new Map<number, SimDroplet>();
  #actions = new Map<number, Action>();
  #nextActionId = 1_000_000;
  #faults: (SimFault & { regex?: RegExp })[] = [];
  #nextFates: { outcome: 'completed' | 'errored'; delayMs?: number }[] = [];
  #clockOffsetMs = 0;
  #perToken = new Map<string, number[]>();
  readonly requests: RecordedRequest[] = [];

  constructor(config: SimConfig) {
    this.reset(config);
    this.#server = http.createServer((req, res) => {
      // The last resort: whatever fails inside is this request's 500, never the process's end.
      this.#handle(req, res).catch(() => {
        try {
          if (res.headersSent) res.destroy();
          else {
            res.writeHead(ERR.internal[0], { 'content-type': 'application/json; charset=utf-8' });
            res.end(JSON.stringify(ERR.internal[1]));
          }
        } catch {
          res.destroy();
        }
      });
    });
    this.#server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(port, host, resolve));
    const address = this.#server.address() as AddressInfo;
    return `http://${host}:${address.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  now(): number {
    return Date.now() + this.#clockOffsetMs;
  }

  /** Replaces the whole state; throws SimInputError for a configuration it cannot take. */
  reset(input: SimConfig): void {
    const config = validSimConfig(input);
    this.#config = config;
    this.#ips = new Map(config.ips.map((i) => [i.ip, { ...i, projectId: randomUUID(), pendingActionId: null }]));
    this.#droplets = new Map(config.droplets.map((d) => [d.id, d]));
    this.#actions.clear();
    this.#faults = [];
    this.#nextFates = [];
    this.#perToken.clear();
    this.requests.length = 0;
  }

  /** Queues a fault; throws SimInputError for one it cannot act out (a pathRegex that does not compile...). */
  addFault(fault: SimFault): void {
    this.#faults.push(validFault(fault));
  }

  setNextAction(outcome: 'completed' | 'errored', delayMs?: number): void {
    if (outcome !== 'completed' && outcome !== 'errored') refuse("outcome must be 'completed' or 'errored'");
    this.#nextFates.push({ outcome, ...(delayMs !== undefined ? { delayMs: ms(delayMs, 'delayMs', 3_600_000) } : {}) });
  }

  advanceClock(by: number): void {
    if (typeof by !== 'number' || !Number.isFinite(by) || Math.abs(this.#clockOffsetMs + by) > MAX_CLOCK_OFFSET_MS) refuse(`advanceMs must be a number that keeps the clock within ${MAX_CLOCK_OFFSET_MS} ms of now`);
    this.#clockOffsetMs += by;
  }

  /** Is this one of the configured tokens? (Compared in constant time.) */
  #accepts(token: string | undefined): token is string {
    if (!token) return false;
    const digest = createHash('sha256').update(token, 'utf8').digest();
    return this.#config.tokens.some((t) => timingSafeEqual(createHash('sha256').update(t, 'utf8').digest(), digest));
  }

  /** The assignment table: IP → droplet (after completed actions only). */
  state(): { ips: { ip: string; dropletId: number | null; locked: boolean }[] } {
    this.#settle();
    return { ips: [...this.#ips.values()].map((i) => ({ ip: i.ip, dropletId: i.dropletId, locked: i.pendingActionId !== null })) };
  }

  /** Actions as the API reports them (for reports: how long a move took). */
  actions(): ReturnType<DoApiSimulator['actionView']>[] {
    this.#settle();
    return [...this.#actions.values()].map((a) => this.actionView(a));
  }

  actionView(a: Action) {
    return {
      id: a.id,
      status: a.status,
      type: a.type,
      started_at: iso(a.startedAtMs),
      completed_at: a.completedAtMs === null ? null : iso(a.completedAtMs),
      resource_id: ipToUint32(a.ip),
      resource_type: a.family,
      region: region(this.#ips.get(a.ip)?.region ?? 'nyc3'),
      region_slug: this.#ips.get(a.ip)?.region ?? 'nyc3',
      project_id: this.#ips.get(a.ip)?.projectId ?? randomUUID(),
    };
  }

  /** Complete (or error) every action whose time has come. Lazy: evaluated on every request. */
  #settle(): void {
    const now = this.now();
    for (const a of this.#actions.values()) {
      if (a.status !== 'in-progress' || now < a.dueAtMs) continue;
      a.status = a.fate;
      a.completedAtMs = now;
      const ip = this.#ips.get(a.ip);
      if (!ip) continue;
      if (a.fate === 'completed') ip.dropletId = a.type === 'assign_ip' ? a.targetDropletId : null;
      if (ip.pendingActionId === a.id) ip.pendingActionId = null;
    }
  }

  #ipView(ip: SimIp & { projectId: string; pendingActionId: number | null }) {
    const d = ip.dropletId === null ? null : this.#droplets.get(ip.dropletId);
    return {
      ip: ip.ip,
      region: region(ip.region),
      droplet: d ? { id: d.id, name: d.name, status: 'active', region: region(d.region), networks: { v4: [] } } : null,
      locked: ip.pendingActionId !== null,
      project_id: ip.projectId,
    };
  }

  /** Sliding windows per token; returns the headers, and whether the request is over a limit. */
  #rateLimit(token: string): { headers: Record<string, string>; over: 'hour' | 'minute' | null } {
    const now = this.now();
    const times = (this.#perToken.get(token) ?? []).filter((t) => now - t < 3_600_000);
    const lastMinute = times.filter((t) => now - t < 60_000);
    const { perHour, perMinute } = this.#config.rateLimit;
    const over = times.length >= perHour ? 'hour' : lastMinute.length >= perMinute ? 'minute' : null;
    if (!over) times.push(now);
    this.#perToken.set(token, times);
    const oldest = times[0] ?? now;
    const headers: Record<string, string> = {
      'ratelimit-limit': String(perHour),
      'ratelimit-remaining': String(Math.max(0, perHour - times.length)),
      'ratelimit-reset': String(Math.ceil((oldest + 3_600_000) / 1000)),
    };
    if (over === 'minute') headers['retry-after'] = String(Math.max(1, Math.ceil((lastMinute[0]! + 60_000 - now) / 1000)));
    if (over) headers['ratelimit-remaining'] = '0';
    return { headers, over };
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // The path as sent (no URL resolution: `//` is a path, not a host), one trailing slash dropped.
    const requestTarget = req.url ?? '/';
    const q = requestTarget.indexOf('?');
    const rawPath = q === -1 ? requestTarget : requestTarget.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : requestTarget.slice(q + 1));
    const path = rawPath.length > 1 ? rawPath.replace(/\/$/, '') : rawPath;
    const read = await readBody(req, MAX_BODY_BYTES);
    if (read === undefined) return; // the client went away
    const auth = /^bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''));
    const token = auth?.[1]?.trim();
    const method = req.method ?? 'GET';
    const record: RecordedRequest = { at: this.now(), method, path, query: Object.fromEntries(query), headers: redacted(req.headers), token: token ? tokenFingerprint(token) : null, body: undefined, status: 0 };
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': randomUUID(), ...headers });
      res.end(status === 204 ? undefined : JSON.stringify(payload));
    };
    if (!rawPath.startsWith('/')) return send(...ERR.badTarget);
    if (!Buffer.isBuffer(read)) {
      if (!read.whole) res.once('finish', () => req.destroy());
      return send(...ERR.tooLarge, read.whole ? {} : { connection: 'close' });
    }
    const raw = read.toString('utf8');
    let body: unknown;
    let bodyError = false;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        bodyError = true;
      }
    }
    record.body = bodyError ? raw : body;
    if (path.startsWith('/v2/')) {
      this.requests.push(record);
      if (this.requests.length > MAX_RECORDED_REQUESTS) this.requests.splice(0, this.requests.length - MAX_RECORDED_REQUESTS);
    }

    if (path.startsWith('/__sim/')) {
      if (!this.#accepts(token)) return send(...ERR.unauthorized);
      if (bodyError) return send(...ERR.badRequest);
      return this.#control(method, path, body, send);
    }
    if (path.startsWith('/__meta/')) return this.#metadata(path, res);
    if (!path.startsWith('/v2/')) return send(...ERR.notFound);

    // Injected faults come first: they stand for whatever the real service might do.
    const fault = this.#faults.find((f) => f.times > 0 && (!f.match.method || f.match.method === method) && (!f.regex || f.regex.test(path)));
    if (fault) {
      fault.times -= 1;
      if (fault.mode === 'hang') return; // never answers: the client's own timeout must fire
      if (fault.mode === 'reset') {
        record.status = -1;
        req.socket.resetAndDestroy();
        return;
      }
      if (fault.mode === 'delay') await new Promise((r) => setTimeout(r, fault.ms ?? 1000));
      else if (fault.response) return send(fault.response.status, fault.response.body, fault.response.headers);
    }

    if (!this.#accepts(token)) return send(...ERR.unauthorized);
    const limit = this.#rateLimit(token);
    if (limit.over) return send(...ERR.tooMany, limit.headers);
    this.#settle();
    const ok = (status: number, payload: unknown) => send(status, payload, limit.headers);
    const fail = ([status, payload]: readonly [number, unknown], message?: string) =>
      send(status, message ? { ...(payload as object), message } : payload, limit.headers);

    const m = /^\/v2\/(floating_ips|reserved_ips)(?:\/([^/]+))?(?:\/(actions)(?:\/(\d+))?)?$/.exec(path);
    const actionById = /^\/v2\/actions\/(\d+)$/.exec(path);
    if (actionById && method === 'GET') {
      const a = this.#actions.get(Number(actionById[1]));
      return a ? ok(200, { action: this.actionView(a) }) : fail(ERR.notFound);
    }
    if (!m) return fail(ERR.notFound);
    const family = m[1] === 'floating_ips' ? 'floating_ip' : 'reserved_ip';
    let ipKey: string | undefined;
    try {
      ipKey = m[2] ? decodeURIComponent(m[2]) : undefined;
    } catch {
      return fail(ERR.notFound); // not percent-decodable: no IP has that name
    }

    if (!ipKey) {
      if (method === 'GET') {
        const all = [...this.#ips.values()];
        const perPage = Math.max(1, Math.min(200, Math.trunc(Number(query.get('per_page') ?? 20)) || 20));
        const page = Math.max(1, Math.min(1_000_000, Math.trunc(Number(query.get('page') ?? 1)) || 1));
        return ok(200, { [`${family}s`]: all.slice((page - 1) * perPage, page * perPage).map((i) => this.#ipView(i)), links: {}, meta: { total: all.length } });
      }
      if (method === 'POST') {
        // Creating a new IP: what do-wrapper's misnamed assignDroplet does. Recorded, so tests can
        // show the failover never calls it.
        if (bodyError) return fail(ERR.badRequest);
        const b = (body ?? {}) as { droplet_id?: unknown; region?: unknown };
        if (b.droplet_id !== undefined && b.region !== undefined) return fail(ERR.invalid, 'Cannot specify Droplet and region, they are mutually exclusive.');
        return fail(ERR.invalid, 'this simulator does not create floating IPs');
      }
      return fail(ERR.notFound);
    }
    const ip = this.#ips.get(ipKey);
    if (!ip) return fail(ERR.notFound);
    const noun = family === 'floating_ip' ? 'floating IP' : 'reserved IP';

    if (!m[3]) return method === 'GET' ? ok(200, { [family]: this.#ipView(ip) }) : fail(ERR.notFound);
    if (m[4]) {
      const a = this.#actions.get(Number(m[4]));
      return method === 'GET' && a && a.ip === ip.ip ? ok(200, { action: this.actionView(a) }) : fail(ERR.notFound);
    }
    if (method === 'GET') {
      const list = [...this.#actions.values()].filter((a) => a.ip === ip.ip).map((a) => this.actionView(a));
      return ok(200, { actions: list, links: {}, meta: { total: list.length } });
    }
    if (method !== 'POST') return fail(ERR.notFound);
    if (bodyError) return fail(ERR.badRequest);
    const b = body as { type?: unknown; droplet_id?: unknown } | undefined;
    if (typeof b !== 'object' || b === null || (b.type !== 'assign' && b.type !== 'unassign')) return fail(ERR.invalid);
    if (ip.pendingActionId !== null) return fail(ERR.invalid, `The ${noun} already has a pending event.`);
    let target: SimDroplet | undefined;
    if (b.type === 'assign') {
      const id = Number(b.droplet_id);
      if (!Number.isInteger(id)) return fail(ERR.invalid);
      target = this.#droplets.get(id);
      if (!target) return fail(ERR.invalid, `Droplet ${id} not found.`);
      if (target.region !== ip.region) return fail(ERR.invalid, `The ${noun} and the Droplet must be in the same region.`);
      if ([...this.#ips.values()].some((other) => other.dropletId === id)) return fail(ERR.invalid, 'Droplet already has a floating IP.');
    } else if (ip.dropletId === null) {
      return fail(ERR.invalid, `The ${noun} is not assigned.`);
    }
    const fate = this.#nextFates.shift();
    const now = this.now();
    const action: Action = {
      id: this.#nextActionId++,
      status: 'in-progress',
      type: b.type === 'assign' ? 'assign_ip' : 'unassign_ip',
      startedAtMs: now,
      completedAtMs: null,
      ip: ip.ip,
      family,
      targetDropletId: target?.id ?? null,
      dueAtMs: now + (fate?.delayMs ?? this.#config.actionDelayMs),
      fate: fate?.outcome ?? 'completed',
    };
    this.#actions.set(action.id, action);
    ip.pendingActionId = action.id;
    return ok(201, { action: this.actionView(action) });
  }

  /** The control plane, for a caller holding a token; a body it cannot take is 422 with the reason. */
  #control(method: string, path: string, body: unknown, send: (status: number, payload: unknown) => void): void {
    if (method === 'GET' && path === '/__sim/requests') return send(200, { requests: this.requests });
    if (method === 'GET' && path === '/__sim/state') return send(200, { ...this.state(), actions: this.actions() });
    const routes: Record<string, (b: Record<string, unknown>) => unknown> = {
      '/__sim/reset': (b) => {
        // Fields not given keep their value; the whole is checked before anything changes.
        objectOf(b, 'a reset', ['tokens', 'droplets', 'ips', 'actionDelayMs', 'rateLimit']);
        this.reset({ ...this.#config, ...(b as Partial<SimConfig>) });
        return { ok: true };
      },
      '/__sim/faults': (b) => {
        this.addFault(b as unknown as SimFault);
        return { ok: true };
      },
      '/__sim/actions/next': (b) => {
        objectOf(b, 'the next action', ['outcome', 'delayMs']);
        this.setNextAction(b.outcome as 'completed' | 'errored', b.delayMs as number | undefined);
        return { ok: true };
      },
      '/__sim/clock': (b) => {
        objectOf(b, 'a clock change', ['advanceMs']);
        this.advanceClock(b.advanceMs as number);
        return { now: iso(this.now()) };
      },
    };
    const route = method === 'POST' ? routes[path] : undefined;
    if (!route) return send(404, { id: 'not_found', message: 'unknown control route' });
    const b = body === undefined ? {} : body;
    if (!isObject(b)) return send(ERR.invalid[0], { ...ERR.invalid[1], message: 'the body must be a JSON object' });
    try {
      return send(200, route(b));
    } catch (error) {
      if (error instanceof SimInputError) return send(ERR.invalid[0], { ...ERR.invalid[1], message: error.message });
      throw error;
    }
  }

  /** The metadata service as droplet <id> sees it: text/plain, like 169.254.169.254. */
  #metadata(path: string, res: http.ServerResponse): void {
    this.#settle();
    const m = /^\/__meta\/(\d+)\/metadata\/v1\/(.*)$/.exec(path);
    const droplet = m ? this.#droplets.get(Number(m[1])) : undefined;
    const text = (status: number, value: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(value);
    };
    if (!m || !droplet) return text(404, 'not found');
    const held = [...this.#ips.values()].find((i) => i.dropletId === droplet.id);
    const route = m[2]!;
    if (route === 'id') return text(200, String(droplet.id));
    if (route === 'hostname') return text(200, droplet.name);
    if (route === 'region') return text(200, droplet.region);
    const family = /^(floating_ip|reserved_ip)\/ipv4\/(active|ip_address)$/.exec(route);
    if (family) {
      if (family[2] === 'active') return text(200, held ? 'true' : 'false');
      return held ? text(200, held.ip) : text(404, 'not found');
    }
    return text(404, 'not found');
  }
}
