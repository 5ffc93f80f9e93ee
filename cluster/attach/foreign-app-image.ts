/**
 * Your app's image (--app-image) in the app's place on a cluster flipdrill did not build: a
 * container on this machine's own network (the file's endpoint is reached as this machine reaches
 * it, 127.0.0.1 included), given the app contract's settings for the file's endpoint and replicas,
 * the password as a file. It answers on 127.0.0.1 at a free port (HOST and PORT say which); ready
 * once /flipdrill/health answers; removed when the drill lets the cluster go.
 */
import type { DockerClient } from '../docker/docker-client.ts';
import { passwordsAsFiles } from '../docker/containers/app.ts';
import { engineAddress, isLoopback, type EngineAddress } from '../docker/engine-address.ts';
import { ConfigError } from '../errors.ts';
import { freePort } from '../local-app.ts';
import { waitFor } from '../lib/wait-for.ts';
import { clientSettings, DRILL_SCHEMA } from './app-settings.ts';

/** Marks the container as a drill's app, so a later run can find one left behind. */
export const ATTACHED_APP_LABEL = 'io.flipdrill.attached-app';

/** Query parameters that carry a secret: never in DATABASE_URL, which `docker inspect` shows. */
const SECRET_PARAMS = new Set(['password', 'sslpassword']);

/** The app contract's variables for a cluster file's endpoint and replicas (docs/app-contract.md). */
export function foreignAppImageEnv(endpoint: string, replicas: readonly string[], port: number): Record<string, string> {
  const c = clientSettings(endpoint) as { host: string; port: number; user: string; password: string; database: string; hosts: { host: string; port: number }[] };
  const hostPort = (h: { host: string; port: number }) => {
    const host = h.host.includes(':') ? `[${h.host}]` : h.host;
    return h.port === 5432 ? host : `${host}:${h.port}`;
  };
  const endpointHosts = c.hosts.map(hostPort).join(',');
  const params = new URLSearchParams(/\?(.*)$/.exec(endpoint)?.[1] ?? '');
  const password = c.password || params.get('password') || '';
  for (const key of [...params.keys()]) if (SECRET_PARAMS.has(key)) params.delete(key);
  const query = params.toString();
  const sslmode = params.get('sslmode');
  return {
    HOST: '127.0.0.1',
    PORT: String(port),
    PGHOST: c.host,
    PGPORT: String(c.port),
    PGUSER: c.user,
    DATABASE_PASSWORD: password,
    PGDATABASE: c.database,
    // The drill's schema first (tables are made there), public after it (extensions' functions): pg and libpq read PGOPTIONS.
    PGOPTIONS: `-c search_path=${DRILL_SCHEMA},public`,
    ...(sslmode ? { PGSSLMODE: sslmode } : {}),
    DATABASE_URL: `postgres://${encodeURIComponent(c.user)}@${endpointHosts}/${encodeURIComponent(c.database)}${query ? `?${query}` : ''}`,
    DATABASE_REPLICA_HOSTS: (replicas.length ? replicas : [endpoint]).flatMap((r) => (clientSettings(r) as { hosts: { host: string; port: number }[] }).hosts.map(hostPort)).join(','),
  };
}

/** Where the engine's "host network" is this machine: a local socket, or an engine on this host's loopback. */
export function hostNetworkIsHere(engine: EngineAddress, platform: NodeJS.Platform = process.platform): boolean {
  return platform === 'linux' && (engine.kind === 'unix' || isLoopback(engine));
}

export class ForeignAppImage {
  #port?: number;
  /** This drill made the container: only then does stop() touch it. */
  #created = false;

  constructor(
    private readonly docker: DockerClient,
    readonly image: string,
    /** The container's name: one per cluster file. */
    readonly name: string,
  ) {}

  /** What can be checked before anything is created: the engine is this machine's, the image is on it. */
  async check(): Promise<void> {
    if (!hostNetworkIsHere(engineAddress())) {
      throw new ConfigError(`--app-image with --cluster runs your image on this machine's network: the Docker engine must be this Linux host's own (a local socket or tcp on 127.0.0.1)`);
    }
    if (!(await this.docker.imageExists(this.image))) {
      throw new ConfigError(`--app-image ${this.image}: no such image on this Docker engine`, { hint: 'build or pull it first: flipdrill pulls nothing' });
    }
  }

  get url(): string {
    if (this.#port === undefined) throw new ConfigError('your app image is not running');
    return `http://127.0.0.1:${this.#port}`;
  }

  async start(endpoint: string, replicas: readonly string[], signal?: AbortSignal): Promise<void> {
    if (this.#port !== undefined) return;
    await this.check();
    // One left by a drill that ended without its cleanup: the drill's own (its label says so), stopped.
    const left = await this.docker.inspectContainer(this.name);
    if (left && left.labels[ATTACHED_APP_LABEL] !== this.name) throw new ConfigError(`a container named ${this.name} exists, and flipdrill did not make it`);
    if (left?.running) throw new ConfigError(`${this.name} is running: another drill of this cluster file runs your app image now`);
    if (left) await this.docker.removeContainer(this.name);
    const port = await freePort();
    const { env, files } = passwordsAsFiles({ ...foreignAppImageEnv(endpoint, replicas, port), APP_PROFILE: 'image' }, ['DATABASE_PASSWORD'], undefined, 0o444);
    // On this machine's network: no raw sockets (they would see its traffic), no privilege gained.
    await this.docker.createContainer({
      name: this.name,
      hostname: 'app',
      image: this.image,
      env,
      files,
      labels: { [ATTACHED_APP_LABEL]: this.name },
      publish: {},
      networks: [],
      hostNetwork: true,
      capDrop: ['NET_RAW'],
      noNewPrivileges: true,
      stopTimeoutSecs: 5,
    });
    this.#created = true;
    this.#port = port;
    await this.docker.startContainer(this.name);
    await waitFor(
      `your app ${this.image} to answer GET /flipdrill/health on 127.0.0.1:${port}`,
      async () => {
        const info = await this.docker.inspectContainer(this.name);
        if (info && !info.running && info.status === 'exited') {
          const said = await this.docker.logs(this.name, 5).catch(() => '');
          throw new ConfigError(`your app ${this.image} exited at start: ${said.trim().split('\n').slice(-2).join(' | ') || 'it said nothing'}`);
        }
        const res = await fetch(`${this.url}/flipdrill/health`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
        if (res?.status === 500) throw new ConfigError(`your app ${this.image}: ${String(((await res.json().catch(() => ({}))) as { error?: unknown }).error ?? 'GET /flipdrill/health answered 500')}`);
        return res?.ok ?? false;
      },
      { timeoutMs: 120_000, intervalMs: 250, ...(signal ? { signal } : {}), hint: "its output is in the run folder's app.log", fatal: (e) => e instanceof ConfigError },
    );
  }

  /** Its last output (for app.log), then the container gone; nothing when this drill did not make one. */
  async stop(): Promise<string> {
    this.#port = undefined;
    if (!this.#created) return '';
    this.#created = false;
    const said = await this.docker.logs(this.name, 2000).catch(() => '');
    await this.docker.removeContainer(this.name).catch(() => {});
    return said;
  }
}
