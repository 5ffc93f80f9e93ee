/**
 * The endpoint agent's program (bundled into the app image as endpoint-agent.cjs; see agent.ts).
 *
 *   FLIPDRILL_CLUSTER        the cluster's name (its io.flipdrill.cluster label)      required
 *   POSTGRES_PASSWORD        the superuser's password, to ask the nodes their role    required
 *   FLIPDRILL_DOCKER_SOCKET  the engine's socket inside this container   default /var/run/docker.sock
 *                            (the agent started by root: the filter's socket, set by root)
 *   FLIPDRILL_DOCKER_HOST    or the engine's tcp://host:port (a tcp engine: no socket to mount)
 *   DIGITALOCEAN_TOKEN       with the DigitalOcean simulator: the agent's own token
 * Each secret may come as a file instead: POSTGRES_PASSWORD_FILE, DIGITALOCEAN_TOKEN_FILE (flipdrill
 * writes them root-only before the agent starts, so `docker inspect` shows no secret).
 *   FLIPDRILL_AGENT_INTERVAL_MS  how often it looks                          default 100 (50 to 5000)
 *
 * JSON log lines on stdout; exits 2 with one line on a bad setting, 0 on SIGTERM.
 *
 * Started as root (its container's user), it splits in two: this process keeps the engine and
 * serves the engine filter (engine-filter.ts) on a socket in FILTER_DIR, and runs the agent
 * itself as AGENT_UID, which cannot open the engine's socket (root:docker 0660, and no
 * capability), with FLIPDRILL_DOCKER_SOCKET set to the filter's socket; its secrets come with it,
 * read here, as only root may read their files. Changing user takes CAP_SETUID and CAP_SETGID,
 * the two capabilities the container keeps; the agent's process, no longer root, has none.
 * Started as any other user, it is the agent alone.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import pino from 'pino';
import { REDACT } from '../../lib/logger.ts';
import { findClusterSpec, agentController } from './agent.ts';
import { AGENT_UID, EngineFilter, FILTER_DIR, FILTER_SOCKET, upstreamOf } from './engine-filter.ts';
import { EngineSocket } from './engine-socket.ts';

function fail(message: string): never {
  process.stderr.write(`flipdrill-endpoint-agent: ${message}\n`);
  process.exit(2);
}

/** A secret from the environment, or from the file its `_FILE` variable names; '' when neither is set. */
function secret(env: NodeJS.ProcessEnv, key: string): string {
  if (env[key]) return env[key]!;
  const file = env[`${key}_FILE`];
  if (!file) return '';
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    fail(`${key}_FILE ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function settings(env: NodeJS.ProcessEnv): { cluster: string; password: string; doToken: string; interval: number } {
  const cluster = env.FLIPDRILL_CLUSTER ?? '';
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(cluster)) fail(`FLIPDRILL_CLUSTER must be a cluster name (lowercase letters, digits, dashes), not "${cluster}"`);
  const password = secret(env, 'POSTGRES_PASSWORD');
  if (!password) fail('POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) is not set');
  const doToken = secret(env, 'DIGITALOCEAN_TOKEN');
  const interval = Number(env.FLIPDRILL_AGENT_INTERVAL_MS ?? '100');
  if (!Number.isInteger(interval) || interval < 50 || interval > 5000) fail(`FLIPDRILL_AGENT_INTERVAL_MS must be a whole number from 50 to 5000, not "${env.FLIPDRILL_AGENT_INTERVAL_MS}"`);
  return { cluster, password, doToken, interval };
}

/**
 * As root: serve the filter, run the agent as AGENT_UID through it, and end as it ends (its exit
 * code; a signal is passed on to it).
 */
async function filterAndRunAgent(env: NodeJS.ProcessEnv): Promise<void> {
  const { cluster, password, doToken, interval } = settings(env);
  const logger = pino({ base: { app: 'flipdrill-endpoint-agent', cluster, part: 'engine-filter' }, redact: REDACT });
  const filter = new EngineFilter({
    cluster,
    upstream: upstreamOf(env.FLIPDRILL_DOCKER_HOST || env.FLIPDRILL_DOCKER_SOCKET || '/var/run/docker.sock'),
    onRefused: (method, where, reason) => logger.warn({ method, path: where, reason }, 'engine call refused'),
  });
  try {
    mkdirSync(FILTER_DIR, { recursive: true, mode: 0o755 });
    rmSync(FILTER_SOCKET, { force: true }); // a restarted container's old socket
  } catch (error) {
    fail(`${FILTER_DIR} cannot hold the engine filter's socket (${(error as NodeJS.ErrnoException).code ?? 'error'}); the container needs a tmpfs there`);
  }
  const server = filter.server();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(FILTER_SOCKET, resolve));
  // Only the agent's user and root are in this container; the socket is theirs.
  chmodSync(FILTER_SOCKET, 0o666);
  const agentEnv: NodeJS.ProcessEnv = {
    PATH: env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    NODE_ENV: env.NODE_ENV ?? 'production',
    FLIPDRILL_CLUSTER: cluster,
    POSTGRES_PASSWORD: password,
    ...(doToken ? { DIGITALOCEAN_TOKEN: doToken } : {}),
    FLIPDRILL_AGENT_INTERVAL_MS: String(interval),
    FLIPDRILL_DOCKER_SOCKET: FILTER_SOCKET,
  };
  const agent = spawn(process.execPath, [process.argv[1]!, 'agent'], { uid: AGENT_UID, gid: AGENT_UID, env: agentEnv, stdio: 'inherit', cwd: '/' });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => agent.kill(signal));
  agent.on('error', (error) => {
    process.stderr.write(`flipdrill-endpoint-agent: cannot run the agent as uid ${AGENT_UID}: ${error.message}\n`);
    process.exit(1);
  });
  agent.on('exit', (code, signal) => {
    server.close();
    process.exit(code ?? (signal === 'SIGTERM' || signal === 'SIGINT' ? 0 : 1));
  });
}

async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const { cluster, password, doToken, interval } = settings(env);
  const logger = pino({ base: { app: 'flipdrill-endpoint-agent', cluster }, redact: REDACT });
  const engine = new EngineSocket(env.FLIPDRILL_DOCKER_HOST || env.FLIPDRILL_DOCKER_SOCKET || '/var/run/docker.sock');

  let stopping = false;
  let controller: ReturnType<typeof agentController> | undefined;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await controller?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());

  // The cluster's containers may not exist yet (compose starts services in any order): look again.
  let spec = await findClusterSpec(engine, cluster).catch((e: Error) => logger.warn({ err: e.message }, 'cannot list containers'));
  if (!spec) logger.info(`waiting for the containers of cluster ${cluster}`);
  while (!spec && !stopping) {
    await new Promise((r) => setTimeout(r, 1000));
    spec = await findClusterSpec(engine, cluster).catch(() => undefined);
  }
  if (!spec || stopping) return;
  controller = agentController(spec, { engine, cluster, password, logger, intervalMs: interval, ...(doToken ? { doToken } : {}) });
  logger.info(
    { endpoint: spec.endpoint, nodes: spec.nodes.map((n) => n.name), intervalMs: interval },
    `endpoint agent for cluster ${cluster}: keeping ${spec.endpoint === 'virtual-ip' ? spec.virtualIp.address : spec.endpointAlias} on the primary`,
  );
  controller.start();
}

(process.getuid?.() === 0 ? filterAndRunAgent(process.env) : main(process.env)).catch((error: unknown) => {
  process.stderr.write(`flipdrill-endpoint-agent: ${(error as Error).message}\n`);
  process.exit(1);
});
