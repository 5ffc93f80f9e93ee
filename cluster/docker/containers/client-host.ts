/** The client host's container: a user's client module, run in the app's place. */
import type { ClientModule } from '../../client-module.ts';
import type { DockerClient } from '../docker-client.ts';
import { ConfigError } from '../../errors.ts';
import { waitFor } from '../../lib/wait-for.ts';
import { names } from '../../spec.ts';
import type { ClusterFacts } from '../cluster-facts.ts';
import { secretFiles } from '../secret-files.ts';

/**
 * A user's client module in the client host (app/client-host.ts), in the app's place: same name,
 * address and port, the module's project mounted read-only. It answers the app contract; a module
 * that cannot be used is said in one line (ConfigError) before anything else happens.
 */
export async function startClientHost(cluster: ClusterFacts, docker: DockerClient, image: string, module: ClientModule, labels: Record<string, string>, signal?: AbortSignal): Promise<void> {
  const { spec, credentials } = cluster;
  const name = names.appContainer(spec);
  const ssl = credentials.ca ? { ssl: { ca: credentials.ca, rejectUnauthorized: true } } : {};
  const settings = (host: string) => ({ host, port: 5432, user: credentials.app.user, password: credentials.app.password, database: credentials.app.database, ...ssl });
  // The settings hold the app's password: files only the module's user reads, not the environment.
  const [uid, gid] = module.user.split(':').map(Number);
  const secrets = secretFiles(
    {
      FLIPDRILL_CONNECTION: JSON.stringify(settings(spec.endpoint === 'virtual-ip' ? spec.virtualIp.address : spec.endpointAlias)),
      FLIPDRILL_REPLICAS: JSON.stringify(cluster.dataNodes.slice().reverse().map((n) => settings(n.name))),
    },
    { uid: uid!, gid: gid ?? uid! },
  );
  await docker.createContainer({
    name,
    hostname: 'app',
    image,
    command: ['node', '/usr/local/lib/flipdrill/client-host.cjs'],
    user: module.user,
    env: {
      APP_PROFILE: 'client',
      FLIPDRILL_CLIENT_MODULE: module.inContainer,
      FLIPDRILL_CLIENT_NAME: module.name,
      ...secrets.env,
    },
    files: secrets.files,
    binds: [`${module.mount}:/client:ro`],
    labels,
    publish: { 8080: spec.app.hostPort },
    networks: [{ network: names.frontNetwork(spec), ipv4Address: spec.app.frontIp, aliases: ['app'] }],
    stopTimeoutSecs: 5,
  });
  await docker.startContainer(name);
  await waitFor(
    `your client module ${module.name} to load in the client host`,
    async () => {
      const res = await fetch(`${cluster.appUrl}/flipdrill/health`, { signal: AbortSignal.timeout(15_000) });
      if (res.status === 500) throw new ConfigError(String(((await res.json()) as { error?: unknown }).error ?? 'the client module cannot be used'));
      return res.ok;
    },
    { timeoutMs: 60_000, intervalMs: 250, ...(signal ? { signal } : {}), hint: `see: docker logs ${name}`, fatal: (e) => e instanceof ConfigError },
  );
}
