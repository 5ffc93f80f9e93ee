/**
 * What an app of yours is told of a cluster file's URLs, in the drill's schema: a client module's
 * connection settings (--client) and the endpoint's parts.
 */

/** The schema a drill of a cluster file makes, writes into and drops. */
export const DRILL_SCHEMA = 'flipdrill';

/** The user, password and database of a PostgreSQL URL, one host or several. */
export function urlParts(url: string): { user: string; password: string; database: string } {
  const u = new URL(url.replace(/^postgres(ql)?:\/\/([^@/]*@)?[^/?]*/, (_m, _q, auth) => `postgres://${auth ?? ''}h`));
  return { user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: decodeURIComponent(u.pathname.slice(1)) };
}

/**
 * The connection settings a client module is given for a URL of the file (docs/app-contract.md):
 * the first host and its port, and the URL itself and every host for a multi-host one. `options`
 * puts the session in the drill's schema, where tables are made, with public after it for extensions'
 * functions (pg takes it as it is; PGOPTIONS says it to the rest).
 */
export function clientSettings(url: string): Record<string, unknown> {
  const { user, password, database } = urlParts(url);
  const hostList = /^postgres(?:ql)?:\/\/(?:[^@/]*@)?([^/?]*)/.exec(url)?.[1] ?? '';
  const hosts = hostList.split(',').filter(Boolean).map((h) => {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(h);
    return { host: decodeURIComponent(m?.[1] ?? h).replace(/^\[(.*)\]$/, '$1'), port: Number(m?.[2] ?? 5432) };
  });
  return { host: hosts[0]?.host ?? 'localhost', port: hosts[0]?.port ?? 5432, user, password, database, options: `-c search_path=${DRILL_SCHEMA},public`, url, hosts };
}

/** The sslmode a URL asks for, if any (for PGSSLMODE: pg and libpq read it). */
export function sslModeOf(url: string): string | undefined {
  return new URLSearchParams(/\?(.*)$/.exec(url)?.[1] ?? '').get('sslmode') ?? undefined;
}
