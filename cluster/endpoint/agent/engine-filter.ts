/**
 * The engine filter: a small HTTP server on a unix socket of its own, in front of the Docker
 * engine, that passes on only the Engine API calls the endpoint agent makes (engine-socket.ts),
 * and only for its own cluster's containers and networks. Everything else is answered 403.
 *
 * It runs in the agent's container as root (the one process there that can open the engine's
 * socket); the agent itself runs as another user and reaches the engine only through here
 * (see main.ts). What passes:
 *
 *   GET  /_ping, /version
 *   GET  /containers/json?all=1&filters={"label":[...]}   only with both of the cluster's labels
 *                                                          in the filter; answers only such
 *   GET  /containers/{c}/json                              c of this cluster
 *   GET  /networks/{n}                                     n of this cluster
 *   POST /networks/{n}/connect     {Container, EndpointConfig: {Aliases, IPAMConfig: {IPv4Address}}}
 *   POST /networks/{n}/disconnect  {Container, Force}      n and the container of this cluster
 *   POST /containers/{c}/exec      the address listing only (ADDRESS_LIST_COMMAND), as no other user
 *   POST /exec/{id}/start, GET /exec/{id}/json              only an exec made through here
 *
 * "Of this cluster": labelled io.flipdrill.project=flipdrill and io.flipdrill.cluster=<cluster>,
 * as the engine says at the time of the call; the call then names it by its full id, so that a
 * name cannot come to mean another object in between.
 */
import http from 'node:http';
import { CLUSTER_LABEL, PROJECT_LABEL } from '../../spec.ts';
import { ADDRESS_LIST_COMMAND } from './engine-socket.ts';

/** Where the filter makes its socket: a tmpfs of the agent's container (its root is read-only). */
export const FILTER_DIR = '/run/flipdrill-engine';
export const FILTER_SOCKET = `${FILTER_DIR}/engine.sock`;
/** The agent's own user, and group: nobody, nogroup. */
export const AGENT_UID = 65534;

/** The engine: a unix socket path, or tcp://host:port. */
export type Upstream = { socketPath: string } | { host: string; port: number };

export function upstreamOf(where: string): Upstream {
  const tcp = /^tcp:\/\/(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/.exec(where);
  return tcp ? { host: tcp[1]!.replace(/^\[|\]$/g, ''), port: Number(tcp[2]) } : { socketPath: where };
}

interface Answer {
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

const MAX_BODY = 64 * 1024;
const NAME = '[A-Za-z0-9][A-Za-z0-9_.-]{0,127}';

class Refused extends Error {
  constructor(
    message: string,
    readonly status = 403,
  ) {
    super(message);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(what: string, v: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (!isObject(v)) throw new Refused(`${what} must be an object`);
  const extra = Object.keys(v).filter((k) => !allowed.includes(k));
  if (extra.length) throw new Refused(`${what} may not carry ${extra.join(', ')}`);
  return v;
}

export interface EngineFilterOptions {
  cluster: string;
  upstream: Upstream;
  timeoutMs?: number;
  /** Told of each refusal (the agent's log). */
  onRefused?: (method: string, path: string, reason: string) => void;
}

export class EngineFilter {
  /** Execs made through here: the only ones that may be started or looked at. */
  readonly #execs = new Set<string>();
  readonly #timeoutMs: number;

  constructor(private readonly options: EngineFilterOptions) {
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  #ours(labels: unknown): boolean {
    return isObject(labels) && labels[PROJECT_LABEL] === 'flipdrill' && labels[CLUSTER_LABEL] === this.options.cluster;
  }

  #upstream(method: string, path: string, body?: unknown): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request(
        {
          ...this.options.upstream,
          path,
          method,
          timeout: this.#timeoutMs,
          headers: { host: 'docker', ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 502, contentType: res.headers['content-type'], body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`the engine did not answer ${method} ${path} within ${this.#timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** The container's inspect answer, when it is this cluster's; its id. */
  async #container(name: string): Promise<{ answer: Answer; id: string } | { answer: Answer; id?: undefined }> {
    const answer = await this.#upstream('GET', `/containers/${encodeURIComponent(name)}/json`);
    if (answer.status !== 200) return { answer };
    const info = JSON.parse(answer.body.toString('utf8')) as { Id?: unknown; Config?: { Labels?: unknown } };
    if (!this.#ours(info.Config?.Labels) || typeof info.Id !== 'string') throw new Refused(`container ${name} is not of cluster ${this.options.cluster}`);
    return { answer, id: info.Id };
  }

  async #ourContainerId(name: unknown): Promise<string> {
    if (typeof name !== 'string' || !new RegExp(`^${NAME}$`).test(name)) throw new Refused('Container must be a container name or id');
    const { answer, id } = await this.#container(name);
    if (id === undefined) throw new Refused(`container ${name}: the engine answered ${answer.status}`, answer.status === 404 ? 404 : 403);
    return id;
  }

  async #ourNetwork(name: string): Promise<{ answer: Answer; id?: string }> {
    const answer = await this.#upstream('GET', `/networks/${encodeURIComponent(name)}`);
    if (answer.status !== 200) return { answer };
    const info = JSON.parse(answer.body.toString('utf8')) as { Id?: unknown; Labels?: unknown };
    if (!this.#ours(info.Labels) || typeof info.Id !== 'string') throw new Refused(`network ${name} is not of cluster ${this.options.cluster}`);
    return { answer, id: info.Id };
  }

  /** What to answer `method url` with `body` (parsed JSON, or undefined): the engine's answer, or a refusal. */
  async handle(method: string, url: string, body: unknown): Promise<Answer> {
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    // Names are plain: no percent-escapes, dots-only segments or doubled slashes to be read two ways.
    if (!/^(\/[A-Za-z0-9_.-]+)+$/.test(path) || path.split('/').some((s) => /^\.+$/.test(s))) throw new Refused(`${path}: not a path the agent uses`);
    const has = (...keys: string[]) => [...query.keys()].every((k) => keys.includes(k));
    let m: RegExpExecArray | null;

    if (method === 'GET' && (path === '/_ping' || path === '/version') && has()) return this.#upstream('GET', path);

    if (method === 'GET' && path === '/containers/json' && has('all', 'filters')) {
      let filters: unknown;
      try {
        filters = JSON.parse(query.get('filters') ?? '');
      } catch {
        throw new Refused('filters must be JSON');
      }
      const labels = onlyKeys('filters', filters, ['label']).label;
      const want = [`${PROJECT_LABEL}=flipdrill`, `${CLUSTER_LABEL}=${this.options.cluster}`];
      if (!Array.isArray(labels) || !want.every((l) => labels.includes(l)) || !labels.every((l) => typeof l === 'string')) {
        throw new Refused(`a container list must be filtered by the labels ${want.join(' and ')}`);
      }
      const answer = await this.#upstream('GET', `/containers/json?all=${query.get('all') === '1' ? '1' : '0'}&filters=${encodeURIComponent(JSON.stringify({ label: labels }))}`);
      if (answer.status !== 200) return answer;
      // And what comes back is checked too.
      const list = JSON.parse(answer.body.toString('utf8')) as { Labels?: unknown }[];
      return { ...answer, body: Buffer.from(JSON.stringify(list.filter((c) => this.#ours(c.Labels)))) };
    }

    if (method === 'GET' && (m = new RegExp(`^/containers/(${NAME})/json$`).exec(path)) && has()) return (await this.#container(m[1]!)).answer;

    if (method === 'GET' && (m = new RegExp(`^/networks/(${NAME})$`).exec(path)) && has()) return (await this.#ourNetwork(m[1]!)).answer;

    if (method === 'POST' && (m = new RegExp(`^/networks/(${NAME})/(connect|disconnect)$`).exec(path)) && has()) {
      const network = await this.#ourNetwork(m[1]!);
      if (!network.id) return network.answer;
      let forward: unknown;
      if (m[2] === 'connect') {
        const b = onlyKeys('the connect body', body, ['Container', 'EndpointConfig']);
        const config = onlyKeys('EndpointConfig', b.EndpointConfig, ['Aliases', 'IPAMConfig']);
        const ipam = onlyKeys('IPAMConfig', config.IPAMConfig, ['IPv4Address']);
        const aliases = config.Aliases ?? [];
        if (!Array.isArray(aliases) || !aliases.every((a) => typeof a === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(a))) throw new Refused('Aliases must be names');
        if (typeof ipam.IPv4Address !== 'string' || !/^\d{1,3}(\.\d{1,3}){3}$/.test(ipam.IPv4Address)) throw new Refused('IPv4Address must be an IPv4 address');
        forward = { Container: await this.#ourContainerId(b.Container), EndpointConfig: { Aliases: aliases, IPAMConfig: { IPv4Address: ipam.IPv4Address } } };
      } else {
        const b = onlyKeys('the disconnect body', body, ['Container', 'Force']);
        forward = { Container: await this.#ourContainerId(b.Container), Force: b.Force === true };
      }
      return this.#upstream('POST', `/networks/${network.id}/${m[2]}`, forward);
    }

    if (method === 'POST' && (m = new RegExp(`^/containers/(${NAME})/exec$`).exec(path)) && has()) {
      const b = onlyKeys('the exec body', body, ['Cmd', 'AttachStdout', 'AttachStderr']);
      if (JSON.stringify(b.Cmd) !== JSON.stringify(ADDRESS_LIST_COMMAND)) throw new Refused(`the one command that may run is "${ADDRESS_LIST_COMMAND.join(' ')}"`);
      const id = await this.#ourContainerId(m[1]!);
      const answer = await this.#upstream('POST', `/containers/${id}/exec`, { Cmd: [...ADDRESS_LIST_COMMAND], AttachStdout: true, AttachStderr: true });
      if (answer.status === 201) this.#execs.add((JSON.parse(answer.body.toString('utf8')) as { Id: string }).Id);
      return answer;
    }

    if ((m = /^\/exec\/([0-9a-f]{64})\/(start|json)$/.exec(path)) && has() && ((method === 'POST' && m[2] === 'start') || (method === 'GET' && m[2] === 'json'))) {
      if (!this.#execs.has(m[1]!)) throw new Refused(`exec ${m[1]} was not made through this filter`);
      if (m[2] === 'json') {
        const answer = await this.#upstream('GET', path);
        const info = answer.status === 200 ? (JSON.parse(answer.body.toString('utf8')) as { Running?: boolean }) : undefined;
        if (info && info.Running === false) this.#execs.delete(m[1]!);
        return answer;
      }
      onlyKeys('the exec start body', body, ['Detach', 'Tty']);
      return this.#upstream('POST', path, { Detach: false, Tty: false });
    }

    throw new Refused(`${method} ${path} is not a call the endpoint agent makes`);
  }

  /** An HTTP server for this filter (listen on a unix socket). */
  server(): http.Server {
    return http.createServer((req, res) => {
      const method = req.method ?? '';
      const url = req.url ?? '';
      const chunks: Buffer[] = [];
      let size = 0;
      let tooBig = false;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) tooBig = true;
        else chunks.push(c);
      });
      req.on('end', () => {
        void (async () => {
          try {
            if (tooBig) throw new Refused('the body is too large', 413);
            let body: unknown;
            if (size > 0) {
              try {
                body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
              } catch {
                throw new Refused('the body must be JSON', 400);
              }
            }
            const answer = await this.handle(method, url, body);
            res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'application/json', 'content-length': answer.body.length });
            res.end(answer.body);
          } catch (error) {
            const refused = error instanceof Refused;
            const message = refused ? `flipdrill engine filter: ${error.message}` : `flipdrill engine filter: the engine: ${(error as Error).message}`;
            if (refused && error.status === 403) this.options.onRefused?.(method, url.split('?')[0]!, error.message);
            const text = Buffer.from(JSON.stringify({ message }));
            res.writeHead(refused ? error.status : 502, { 'content-type': 'application/json', 'content-length': text.length });
            res.end(text);
          }
        })();
      });
    });
  }
}
