/**
 * The app's container: flipdrill's app (with a profile), or an app image of yours in its place;
 * same name, address and port either way.
 */
import type { DockerClient } from '../docker-client.ts';
import { appProfileNamed, type AppProfile } from '../../app-profiles/index.ts';
import type { AppConnection } from '../../app-profiles/profile.ts';
import { ClusterError, ConfigError } from '../../errors.ts';
import { waitFor } from '../../lib/wait-for.ts';
import { names } from '../../spec.ts';
import { ANALYTICS_DATABASE, type ClusterFacts } from '../cluster-facts.ts';
import { secretFiles } from '../secret-files.ts';

/** The user flipdrill's app image runs as (app/Dockerfile's USER): the one that reads its secret files. */
const APP_IMAGE_USER = { uid: 65534, gid: 65534 };

/** An environment's passwords moved into files (`<NAME>_FILE`), the rest left as it is. */
export function passwordsAsFiles(env: Record<string, string>, keys: readonly string[], owner?: { uid: number; gid: number }, mode?: number) {
  const rest = { ...env };
  const values: Record<string, string> = {};
  for (const key of keys) {
    if (rest[key] === undefined) continue;
    values[key] = rest[key]!;
    delete rest[key];
  }
  const secrets = secretFiles(values, owner);
  return { env: { ...rest, ...secrets.env }, files: mode === undefined ? secrets.files : secrets.files.map((f) => ({ ...f, mode, dirMode: 0o755 })) };
}

/** Where flipdrill's app connects, and as whom. */
export function appConnection(cluster: Pick<ClusterFacts, 'spec' | 'credentials'>): AppConnection {
  const { spec, credentials } = cluster;
  return {
    // The floating endpoint: the alias, or the virtual IP the primary holds.
    host: spec.endpoint === 'virtual-ip' ? spec.virtualIp.address : spec.endpointAlias,
    user: credentials.app.user,
    password: credentials.app.password,
    database: credentials.app.database,
    analyticsDatabase: ANALYTICS_DATABASE,
  };
}

/** The app container's environment: where it connects, as whom, with which profile (the profile's own part: cluster/app-profiles/). */
export function appEnv(cluster: ClusterFacts, profile: AppProfile): Record<string, string> {
  const { spec, credentials } = cluster;
  const kind = appProfileNamed(profile);
  if (!kind) throw new ClusterError(`the app profile "${profile}" is unknown`);
  const app = appConnection(cluster);
  const shared = {
    DB_PASSWORD: app.password,
    DB_USER: app.user,
    DB_NAME: app.database,
    DB_WRITE_HOST: app.host,
    // As in the tutorial: the standby first, then the primary (the witness holds no data).
    DB_READ_HOSTS: cluster.dataNodes.slice().reverse().map((n) => n.name).join(','),
    // The second database reads through the write endpoint only: its own replication settings.
    ANALYTICS_DB_NAME: app.analyticsDatabase,
    ...(credentials.ca ? { DB_SSL_CA: credentials.ca } : {}),
  };
  return kind.appEnv({ shared, app, spec });
}

/**
 * The database settings an app of yours is given: one variable per setting (libpq's own names,
 * which pg and psql read), a DATABASE_URL without the password, the password in the file
 * DATABASE_PASSWORD_FILE names, and the replicas. See docs/app-contract.md.
 */
export function appImageEnv(cluster: Pick<ClusterFacts, 'spec' | 'credentials' | 'dataNodes'>): Record<string, string> {
  const { spec, credentials } = cluster;
  const host = spec.endpoint === 'virtual-ip' ? spec.virtualIp.address : spec.endpointAlias;
  const { user, password, database } = credentials.app;
  return {
    PORT: '8080',
    PGHOST: host,
    PGPORT: '5432',
    PGUSER: user,
    DATABASE_PASSWORD: password,
    PGDATABASE: database,
    DATABASE_URL: `postgres://${encodeURIComponent(user)}@${host}:5432/${encodeURIComponent(database)}`,
    // Each data node, the standby first (for reads), comma-separated host names on port 5432.
    DATABASE_REPLICA_HOSTS: cluster.dataNodes.slice().reverse().map((n) => n.name).join(','),
    ...(credentials.ca ? { PGSSLMODE: 'verify-full', DATABASE_CA: credentials.ca } : {}),
  };
}

/** Your app's image in the app's place: same name, address and port; it answers the app contract. */
export async function startAppImage(cluster: ClusterFacts, docker: DockerClient, image: string, labels: Record<string, string>, signal?: AbortSignal): Promise<void> {
  const name = names.appContainer(cluster.spec);
  await docker.createContainer({
    name,
    hostname: 'app',
    image,
    // The image's user is its own (any uid): the password file is readable inside the container
    // (whose processes are all the app's), and in no environment `docker inspect` shows.
    ...(() => {
      const { env, files } = passwordsAsFiles({ ...appImageEnv(cluster), APP_PROFILE: 'image' }, ['DATABASE_PASSWORD'], undefined, 0o444);
      return { env, files };
    })(),
    labels,
    publish: { 8080: cluster.spec.app.hostPort },
    networks: [{ network: names.frontNetwork(cluster.spec), ipv4Address: cluster.spec.app.frontIp, aliases: ['app'] }],
    stopTimeoutSecs: 5,
  });
  await docker.startContainer(name);
  await waitFor(
    `your app ${image} to answer GET /flipdrill/health`,
    async () => {
      const info = await docker.inspectContainer(name);
      if (info && !info.running && info.status === 'exited') {
        const said = await docker.logs(name, 5).catch(() => '');
        throw new ConfigError(`your app ${image} exited at start: ${said.trim().split('\n').slice(-2).join(' | ') || 'it said nothing'}`);
      }
      const res = await fetch(`${cluster.appUrl}/flipdrill/health`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
      if (res?.status === 500) throw new ConfigError(`your app ${image}: ${String(((await res.json().catch(() => ({}))) as { error?: unknown }).error ?? 'GET /flipdrill/health answered 500')}`);
      return res?.ok ?? false;
    },
    { timeoutMs: 120_000, intervalMs: 250, ...(signal ? { signal } : {}), hint: `see: docker logs ${name}`, fatal: (e) => e instanceof ConfigError },
  );
}

/** flipdrill's app with this environment; returns once it answers /healthz. */
export async function createAndStartApp(
  cluster: Pick<ClusterFacts, 'spec' | 'appUrl'>,
  docker: DockerClient,
  image: string,
  env: Record<string, string>,
  labels: Record<string, string>,
  signal?: AbortSignal,
): Promise<void> {
  const { spec } = cluster;
  const appContainer = names.appContainer(spec);
  // The password as a file the app's user reads (DB_PASSWORD_FILE), not in the environment.
  const secrets = passwordsAsFiles(env, ['DB_PASSWORD'], APP_IMAGE_USER);
  await docker.createContainer({
    name: appContainer,
    hostname: 'app',
    image,
    env: secrets.env,
    files: secrets.files,
    labels,
    publish: { 8080: spec.app.hostPort },
    networks: [{ network: names.frontNetwork(spec), ipv4Address: spec.app.frontIp, aliases: ['app'] }],
    stopTimeoutSecs: 5,
  });
  await docker.startContainer(appContainer);
  await waitFor(
    'the app to answer /healthz with a writable primary',
    async () => {
      const res = await fetch(`${cluster.appUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    },
    { timeoutMs: 60_000, intervalMs: 250, signal, hint: `see: docker logs ${appContainer}` },
  );
}
