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
 *                                          clock, recorded requests, state (no auth, never under /v2)
 *   /__meta/<droplet id>/metadata/v1/...   the metadata service as that droplet sees it
 *
 * It listens on 127.0.0.1 unless told another address (a drill runs it where the nodes can reach it).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface SimDroplet {
  id: number;
  name: string;
  region: string;
}

export interface SimIp {
  ip: string;
  region: string;
  dropletId: number | null;
}

export interface SimConfig {
  tokens: string[];
  droplets: SimDroplet[];
  ips: SimIp[];
  /** How long an action stays in-progress. */
  actionDelayMs: number;
  rateLimit: { perHour: number; perMinute: number };
}

export interface SimFault {
  match: { method?: string; pathRegex?: string };
  times: number;
  response?: { status: number; body: unknown; headers?: Record<string, string> };
  mode?: 'hang' | 'reset' | 'delay';
  ms?: number;
}

export interface RecordedRequest {
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  status: number;
}

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
} as const;

export class DoApiSimulator {
  #server: http.Server;
  #sockets = new Set<Socket>();
  #config!: SimConfig;
  #ips = new Map<string, SimIp & { projectId: string; pendingActionId: number | null }>();
  #droplets = new Map<number, SimDroplet>();
  #actions = new Map<number, Action>();
  #nextActionId = 1_000_000;
  #faults: SimFault[] = [];
  #nextFates: { outcome: 'completed' | 'errored'; delayMs?: number }[] = [];
  #clockOffsetMs = 0;
  #perToken = new Map<string, number[]>();
  readonly requests: RecordedRequest[] = [];

  constructor(config: SimConfig) {
    this.reset(config);
    this.#server = http.createServer((req, res) => void this.#handle(req, res));
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

  reset(config: SimConfig): void {
    this.#config = config;
    this.#ips = new Map(config.ips.map((i) => [i.ip, { ...i, projectId: randomUUID(), pendingActionId: null }]));
    this.#droplets = new Map(config.droplets.map((d) => [d.id, d]));
    this.#actions.clear();
    this.#faults = [];
    this.#nextFates = [];
    this.#perToken.clear();
    this.requests.length = 0;
  }

  addFault(fault: SimFault): void {
    this.#faults.push({ ...fault });
  }

  setNextAction(outcome: 'completed' | 'errored', delayMs?: number): void {
    this.#nextFates.push({ outcome, ...(delayMs !== undefined ? { delayMs } : {}) });
  }

  advanceClock(ms: number): void {
    this.#clockOffsetMs += ms;
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
    const url = new URL(req.url ?? '/', 'http://sim');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/$/, '') : url.pathname;
    const raw = await new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => resolve(data));
    });
    let body: unknown;
    let bodyError = false;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        bodyError = true;
      }
    }
    const record: RecordedRequest = { at: this.now(), method: req.method ?? 'GET', path, query: Object.fromEntries(url.searchParams), headers: req.headers, body: bodyError ? raw : body, status: 0 };
    if (path.startsWith('/v2/')) this.requests.push(record);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': randomUUID(), ...headers });
      res.end(status === 204 ? undefined : JSON.stringify(payload));
    };

    if (path.startsWith('/__sim/')) return this.#control(req.method ?? 'GET', path, body, send);
    if (path.startsWith('/__meta/')) return this.#metadata(path, res);
    if (!path.startsWith('/v2/')) return send(...ERR.notFound);

    // Injected faults come first: they stand for whatever the real service might do.
    const fault = this.#faults.find((f) => f.times > 0 && (!f.match.method || f.match.method === req.method) && (!f.match.pathRegex || new RegExp(f.match.pathRegex).test(path)));
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

    const auth = /^bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''));
    const token = auth?.[1]?.trim();
    if (!token || !this.#config.tokens.includes(token)) return send(...ERR.unauthorized);
    const limit = this.#rateLimit(token);
    if (limit.over) return send(...ERR.tooMany, limit.headers);
    this.#settle();
    const ok = (status: number, payload: unknown) => send(status, payload, limit.headers);
    const fail = ([status, payload]: readonly [number, unknown], message?: string) =>
      send(status, message ? { ...(payload as object), message } : payload, limit.headers);

    const m = /^\/v2\/(floating_ips|reserved_ips)(?:\/([^/]+))?(?:\/(actions)(?:\/(\d+))?)?$/.exec(path);
    const actionById = /^\/v2\/actions\/(\d+)$/.exec(path);
    const method = req.method ?? 'GET';
    if (actionById && method === 'GET') {
      const a = this.#actions.get(Number(actionById[1]));
      return a ? ok(200, { action: this.actionView(a) }) : fail(ERR.notFound);
    }
    if (!m) return fail(ERR.notFound);
    const family = m[1] === 'floating_ips' ? 'floating_ip' : 'reserved_ip';
    const ipKey = m[2] ? decodeURIComponent(m[2]) : undefined;

    if (!ipKey) {
      if (method === 'GET') {
        const all = [...this.#ips.values()];
        const perPage = Math.min(200, Number(url.searchParams.get('per_page') ?? 20) || 20);
        const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
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

  #control(method: string, path: string, body: unknown, send: (status: number, payload: unknown) => void): void {
    const b = (body ?? {}) as Record<string, unknown>;
    if (method === 'POST' && path === '/__sim/reset') {
      this.reset({ ...this.#config, ...(b as Partial<SimConfig>) });
      return send(200, { ok: true });
    }
    if (method === 'POST' && path === '/__sim/faults') {
      this.addFault(b as unknown as SimFault);
      return send(200, { ok: true });
    }
    if (method === 'POST' && path === '/__sim/actions/next') {
      this.setNextAction(b.outcome === 'errored' ? 'errored' : 'completed', typeof b.delayMs === 'number' ? b.delayMs : undefined);
      return send(200, { ok: true });
    }
    if (method === 'POST' && path === '/__sim/clock') {
      this.advanceClock(Number(b.advanceMs ?? 0));
      return send(200, { now: iso(this.now()) });
    }
    if (method === 'GET' && path === '/__sim/requests') return send(200, { requests: this.requests });
    if (method === 'GET' && path === '/__sim/state') return send(200, { ...this.state(), actions: this.actions() });
    return send(404, { id: 'not_found', message: 'unknown control route' });
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
