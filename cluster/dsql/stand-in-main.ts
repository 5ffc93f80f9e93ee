/**
 * The DSQL stand-in as a process, in its own container on a cluster's client network in front of
 * the floating endpoint (bundled to flipdrill-dsql.cjs; see cluster/node-tools.ts). Configured from
 * the environment:
 *
 *   DSQL_UPSTREAM_HOST      the PostgreSQL behind it: the cluster's endpoint (a name, resolved
 *                           afresh for every session, so sessions after a failover reach the new primary)
 *   DSQL_UPSTREAM_PORT      default 5432
 *   DSQL_DATABASES          comma-separated: the first is the one a client gets when it names
 *                           none (or DSQL's `postgres`), the others each play a DSQL cluster of their own
 *   DSQL_UPSTREAM_USER      the databases' owner, whom the stand-in logs in as
 *   DSQL_UPSTREAM_PASSWORD  (or DSQL_UPSTREAM_PASSWORD_FILE: a file holding it, as flipdrill's
 *                           container gets it: not in `docker inspect`)
 *   DSQL_LOCK_TIMEOUT_MS    how soon the second writer of a row is told of the conflict (default 50)
 *   DSQL_HOST               the address it listens on (its container sets 0.0.0.0: there every
 *                           address is the container's own); default 127.0.0.1
 *   DSQL_PORT               default 5432
 *   DSQL_STATS_PORT         GET /stats: statements refused by rule, conflicts answered as OC000,
 *                           client sessions (a count: the tokens stay in the process); default 8080
 *
 * It waits up to a minute for the database behind it at start (the cluster may still be electing).
 */
import http from 'node:http';
import { envSecret } from '../lib/env-secret.ts';
import { startDsqlStandIn, type DsqlStandIn } from './stand-in.ts';

const env = process.env;
const fail = (message: string): never => {
  process.stderr.write(`flipdrill-dsql: ${message}\n`);
  process.exit(2);
};
const ipv4 = (name: string, value: string) => (/^\d{1,3}(\.\d{1,3}){3}$/.test(value) ? value : fail(`${name} must be an IPv4 address, not "${value}"`));
const port = (name: string, value: string | undefined, fallback: number) => {
  const n = Number(value ?? fallback);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : fail(`${name} must be a port number, not "${value}"`);
};

const databases = (env.DSQL_DATABASES ?? '').split(',').filter(Boolean);
let upstreamPassword: string | undefined;
try {
  upstreamPassword = envSecret(env, 'DSQL_UPSTREAM_PASSWORD');
} catch (error) {
  fail((error as Error).message);
}
if (!env.DSQL_UPSTREAM_HOST || !env.DSQL_UPSTREAM_USER || !upstreamPassword || databases.length === 0) {
  fail('DSQL_UPSTREAM_HOST, DSQL_UPSTREAM_USER, DSQL_UPSTREAM_PASSWORD and DSQL_DATABASES are needed');
}
const host = ipv4('DSQL_HOST', env.DSQL_HOST ?? '127.0.0.1');
const options = {
  upstream: { host: env.DSQL_UPSTREAM_HOST!, port: port('DSQL_UPSTREAM_PORT', env.DSQL_UPSTREAM_PORT, 5432), database: databases[0]!, user: env.DSQL_UPSTREAM_USER!, password: upstreamPassword! },
  databases: databases.slice(1),
  listen: { host, port: port('DSQL_PORT', env.DSQL_PORT, 5432) },
  lockTimeoutMs: port('DSQL_LOCK_TIMEOUT_MS', env.DSQL_LOCK_TIMEOUT_MS, 50),
};

async function start(): Promise<DsqlStandIn> {
  const deadline = Date.now() + 60_000;
  for (let delay = 250; ; delay = Math.min(delay * 2, 2000)) {
    try {
      return await startDsqlStandIn(options);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      process.stdout.write(`the database behind the stand-in is not ready (${(error as Error).message}); trying again\n`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

void start().then(
  (standIn) => {
    const stats = http.createServer((req, res) => {
      if (req.method !== 'GET' || req.url !== '/stats') return void res.writeHead(404).end();
      const s = standIn.stats();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ refused: s.refused, conflicts: s.conflicts, sessions: s.sessions }));
    });
    stats.listen(port('DSQL_STATS_PORT', env.DSQL_STATS_PORT, 8080), host, () => {
      process.stdout.write(`DSQL stand-in listening on ${standIn.host}:${standIn.port} in front of ${options.upstream.host}:${options.upstream.port} (${databases.join(', ')})\n`);
    });
    const stop = () => void standIn.stop().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  },
  (error: Error) => fail(`cannot start: ${error.message}`),
);
