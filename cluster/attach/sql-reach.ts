/**
 * Reaching a cluster file's cluster by SQL alone: a node by its URL, and the endpoint the apps use
 * (one host, or several tried in order as libpq does with target_session_attrs=read-write). Every
 * node and the endpoint are named by the address and port the server itself sees
 * (`inet_server_addr()`, `inet_server_port()`), the same whether it is reached through a proxy, a
 * published port or directly; that is how the endpoint's holder and each row's stamp are mapped to
 * the file's node names.
 */
import pg from 'pg';
import { waitFor } from '../lib/wait-for.ts';

/** A node's own address and port, as it names itself to any client. */
export const SERVER_AT_SQL = "host(inet_server_addr()) || ':' || inet_server_port()";

export interface ConnectOptions {
  timeoutMs?: number;
  /** A search_path for the session (the drill's own schema first). */
  searchPath?: string;
  applicationName?: string;
  /** Only a session that can write will do, whatever the URL says (the drill's own schema statements). */
  writable?: boolean;
}

/** `postgres://u:p@h1:1,h2:2/db?x=y` → one URL per host, in order (one host: the URL itself). */
export function hostUrls(url: string): string[] {
  const m = /^(postgres(?:ql)?:\/\/(?:[^@/]*@)?)([^/?]*)(.*)$/.exec(url);
  if (!m || !m[2]!.includes(',')) return [url];
  return m[2]!.split(',').filter(Boolean).map((host) => `${m[1]}${host}${m[3]}`);
}

/** What libpq would want of a session at this URL: `read-write` unless target_session_attrs says `any`. */
export function wantsWritable(url: string): boolean {
  const attrs = /[?&]target_session_attrs=([^&]*)/.exec(url)?.[1];
  return attrs === undefined ? hostUrls(url).length > 1 : attrs === 'read-write' || attrs === 'primary';
}

export function clientFor(url: string, options: ConnectOptions = {}): pg.Client {
  const timeoutMs = options.timeoutMs ?? 3000;
  // node-postgres does not know target_session_attrs: the choice is made here, not by it.
  const single = url.replace(/([?&])target_session_attrs=[^&]*&?/, '$1').replace(/[?&]$/, '');
  const client = new pg.Client({
    connectionString: single,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: options.applicationName ?? 'flipdrill-observer',
    ...(options.searchPath ? { options: `-c search_path=${options.searchPath}` } : {}),
  });
  client.on('error', () => {});
  return client;
}

/** Open a session at the URL: its hosts in order, the first that fits (writable, when the URL asks for it). */
export async function connectUrl(url: string, options: ConnectOptions = {}): Promise<pg.Client> {
  const writable = options.writable ?? wantsWritable(url);
  const errors: string[] = [];
  for (const one of hostUrls(url)) {
    const client = clientFor(one, options);
    try {
      await client.connect();
      if (writable) {
        const [row] = (await client.query<{ ro: string }>("SELECT current_setting('transaction_read_only') AS ro")).rows;
        if (row?.ro !== 'off') throw new Error('read-only');
      }
      return client;
    } catch (error) {
      errors.push(`${/@([^/?]*)/.exec(one)?.[1] ?? one}: ${(error as Error).message}`);
      await client.end().catch(() => {});
    }
  }
  throw new Error(`no host of the endpoint ${writable ? 'is writable' : 'answers'} (${errors.join('; ')})`);
}

/**
 * A session at the URL that can write, looked for until the deadline: a proxy in front of the
 * cluster may still send a new session to a node that was just demoted, until its next health
 * check (HAProxy after a switchover), and a multi-host URL's hosts may all be standbys for the
 * moment of a promotion.
 */
export function connectWritable(url: string, withinMs: number, options: ConnectOptions = {}): Promise<pg.Client> {
  const at = url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  return waitFor(`a session that can write through ${at}`, () => connectUrl(url, { ...options, writable: true }), { timeoutMs: withinMs, intervalMs: 500 });
}

/** Open, run one statement, close. */
export async function queryUrl<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = [], options: ConnectOptions = {}): Promise<T[]> {
  const client = await connectUrl(url, options);
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A URL with another database in its path. */
export function withDatabase(url: string, database: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^/]*)\/[^?]*/, `$1/${encodeURIComponent(database)}`);
}

/**
 * One session kept open at a URL between looks (a watcher looks several times a second); a session
 * that fails, times out or no longer fits (a writable endpoint that went read-only) is dropped, and
 * the next look opens another.
 */
export class KeptSession {
  #client?: Promise<pg.Client>;

  constructor(
    private readonly url: string,
    private readonly options: ConnectOptions = {},
  ) {}

  async query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    this.#client ??= connectUrl(this.url, this.options);
    const pending = this.#client;
    try {
      const client = await pending;
      return (await client.query<T>(sql, params)).rows;
    } catch (error) {
      this.drop(pending);
      throw error;
    }
  }

  /** Let the session go (the next query opens another). */
  drop(which = this.#client): void {
    if (which && which === this.#client) this.#client = undefined;
    void which?.then((c) => c.end()).catch(() => {});
  }
}
