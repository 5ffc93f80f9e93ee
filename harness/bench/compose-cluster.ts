/**
 * The cluster of docker-compose.yml, brought up the way its header tells a reader to (with
 * flipdrill's local base image instead of a registry's), for the hand-kill bench: the cluster a
 * tutorial reader gets must heal itself as the one `flipdrill up` makes. Attached afterwards as any
 * other flipdrill cluster (its containers carry the labels), and removed with `down -v`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { attachCluster, ClusterError, projectLabels, REPO_ROOT, waitFor, type DockerClient, type Images, type Logger, type StartedCluster } from '../../cluster/index.ts';

const run = promisify(execFile);
const ROOT = REPO_ROOT;
/** What docker-compose.yml fixes: the cluster's name, its host ports, its subnets. */
const NAME = 'compose';
const HOST_PORTS = [15432, 15433, 15434, 18080];
const SUBNETS = ['10.213.1.0/24', '10.213.2.0/24'];

async function composeCommand(): Promise<string[]> {
  for (const candidate of [['docker', 'compose'], ['docker-compose']]) {
    try {
      await run(candidate[0]!, [...candidate.slice(1), 'version'], { timeout: 10_000 });
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new ClusterError('neither `docker compose` nor `docker-compose` is installed');
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export interface ComposeCluster {
  cluster: StartedCluster;
  stop(): Promise<void>;
}

export async function startComposeCluster(o: { docker: DockerClient; images: Images; logger: Logger; say: (line: string) => void }): Promise<ComposeCluster> {
  const compose = await composeCommand();
  if ((await o.docker.listContainers(projectLabels(NAME))).length > 0) throw new ClusterError(`a cluster named "${NAME}" exists already (docker-compose.yml's)`, { hint: 'run: docker compose down -v' });
  for (const port of HOST_PORTS) if (!(await portFree(port))) throw new ClusterError(`port ${port} on 127.0.0.1 is taken; docker-compose.yml publishes it`);
  const taken = (await o.docker.listNetworks()).flatMap((n) => n.subnets.filter((s) => SUBNETS.includes(s)).map((s) => `${n.name} (${s})`));
  if (taken.length > 0) throw new ClusterError(`docker-compose.yml's subnets are in use by ${taken.join(', ')}`);

  const env = {
    ...process.env,
    FLIPDRILL_NODE_BASE: o.images.base,
    FLIPDRILL_APP_BASE: o.images.base,
    POSTGRES_PASSWORD: randomBytes(12).toString('hex'),
    REPMGR_PASSWORD: randomBytes(12).toString('hex'),
    APP_DB_PASSWORD: randomBytes(12).toString('hex'),
  };
  const composeRun = (args: string[], timeout: number) => run(compose[0]!, [...compose.slice(1), '-f', path.join(ROOT, 'docker-compose.yml'), ...args], { cwd: ROOT, env, timeout, maxBuffer: 64 * 1024 * 1024 });
  const stop = async () => {
    await composeRun(['down', '-v', '--timeout', '5'], 300_000).catch((e: Error) => o.say(`docker compose down: ${e.message.split('\n')[0]}`));
  };
  try {
    o.say('docker compose up -d --build (the cluster of docker-compose.yml)');
    await composeRun(['up', '-d', '--build'], 900_000);
    let cluster: StartedCluster | undefined;
    await waitFor(
      "docker-compose.yml's cluster: node1 primary, node2 streaming from it, the endpoint agent running",
      async () => {
        cluster ??= await attachCluster(o.docker, o.logger, NAME);
        if (!cluster) return false;
        const snapshot = await cluster.observe();
        const agent = await o.docker.inspectContainer(`${NAME}-endpoint-agent`);
        return snapshot.nodes.some((n) => n.name === 'node1' && n.role === 'primary') && snapshot.nodes.some((n) => n.name === 'node2' && n.role === 'standby') && (await cluster.isReady('node2')) && Boolean(agent?.running);
      },
      { timeoutMs: 240_000, intervalMs: 1000 },
    );
    return { cluster: cluster!, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
