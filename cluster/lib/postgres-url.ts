/**
 * libpq's connection URI as a value, several hosts included (node-postgres reads one host only):
 *
 *   postgres[ql]://[user[:password]@]host[:port][,host[:port]...][/database][?key=value&...]
 *
 * Every part may be percent-encoded (a password with `@`, `/` or `:` in it must be); an IPv6
 * address goes in brackets (`[::1]:5432`); a host without a port gets the caller's default. The
 * same host list, without the rest, is what DB_WRITE_HOST and DB_READ_HOSTS take.
 *
 * Errors are PostgresUrlError, one line each, worded to follow the name of what was parsed
 * ("DATABASE_URL " + message), and never repeat the password.
 */
export interface HostPort {
  host: string;
  /** Absent: the default port. */
  port?: number;
}

export interface PostgresUrl {
  user?: string;
  password?: string;
  /** One or more, in the order given. */
  hosts: HostPort[];
  database?: string;
  /** The query's parameters, decoded; a later one wins over an earlier one of the same name. */
  params: Record<string, string>;
}

export class PostgresUrlError extends Error {
  override name = 'PostgresUrlError';
}

const SHAPE = 'postgres://user:password@host:port/database?sslmode=...';

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new PostgresUrlError(`has a malformed percent-encoding in its ${what}`);
  }
}

function portOf(text: string, host: string): number {
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw new PostgresUrlError(`has a port that is not a number from 1 to 65535 after ${host}: "${text}"`);
  return Number(text);
}

/** One host of a list: `name`, `name:port`, `[v6]` or `[v6]:port` (percent-decoded). */
function hostOf(item: string): HostPort {
  if (item === '') throw new PostgresUrlError('has an empty host in its host list');
  let host: string;
  let port: string | undefined;
  if (item.startsWith('[')) {
    const close = item.indexOf(']');
    if (close < 0) throw new PostgresUrlError(`has an IPv6 address without its closing bracket: "${item}"`);
    host = decode(item.slice(1, close), 'host list');
    const rest = item.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) throw new PostgresUrlError(`has something other than a port after an IPv6 address: "${item}"`);
    if (rest !== '') port = rest.slice(1);
    if (!host.includes(':')) throw new PostgresUrlError(`has brackets around something that is not an IPv6 address: "${item}"`);
  } else {
    const colons = item.split(':').length - 1;
    if (colons > 1) throw new PostgresUrlError(`has an IPv6 address without brackets: "${item}" (write [address] or [address]:port)`);
    [host, port] = colons === 1 ? (item.split(':') as [string, string]) : [item, undefined];
    host = decode(host, 'host list');
  }
  if (host === '') throw new PostgresUrlError(`has a port without a host: "${item}"`);
  if (port === undefined) return { host };
  if (port === '') throw new PostgresUrlError(`has an empty port after ${host}`);
  return { host, port: portOf(port, host) };
}

/** `host[:port],[v6]:port,...`: DB_WRITE_HOST's and DB_READ_HOSTS's form, and a URL's host list. */
export function parseHostList(spec: string): HostPort[] {
  const trimmed = spec.trim();
  if (trimmed === '') throw new PostgresUrlError('names no host');
  return trimmed.split(',').map((item) => hostOf(item.trim()));
}

/** A host as a list names it: `[v6]:port`, `name:port`, or without the port. */
export function formatHost(h: HostPort): string {
  const host = h.host.includes(':') ? `[${h.host}]` : h.host;
  return h.port === undefined ? host : `${host}:${h.port}`;
}

export function parsePostgresUrl(raw: string): PostgresUrl {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(raw)?.[1];
  if (scheme === undefined || (/^postgres(ql)?$/.test(scheme) && !raw.startsWith(`${scheme}://`))) throw new PostgresUrlError(`is not a URL (${SHAPE})`);
  if (!/^postgres(ql)?$/.test(scheme)) throw new PostgresUrlError(`must start with postgres:// or postgresql://, not ${scheme}://`);
  if (/\s/.test(raw)) throw new PostgresUrlError('has white space in it (percent-encode it: %20)');
  let rest = raw.slice(scheme.length + 3);
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) [rest, query] = [rest.slice(0, q), rest.slice(q + 1)];
  const slash = rest.indexOf('/');
  const [authority, path] = slash >= 0 ? [rest.slice(0, slash), rest.slice(slash + 1)] : [rest, ''];

  const url: PostgresUrl = { hosts: [], params: {} };
  // The last @ ends the user's part: an unencoded @ in a password still reads as meant.
  const at = authority.lastIndexOf('@');
  const hostList = at >= 0 ? authority.slice(at + 1) : authority;
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    const user = decode(colon >= 0 ? userinfo.slice(0, colon) : userinfo, 'user name');
    if (user) url.user = user;
    if (colon >= 0) {
      const password = decode(userinfo.slice(colon + 1), 'password');
      if (password) url.password = password;
    }
  }
  if (hostList === '') throw new PostgresUrlError('names no host');
  url.hosts = parseHostList(hostList);
  const database = decode(path, 'database name');
  if (database) url.database = database;
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new PostgresUrlError(`has a parameter that is not key=value: "${decode(pair, 'parameters')}"`);
    url.params[decode(pair.slice(0, eq), 'parameters')] = decode(pair.slice(eq + 1), 'parameters');
  }
  return url;
}
