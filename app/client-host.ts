/**
 * The client host: a user's client module, served over flipdrill's app contract
 * (docs/app-contract.md), in a container on the application network where the floating endpoint
 * is real. Bundled into the app image as client-host.cjs.
 *
 *   FLIPDRILL_CLIENT_MODULE   the module's path in this container (its folder is mounted read-only)
 *   FLIPDRILL_CLIENT_NAME     the module as the user named it, for messages
 *   FLIPDRILL_CONNECTION      JSON { host, port, user, password, database, ssl? }: the endpoint
 *   FLIPDRILL_REPLICAS        JSON [same shape]: each data node, the standby first
 *                             (each may come as a file that FLIPDRILL_CONNECTION_FILE or
 *                             FLIPDRILL_REPLICAS_FILE names, as flipdrill gives them: they hold
 *                             the password, which `docker inspect` would show in the environment)
 *   PORT                      default 8080
 *   HOST                      the address to listen on (default: every address, as in its container)
 *   FLIPDRILL_CLIENT_LOAD_TIMEOUT_MS   how long loading the module and its factory may take (10 s)
 *
 * The module's default export is a factory, called once per worker (the `x-flipdrill-worker`
 * header says which); it returns { setup?, write(id), read?(id), readAll(), close? }. A write
 * that resolves is acknowledged; one that rejects with `outcome: 'failed'` on its error surely
 * did not commit; any other rejection is an unknown outcome.
 */
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { envSecret } from '../cluster/lib/env-secret.ts';

interface Client {
  setup?(): Promise<void>;
  write(id: string): Promise<unknown>;
  read?(id: string): Promise<boolean>;
  readAll(): Promise<(string | { id: string })[]>;
  close?(): Promise<void>;
}
type Factory = (settings: { connection: unknown; replicas: unknown }) => Promise<Client> | Client;

const FINAL_READ_TIMEOUT_MS = 30_000;

class NeverResolved extends Error {}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new NeverResolved(`${what} did not resolve within ${ms / 1000} s`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

const oneLine = (error: unknown) => String((error as Error)?.message ?? error).split('\n')[0]!.slice(0, 300);

async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const file = env.FLIPDRILL_CLIENT_MODULE ?? '';
  const name = env.FLIPDRILL_CLIENT_NAME ?? file;
  const settings = { connection: JSON.parse(envSecret(env, 'FLIPDRILL_CONNECTION') ?? '{}') as unknown, replicas: JSON.parse(envSecret(env, 'FLIPDRILL_REPLICAS') ?? '[]') as unknown };
  const loadTimeoutMs = Number(env.FLIPDRILL_CLIENT_LOAD_TIMEOUT_MS ?? 10_000);
  const clients = new Map<string, Promise<Client>>();
  let problem: string | undefined;
  let factory: Factory | undefined;

  /** Load the module and make one client: what is wrong with it, in one line, or nothing. */
  async function load(): Promise<string | undefined> {
    let mod: { default?: unknown };
    try {
      mod = (await within(import(pathToFileURL(file).href), loadTimeoutMs, 'loading it')) as { default?: unknown };
    } catch (error) {
      if (error instanceof NeverResolved) return `client module ${name}: ${error.message}`;
      return `client module ${name} does not load: ${oneLine(error)}`;
    }
    if (typeof mod.default !== 'function') return `client module ${name}: its default export must be a function (the client factory), not ${typeof mod.default}`;
    factory = mod.default as Factory;
    try {
      const client = await within(Promise.resolve(factory(settings)), loadTimeoutMs, 'its factory');
      const missing = (['write', 'readAll'] as const).filter((m) => typeof client?.[m] !== 'function');
      if (missing.length) return `client module ${name}: the client its factory returns has no ${missing.join(' and no ')} function`;
      clients.set('probe', Promise.resolve(client));
    } catch (error) {
      if (error instanceof NeverResolved) return `client module ${name}: ${error.message}`;
      return `client module ${name}: its factory failed: ${oneLine(error)}`;
    }
    return undefined;
  }

  const clientFor = (worker: string): Promise<Client> => {
    let client = clients.get(worker);
    if (!client) {
      client = Promise.resolve(factory!(settings));
      clients.set(worker, client);
    }
    return client;
  };

  const ready = load().then((p) => (problem = p));

  const server = http.createServer((req, res) => {
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      void (async () => {
        await ready;
        const url = new URL(req.url ?? '/', 'http://client-host');
        if (url.pathname === '/flipdrill/health') return problem ? answer(500, { ok: false, error: problem }) : answer(200, { ok: true });
        if (problem) return answer(500, { error: problem, outcome: 'failed', code: 'CLIENT_MODULE' });
        const worker = req.headers['x-flipdrill-worker']?.toString() ?? '0';
        try {
          if (req.method === 'POST' && url.pathname === '/flipdrill/setup') {
            const client = await clientFor('probe');
            await client.setup?.();
            return answer(200, { ok: true });
          }
          if (req.method === 'POST' && url.pathname === '/flipdrill/writes') {
            const { id } = JSON.parse(text || '{}') as { id?: unknown };
            if (typeof id !== 'string') return answer(400, { error: 'id must be a string', outcome: 'failed', code: 'BAD_REQUEST' });
            const client = await clientFor(worker);
            try {
              const stamps = await client.write(id);
              return answer(201, { id, ...(typeof stamps === 'object' && stamps !== null ? stamps : {}) });
            } catch (error) {
              const e = error as { outcome?: unknown; code?: unknown; name?: unknown };
              return answer(503, { error: oneLine(error), outcome: e?.outcome === 'failed' ? 'failed' : 'unknown', code: String(e?.code ?? e?.name ?? 'error') });
            }
          }
          const read = /^\/flipdrill\/writes\/([^/]+)$/.exec(url.pathname);
          if (req.method === 'GET' && read) {
            const client = await clientFor(worker);
            if (!client.read) return answer(404, { error: 'the client has no read', code: 'NO_READ' });
            return answer(200, { found: Boolean(await client.read(decodeURIComponent(read[1]!))) });
          }
          if (req.method === 'GET' && url.pathname === '/flipdrill/writes') {
            // A client of its own for the final read, asked after the workload stopped.
            const client = await Promise.resolve(factory!(settings));
            const all = await within(Promise.resolve(client.readAll()), FINAL_READ_TIMEOUT_MS, 'readAll');
            await client.close?.().catch(() => {});
            return answer(200, { rows: all.map((r) => (typeof r === 'string' ? { id: r } : r)) });
          }
          answer(404, { error: `no ${req.method} ${url.pathname}`, code: 'NO_ROUTE' });
        } catch (error) {
          answer(500, { error: oneLine(error), outcome: 'unknown', code: 'CLIENT_ERROR' });
        }
      })();
    });
  });
  if (env.HOST) server.listen(Number(env.PORT ?? 8080), env.HOST);
  else server.listen(Number(env.PORT ?? 8080));
  const stop = async () => {
    server.close();
    for (const client of clients.values()) await (await client.catch(() => undefined))?.close?.().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
}

// The module is someone else's code: an error it leaves unhandled (a pg client's 'error' event
// when its server dies between queries) is logged, and the host goes on serving.
process.on('uncaughtException', (error) => process.stderr.write(`client-host: uncaught in the client module: ${oneLine(error)}\n`));
process.on('unhandledRejection', (error) => process.stderr.write(`client-host: unhandled rejection in the client module: ${oneLine(error)}\n`));

void main(process.env);
