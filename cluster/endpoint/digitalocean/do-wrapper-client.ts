/**
 * The only module that imports do-wrapper (4.5.1, pinned: this adapter reaches into it).
 *
 * What do-wrapper gets wrong, and what this does about it (shared/reference/digitalocean-flip.md §2.1):
 *   - no base URL option: the shared request helper's apiUrl is set at run time (checked to exist,
 *     so an upgrade that removes it fails loudly instead of calling the real API);
 *   - no timeout (got 11 has none by default): every call races a deadline;
 *   - requestAction is typed to take a string: the action object is passed as one;
 *   - assignDroplet creates a new floating IP instead of moving this one: never called;
 *   - errors are got's, carrying the request (and so the token): mapped to DoApiError from the
 *     status, body and headers only, never passed on as a cause.
 */
import doWrapper from 'do-wrapper';
import { DoApiError, type DoAction, type DoIpAssignment, type DoIpClient } from './api.ts';

export interface DoWrapperClientOptions {
  /** The API root, e.g. http://127.0.0.1:PORT/v2/ for the simulator. Default: DigitalOcean's. */
  baseUrl?: string;
  /** Per call; do-wrapper has none. */
  timeoutMs?: number;
  /**
   * floating_ips (default; do-wrapper's module) or reserved_ips, DigitalOcean's name since 2022,
   * which do-wrapper does not know: those calls go through its shared request helper.
   */
  paths?: 'floating_ips' | 'reserved_ips';
}

interface GotLikeError {
  name?: string;
  code?: string;
  response?: { statusCode?: number; body?: unknown; headers?: Record<string, string | string[] | undefined> };
}

function header(headers: Record<string, string | string[] | undefined> | undefined, name: string): string | undefined {
  const v = headers?.[name];
  return Array.isArray(v) ? v[0] : v;
}

const num = (v: string | undefined) => (v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);

export function toDoApiError(error: unknown, what: string): DoApiError {
  if (error instanceof DoApiError) return error;
  const e = error as GotLikeError;
  const response = e.response;
  if (!response?.statusCode) {
    // No answer: refused, reset, timed out. Only the code travels, never got's options.
    return new DoApiError(0, undefined, `${what}: no answer from the DigitalOcean API (${e.code ?? e.name ?? 'error'})`);
  }
  let body: { id?: string; message?: string; request_id?: string } = {};
  try {
    body = typeof response.body === 'string' ? JSON.parse(response.body) : ((response.body as typeof body) ?? {});
  } catch {
    // Not JSON: the status says enough.
  }
  return new DoApiError(
    response.statusCode,
    body.id,
    `${what}: ${response.statusCode} ${body.id ?? ''}${body.message ? `: ${body.message}` : ''}`.trim(),
    body.request_id,
    num(header(response.headers, 'retry-after')),
    num(header(response.headers, 'ratelimit-reset')),
    num(header(response.headers, 'ratelimit-remaining')),
  );
}

interface RawAction {
  id: number;
  status: string;
  type: string;
  started_at: string;
  completed_at: string | null;
}

const toAction = (a: RawAction): DoAction => ({ id: a.id, status: a.status, type: a.type, startedAt: a.started_at, completedAt: a.completed_at });

/**
 * do-wrapper is CommonJS with `exports.default`: Node's ESM import sees { default: class }, a
 * bundler's interop sees the class itself.
 */
type DigitalOceanClass = typeof doWrapper.default;
const DigitalOcean: DigitalOceanClass = (doWrapper as unknown as { default?: DigitalOceanClass }).default ?? (doWrapper as unknown as DigitalOceanClass);

interface FloatingIpBody {
  floating_ip: { ip: string; region?: { slug?: string }; droplet?: { id: number } | null; locked?: boolean };
}

export function createDoWrapperClient(token: string, options: DoWrapperClientOptions = {}): DoIpClient {
  const client = new DigitalOcean(token);
  const helper = (client.floatingIPs as unknown as { requestHelper?: { apiUrl?: unknown; request?: (o: object) => Promise<unknown> } }).requestHelper;
  if (!helper || typeof helper.apiUrl !== 'string') {
    throw new Error('do-wrapper has changed inside (floatingIPs.requestHelper.apiUrl is gone): pin do-wrapper 4.5.1');
  }
  // One helper serves every module; do-wrapper concatenates strings, so the root ends with '/'.
  if (options.baseUrl) helper.apiUrl = options.baseUrl.replace(/\/?$/, '/');
  const timeoutMs = options.timeoutMs ?? 15_000;
  const reserved = options.paths === 'reserved_ips';
  const raw = (actionPath: string, method: string, body?: object) => helper.request!({ actionPath, method, ...(body ? { body } : {}), qs: {} });

  async function call<T>(what: string, request: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DoApiError(0, undefined, `${what}: no answer from the DigitalOcean API within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([request(), deadline]);
    } catch (error) {
      throw toDoApiError(error, what);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async getIp(ip) {
      const path = `reserved_ips/${encodeURIComponent(ip)}`;
      const body = (await call(`GET ${reserved ? 'reserved' : 'floating'} IP ${ip}`, () => (reserved ? raw(path, 'GET') : client.floatingIPs.getByIp(ip)))) as Record<string, FloatingIpBody['floating_ip']>;
      const f = body[reserved ? 'reserved_ip' : 'floating_ip']!;
      return { ip: f.ip, regionSlug: f.region?.slug ?? '', dropletId: f.droplet?.id ?? null, locked: Boolean(f.locked) } satisfies DoIpAssignment;
    },
    async assign(ip, dropletId) {
      // requestAction is typed `action: string`, but the API wants the object.
      const action = { type: 'assign', droplet_id: dropletId };
      const body = (await call(`assign ${reserved ? 'reserved' : 'floating'} IP ${ip} to droplet ${dropletId}`, () =>
        reserved ? raw(`reserved_ips/${encodeURIComponent(ip)}/actions`, 'POST', action) : client.floatingIPs.requestAction(ip, action as unknown as string),
      )) as { action: RawAction };
      return toAction(body.action);
    },
    async getAction(ip, actionId) {
      const body = (await call(`GET action ${actionId} of ${ip}`, () =>
        reserved ? raw(`reserved_ips/${encodeURIComponent(ip)}/actions/${actionId}`, 'GET') : client.floatingIPs.getAction(ip, String(actionId)),
      )) as { action: RawAction };
      return toAction(body.action);
    },
    async listIps() {
      // includeAll pages with meta.total and answers the items themselves.
      const items = (await call('GET floating IPs', () => client.floatingIPs.getAll('', true))) as FloatingIpBody['floating_ip'][];
      return items.map((f) => ({ ip: f.ip, regionSlug: f.region?.slug ?? '', dropletId: f.droplet?.id ?? null, locked: Boolean(f.locked) }));
    },
  };
}
