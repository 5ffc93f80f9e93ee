/** The endpoint agent's container: it moves the endpoint and fences old primaries. */
import type { ContainerSpec, DockerClient } from '../docker-client.ts';
import { isLoopback, type EngineAddress } from '../engine-address.ts';
import type { TarFile } from '../tar.ts';
import { ClusterError } from '../../errors.ts';
import { waitFor } from '../../lib/wait-for.ts';
import { names } from '../../spec.ts';
import type { ClusterCredentials, ClusterFacts } from '../cluster-facts.ts';
import { SECRETS_DIR, secretFiles } from './node.ts';
import { FILTER_DIR } from '../../endpoint/agent/engine-filter.ts';

/**
 * The endpoint agent's environment, secret files and way to the engine: the superuser's password,
 * its own DigitalOcean token; the engine's socket mounted, or a tcp engine's address.
 */
export function agentContainerConfig(
  cluster: string,
  credentials: ClusterCredentials,
  engine: EngineAddress = { kind: 'unix', socketPath: '/var/run/docker.sock', fromDockerHost: false },
): { env: Record<string, string>; files: TarFile[]; binds?: string[] } {
  const secrets = secretFiles({ POSTGRES_PASSWORD: credentials.superuser.password, DIGITALOCEAN_TOKEN: credentials.doTokens?.agent });
  const env = { FLIPDRILL_CLUSTER: cluster, ...secrets.env };
  if (engine.kind === 'tcp') return { env: { ...env, FLIPDRILL_DOCKER_HOST: `tcp://${engine.host.includes(':') ? `[${engine.host}]` : engine.host}:${engine.port}` }, files: secrets.files };
  return { env, files: secrets.files, binds: [`${engine.socketPath}:/var/run/docker.sock`] };
}

/** The endpoint agent's container (see startEndpointAgent). */
export function agentContainerSpec(cluster: ClusterFacts, engine: EngineAddress, image: string, labels: Record<string, string>): ContainerSpec {
  const { spec, credentials } = cluster;
  return {
    name: names.agentContainer(spec),
    hostname: 'endpoint-agent',
    image,
    command: ['node', '/usr/local/lib/flipdrill/endpoint-agent.cjs'],
    // Two processes. Root for the engine's socket (root:docker 0660 on the host; the docker
    // group's number differs from host to host) and the secret files, as their owner: the engine
    // filter, which passes on only the calls the agent makes, for this cluster's containers and
    // networks. The agent itself runs as nobody, which cannot open the engine's socket, and talks
    // to the filter's socket in a tmpfs (FILTER_DIR). Of the capabilities only SETUID and SETGID
    // stay, for that change of user; the agent's process has none. Nothing raises that
    // (no-new-privileges), and it writes nowhere but stdout and the filter's socket (a read-only
    // root; its secret files in a volume of its own, SECRETS_DIR).
    user: '0:0',
    capDrop: ['ALL'],
    capAdd: ['SETUID', 'SETGID'],
    noNewPrivileges: true,
    readOnlyRoot: { filesDir: SECRETS_DIR },
    tmpfs: [FILTER_DIR],
    restartOnFailure: true,
    ...agentContainerConfig(spec.name, credentials, engine),
    labels,
    publish: {},
    // An engine on this host's loopback (DOCKER_HOST=tcp://127.0.0.1:...) is reached from the
    // host's network only; from there the nodes' addresses on the replication network are too.
    ...(isLoopback(engine) ? { hostNetwork: true, networks: [] } : { networks: [{ network: names.backNetwork(spec), ipv4Address: spec.agentBackIp, aliases: ['endpoint-agent'] }] }),
    stopTimeoutSecs: 2,
  };
}

/**
 * The endpoint agent: a container of the cluster's own (the app image's Node, the agent's bundle),
 * on the replication network, with the engine's socket mounted for its engine filter (or, for a
 * tcp engine, its address; on the host's network when that is this host's loopback). From here on the cluster moves its
 * endpoint itself; this waits until the agent says it is watching.
 */
export async function startEndpointAgent(cluster: ClusterFacts, docker: DockerClient, image: string, labels: Record<string, string>, signal?: AbortSignal): Promise<void> {
  const { spec } = cluster;
  const name = names.agentContainer(spec);
  await docker.createContainer(agentContainerSpec(cluster, docker.engine, image, labels));
  await docker.startContainer(name);
  await waitFor(
    `the endpoint agent ${name} to start watching`,
    async () => {
      const info = await docker.inspectContainer(name);
      if (info && !info.running && info.status === 'exited') {
        const said = await docker.logs(name, 5).catch(() => '');
        throw new ClusterError(`the endpoint agent ${name} exited at start: ${said.trim().split('\n').slice(-2).join(' | ')}`);
      }
      return (await docker.logs(name, 50)).includes(`endpoint agent for cluster ${spec.name}`);
    },
    { timeoutMs: 30_000, intervalMs: 200, ...(signal ? { signal } : {}), hint: `see: docker logs ${name}`, fatal: (e) => e instanceof ClusterError },
  );
}
