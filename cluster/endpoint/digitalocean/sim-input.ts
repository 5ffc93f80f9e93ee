/**
 * What the DigitalOcean simulator takes from outside, checked: its configuration (tokens, droplets,
 * IPs, timing) and the faults its control plane is given. Anything else is refused with a
 * SimInputError, which the simulator answers with 422 and its message.
 */
import http from 'node:http';

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

/** Input the simulator refuses (a control body, or a configuration): the HTTP answer is 422 with its message. */
export class SimInputError extends Error {}

// Validation of what the control plane and the configuration take: each throws SimInputError.

export const refuse = (message: string): never => {
  throw new SimInputError(message);
};
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export function objectOf(v: unknown, what: string, keys: readonly string[]): Record<string, unknown> {
  if (!isObject(v)) return refuse(`${what} must be an object`);
  const unknown = Object.keys(v).filter((k) => !keys.includes(k));
  if (unknown.length) refuse(`${what} has no field ${unknown.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')} (it has ${keys.join(', ')})`);
  return v;
}
export function listOf<T>(v: unknown, what: string, max: number, item: (x: unknown, what: string) => T, min = 0): T[] {
  if (!Array.isArray(v)) return refuse(`${what} must be a list`);
  if (v.length < min || v.length > max) refuse(`${what} must hold ${min} to ${max} entries`);
  return v.map((x, i) => item(x, `${what}[${i}]`));
}
export function text(v: unknown, what: string, max = 255): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) return refuse(`${what} must be a string of 1 to ${max} characters`);
  return v;
}
export function whole(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) return refuse(`${what} must be a whole number from ${min} to ${max}`);
  return v;
}
export function ms(v: unknown, what: string, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > max) return refuse(`${what} must be a number of milliseconds from 0 to ${max}`);
  return v;
}
const droplet = (v: unknown, what: string): SimDroplet => {
  const d = objectOf(v, what, ['id', 'name', 'region']);
  return { id: whole(d.id, `${what}.id`, 1, Number.MAX_SAFE_INTEGER), name: text(d.name, `${what}.name`), region: text(d.region, `${what}.region`, 64) };
};
const ipv4 = (v: unknown, what: string): string => {
  const s = text(v, what, 15);
  const octets = s.split('.');
  if (octets.length !== 4 || !octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) refuse(`${what} must be an IPv4 address`);
  return s;
};
const simIp = (v: unknown, what: string): SimIp => {
  const i = objectOf(v, what, ['ip', 'region', 'dropletId']);
  return { ip: ipv4(i.ip, `${what}.ip`), region: text(i.region, `${what}.region`, 64), dropletId: i.dropletId === null ? null : whole(i.dropletId, `${what}.dropletId`, 1, Number.MAX_SAFE_INTEGER) };
};
const token = (v: unknown, what: string): string => {
  const s = text(v, what, 512);
  if (!/^[\x21-\x7e]+$/.test(s)) refuse(`${what} must be printable ASCII without spaces`);
  return s;
};

/** A whole configuration, checked (the constructor's and a reset's). */
export function validSimConfig(v: unknown): SimConfig {
  const c = objectOf(v, 'the configuration', ['tokens', 'droplets', 'ips', 'actionDelayMs', 'rateLimit']);
  const rate = objectOf(c.rateLimit, 'rateLimit', ['perHour', 'perMinute']);
  return {
    // At least one: without a token nothing, its control plane included, would ever answer again.
    tokens: listOf(c.tokens, 'tokens', 100, token, 1),
    droplets: listOf(c.droplets, 'droplets', 1000, droplet),
    ips: listOf(c.ips, 'ips', 1000, simIp),
    actionDelayMs: ms(c.actionDelayMs, 'actionDelayMs', 3_600_000),
    rateLimit: { perHour: whole(rate.perHour, 'rateLimit.perHour', 1, 1e9), perMinute: whole(rate.perMinute, 'rateLimit.perMinute', 1, 1e9) },
  };
}

/** Headers an injected answer may not set: they would break the answer's own framing. */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'trailer']);

/** A fault, checked, with its pathRegex compiled. */
export function validFault(v: unknown): SimFault & { regex?: RegExp } {
  const f = objectOf(v, 'a fault', ['match', 'times', 'response', 'mode', 'ms']);
  const m = objectOf(f.match, 'match', ['method', 'pathRegex']);
  const fault: SimFault & { regex?: RegExp } = { match: {}, times: whole(f.times, 'times', 1, 1_000_000) };
  if (m.method !== undefined) {
    if (typeof m.method !== 'string' || !/^[A-Z]{1,16}$/.test(m.method)) refuse('match.method must be an HTTP method in capitals');
    fault.match.method = m.method as string;
  }
  if (m.pathRegex !== undefined) {
    const source = text(m.pathRegex, 'match.pathRegex', 1000);
    try {
      fault.regex = new RegExp(source);
    } catch (error) {
      refuse(`match.pathRegex does not compile: ${(error as Error).message}`);
    }
    fault.match.pathRegex = source;
  }
  if ((f.response === undefined) === (f.mode === undefined)) refuse('a fault has either a response or a mode');
  if (f.response !== undefined) {
    const r = objectOf(f.response, 'response', ['status', 'body', 'headers']);
    const headers: Record<string, string> = {};
    if (r.headers !== undefined) {
      for (const [name, value] of Object.entries(objectOf(r.headers, 'response.headers', Object.keys(isObject(r.headers) ? r.headers : {})))) {
        if (typeof value !== 'string') refuse(`response.headers.${name.slice(0, 40)} must be a string`);
        try {
          http.validateHeaderName(name);
          http.validateHeaderValue(name, value as string);
        } catch {
          refuse(`response.headers: ${JSON.stringify(name.slice(0, 40))} is not a header HTTP can carry`);
        }
        if (FRAMING_HEADERS.has(name.toLowerCase())) refuse(`response.headers may not set ${name}`);
        headers[name] = value as string;
      }
    }
    fault.response = { status: whole(r.status, 'response.status', 200, 599), body: r.body, ...(r.headers !== undefined ? { headers } : {}) };
  } else {
    if (f.mode !== 'hang' && f.mode !== 'reset' && f.mode !== 'delay') refuse("mode must be 'hang', 'reset' or 'delay'");
    fault.mode = f.mode as SimFault['mode'];
    if (f.ms !== undefined) fault.ms = ms(f.ms, 'ms', 600_000);
  }
  return fault;
}
