/**
 * The only module that imports dockerode. Everything else talks to Docker through the small
 * `DockerClient` interface below, so the rest of the code reads as cluster operations, every call
 * is logged with the container it concerns, and errors carry the container and network names.
 */
import { engineAddress, type EngineAddress } from './engine-address.ts';
import { PassThrough, type Readable } from 'node:stream';
import Docker from 'dockerode';
import type { Logger } from '../lib/logger.ts';
import { silentLogger } from '../lib/logger.ts';
import { containerStateOf, type ContainerState, type InspectJson } from './container-state.ts';
import { tarOf, type TarFile } from './tar.ts';

export interface NetworkSpec {
  name: string;
  subnet: string;
  gateway: string;
  /** Where Docker allocates addresses from (the rest of the subnet stays free, e.g. for a virtual IP). */
  ipRange?: string;
  labels: Record<string, string>;
}

export interface NetworkSummary {
  name: string;
  id: string;
  subnets: string[];
  labels: Record<string, string>;
}

export interface ContainerNetworkAttachment {
  network: string;
  ipv4Address: string;
  aliases: string[];
}

export interface ContainerSpec {
  name: string;
  hostname: string;
  image: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  /** Host ports, always bound to 127.0.0.1: container port → host port. */
  publish: Record<number, number>;
  /** The first network is attached at creation, the others before start. */
  networks: ContainerNetworkAttachment[];
  stopTimeoutSecs?: number;
  /**
   * Host paths bound into the container (host:container[:ro]). Only the endpoint agent has one:
   * the engine's socket, which gives it root on this host (see docs/concepts/how-it-works.md).
   */
  binds?: string[];
  /**
   * The host's network instead of the cluster's (the endpoint agent, when the engine listens on
   * this host's loopback over tcp): no hostname, no published ports, no network attachments.
   */
  hostNetwork?: boolean;
  /** Join this container's network namespace instead (a helper that acts on its network from inside). */
  networkOf?: string;
  /** The user the main process runs as, overriding the image's (the agent: root, for the socket). */
  user?: string;
  /** Docker restarts the container when its process exits with an error (the agent). */
  restartOnFailure?: boolean;
  /** Linux capabilities beyond Docker's default set. */
  capAdd?: string[];
  /** Overrides the image's entrypoint (the simulator runs from the node image). */
  entrypoint?: string[];
  /** The command (with the image's entrypoint, or alone when it has none). */
  command?: string[];
  /** Docker's init as PID 1, reaping the orphans of daemons (a plain machine's init does). */
  init?: boolean;
  /**
   * Files put into the container after it is created and before it starts, owned by root, their
   * directory 0700: secrets, which `docker inspect` would show if they were in `env`.
   */
  files?: TarFile[];
}

export interface ContainerSummary {
  name: string;
  id: string;
  state: string;
  labels: Record<string, string>;
}

export type { ContainerState } from './container-state.ts';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface BuildSpec {
  /** Directory the file paths are relative to. */
  contextDir: string;
  /** Files sent as the build context (relative to contextDir); nothing else is sent. */
  files: string[];
  /** Dockerfile path relative to contextDir. */
  dockerfile: string;
  tag: string;
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
}

export interface DockerClient {
  /** Where the engine is (a unix socket, or tcp): what the endpoint agent is given to reach it. */
  readonly engine: EngineAddress;
  ping(): Promise<void>;
  serverVersion(): Promise<string>;
  imageExists(tag: string): Promise<boolean>;
  importImage(rootfsTar: Readable, tag: string, labels: Record<string, string>): Promise<void>;
  buildImage(spec: BuildSpec): Promise<void>;
  removeImage(tag: string): Promise<void>;

  createNetwork(spec: NetworkSpec): Promise<void>;
  listNetworks(labels?: Record<string, string>): Promise<NetworkSummary[]>;
  removeNetwork(name: string): Promise<void>;
  connectNetwork(network: string, container: string, attachment: { ipv4Address: string; aliases: string[] }): Promise<void>;
  disconnectNetwork(network: string, container: string): Promise<void>;

  createContainer(spec: ContainerSpec): Promise<string>;
  startContainer(name: string): Promise<void>;
  killContainer(name: string, signal: string): Promise<void>;
  pauseContainer(name: string): Promise<void>;
  unpauseContainer(name: string): Promise<void>;
  stopContainer(name: string, timeoutSecs: number): Promise<void>;
  removeContainer(name: string): Promise<void>;
  inspectContainer(name: string): Promise<ContainerState | undefined>;
  listContainers(labels: Record<string, string>): Promise<ContainerSummary[]>;
  exec(container: string, cmd: string[], options?: { user?: string }): Promise<ExecResult>;
  /** A running container's memory use in bytes (its cgroup's, as `docker stats` shows it). */
  memoryUsage(container: string): Promise<number | undefined>;
  /** The last `lines` lines a container wrote (stdout and stderr), running or not. */
  logs(container: string, lines: number): Promise<string>;
  /**
   * A file from a container's filesystem, running or stopped (the engine's archive API): its last
   * `maxBytes` bytes, or undefined when there is no such file.
   */
  readFile(container: string, file: string, maxBytes: number): Promise<string | undefined>;

  listVolumes(labels: Record<string, string>): Promise<string[]>;
  removeVolume(name: string): Promise<void>;
}

function labelFilter(labels: Record<string, string> = {}): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

function statusCode(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error
    ? Number((error as { statusCode: unknown }).statusCode)
    : undefined;
}

export interface DockerodeClientOptions {
  /** Default: DOCKER_HOST, as docker's CLI reads it (see engine-address.ts). */
  engine?: EngineAddress;
  logger?: Logger;
}

export class DockerodeClient implements DockerClient {
  readonly #docker: Docker;
  readonly #log: Logger;
  readonly engine: EngineAddress;

  constructor(options: DockerodeClientOptions = {}) {
    this.engine = options.engine ?? engineAddress();
    this.#docker = new Docker(this.engine.kind === 'unix' ? { socketPath: this.engine.socketPath } : { host: this.engine.host, port: this.engine.port, protocol: 'http' });
    this.#log = (options.logger ?? silentLogger).child({ component: 'docker' });
  }

  /** Log around a call and rethrow with what was being done. */
  async #call<T>(what: string, context: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
    this.#log.debug(context, `${what}...`);
    try {
      const result = await fn();
      this.#log.debug(context, `${what}: done`);
      return result;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#log.warn({ ...context, err: message }, `${what}: failed`);
      throw Object.assign(new Error(`docker: ${what} failed: ${message}`, { cause: error }), { statusCode: statusCode(error) });
    }
  }

  async ping(): Promise<void> {
    await this.#docker.ping();
  }

  async serverVersion(): Promise<string> {
    const v = await this.#docker.version();
    return v.Version;
  }

  async imageExists(tag: string): Promise<boolean> {
    try {
      await this.#docker.getImage(tag).inspect();
      return true;
    } catch (error) {
      if (statusCode(error) === 404) return false;
      throw error;
    }
  }

  async importImage(rootfsTar: Readable, tag: string, labels: Record<string, string>): Promise<void> {
    const [repo, version] = splitTag(tag);
    await this.#call('import image', { image: tag }, async () => {
      const changes = Object.entries(labels).map(([k, v]) => `LABEL ${k}=${v}`);
      const stream = await this.#docker.importImage(rootfsTar as unknown as string, { repo, tag: version, changes });
      await this.#follow(stream);
    });
  }

  async buildImage(spec: BuildSpec): Promise<void> {
    await this.#call('build image', { image: spec.tag, dockerfile: spec.dockerfile }, async () => {
      const stream = await this.#docker.buildImage(
        { context: spec.contextDir, src: spec.files },
        { t: spec.tag, dockerfile: spec.dockerfile, buildargs: spec.buildArgs, labels: spec.labels, rm: true, forcerm: true },
      );
      const output = await this.#follow(stream);
      this.#log.debug({ image: spec.tag, output: output.slice(-2000) }, 'build output');
    });
  }

  async removeImage(tag: string): Promise<void> {
    await this.#call('remove image', { image: tag }, async () => {
      try {
        await this.#docker.getImage(tag).remove({ force: true });
      } catch (error) {
        if (statusCode(error) !== 404) throw error;
      }
    });
  }

  /** Drain a progress stream; an `error` entry in it is a failure even though the HTTP call succeeded. */
  #follow(stream: NodeJS.ReadableStream): Promise<string> {
    return new Promise((resolve, reject) => {
      const lines: string[] = [];
      this.#docker.modem.followProgress(
        stream,
        (error: Error | null) => (error ? reject(error) : resolve(lines.join(''))),
        (event: { stream?: string; status?: string; error?: string; errorDetail?: { message?: string } }) => {
          if (event.error) {
            reject(new Error(event.errorDetail?.message ?? event.error));
            return;
          }
          if (event.stream) lines.push(event.stream);
          else if (event.status) lines.push(`${event.status}\n`);
        },
      );
    });
  }

  async createNetwork(spec: NetworkSpec): Promise<void> {
    await this.#call('create network', { network: spec.name, subnet: spec.subnet }, async () => {
      await this.#docker.createNetwork({
        Name: spec.name,
        Driver: 'bridge',
        CheckDuplicate: true,
        IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet, Gateway: spec.gateway, ...(spec.ipRange ? { IPRange: spec.ipRange } : {}) }] },
        Labels: spec.labels,
      });
    });
  }

  async listNetworks(labels?: Record<string, string>): Promise<NetworkSummary[]> {
    const filters = labels ? { label: labelFilter(labels) } : undefined;
    const networks = await this.#docker.listNetworks(filters ? { filters } : {});
    return networks.map((n) => ({
      name: n.Name,
      id: n.Id,
      subnets: (n.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => typeof s === 'string'),
      labels: n.Labels ?? {},
    }));
  }

  async removeNetwork(name: string): Promise<void> {
    await this.#call('remove network', { network: name }, async () => {
      try {
        await this.#docker.getNetwork(name).remove();
      } catch (error) {
        if (statusCode(error) !== 404) throw error;
      }
    });
  }

  async connectNetwork(network: string, container: string, attachment: { ipv4Address: string; aliases: string[] }): Promise<void> {
    await this.#call('connect to network', { network, container, aliases: attachment.aliases }, async () => {
      await this.#docker.getNetwork(network).connect({
        Container: container,
        EndpointConfig: { Aliases: attachment.aliases, IPAMConfig: { IPv4Address: attachment.ipv4Address } },
      });
    });
  }

  async disconnectNetwork(network: string, container: string): Promise<void> {
    await this.#call('disconnect from network', { network, container }, async () => {
      await this.#docker.getNetwork(network).disconnect({ Container: container, Force: true });
    });
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const [first, ...rest] = spec.networks;
    const id = await this.#call('create container', { container: spec.name, image: spec.image }, async () => {
      const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
      const exposed: Record<string, object> = {};
      for (const [containerPort, hostPort] of Object.entries(spec.publish)) {
        portBindings[`${containerPort}/tcp`] = [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }];
        exposed[`${containerPort}/tcp`] = {};
      }
      const container = await this.#docker.createContainer({
        name: spec.name,
        ...(spec.hostNetwork || spec.networkOf ? {} : { Hostname: spec.hostname }),
        Image: spec.image,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        ...(spec.entrypoint ? { Entrypoint: spec.entrypoint, Healthcheck: { Test: ['NONE'] } } : {}),
        ...(spec.command ? { Cmd: spec.command } : {}),
        Labels: spec.labels,
        ExposedPorts: exposed,
        StopTimeout: spec.stopTimeoutSecs,
        ...(spec.user ? { User: spec.user } : {}),
        HostConfig: {
          PortBindings: portBindings,
          NetworkMode: spec.hostNetwork ? 'host' : spec.networkOf ? `container:${spec.networkOf}` : first?.network,
          RestartPolicy: spec.restartOnFailure ? { Name: 'on-failure', MaximumRetryCount: 0 } : { Name: 'no' },
          CapAdd: spec.capAdd,
          ...(spec.binds ? { Binds: spec.binds } : {}),
          ...(spec.init ? { Init: true } : {}),
        },
        NetworkingConfig: first && !spec.hostNetwork
          ? { EndpointsConfig: { [first.network]: { Aliases: first.aliases, IPAMConfig: { IPv4Address: first.ipv4Address } } } }
          : undefined,
      });
      if (spec.files?.length) await container.putArchive(tarOf(spec.files), { path: '/' });
      return container.id;
    });
    for (const attachment of rest) await this.connectNetwork(attachment.network, spec.name, attachment);
    return id;
  }

  async startContainer(name: string): Promise<void> {
    await this.#call('start container', { container: name }, () => this.#docker.getContainer(name).start());
  }

  async killContainer(name: string, signal: string): Promise<void> {
    await this.#call('kill container', { container: name, signal }, () => this.#docker.getContainer(name).kill({ signal }));
  }

  async pauseContainer(name: string): Promise<void> {
    await this.#call('pause container', { container: name }, () => this.#docker.getContainer(name).pause());
  }

  async unpauseContainer(name: string): Promise<void> {
    await this.#call('unpause container', { container: name }, () => this.#docker.getContainer(name).unpause());
  }

  async stopContainer(name: string, timeoutSecs: number): Promise<void> {
    await this.#call('stop container', { container: name }, async () => {
      try {
        await this.#docker.getContainer(name).stop({ t: timeoutSecs });
      } catch (error) {
        if (statusCode(error) !== 304) throw error; // already stopped
      }
    });
  }

  async removeContainer(name: string): Promise<void> {
    await this.#call('remove container', { container: name }, async () => {
      try {
        await this.#docker.getContainer(name).remove({ force: true, v: true });
      } catch (error) {
        // 404: already gone. 409 "already in progress": another cleanup is removing it.
        const inProgress = statusCode(error) === 409 && /already in progress/.test(String((error as Error).message));
        if (statusCode(error) !== 404 && !inProgress) throw error;
      }
    });
  }

  async inspectContainer(name: string): Promise<ContainerState | undefined> {
    try {
      const info = await this.#docker.getContainer(name).inspect();
      return containerStateOf(info as unknown as InspectJson, { withEnv: true });
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      throw error;
    }
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const list = await this.#docker.listContainers({ all: true, filters: { label: labelFilter(labels) } });
    return list.map((c) => ({ name: (c.Names[0] ?? c.Id).replace(/^\//, ''), id: c.Id, state: c.State, labels: c.Labels ?? {} }));
  }

  async logs(container: string, lines: number): Promise<string> {
    return this.#call('logs', { container }, async () => {
      const raw = (await this.#docker.getContainer(container).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
      // Without a TTY the stream is multiplexed: 8-byte frame headers (stream, 0, 0, 0, size).
      const out: Buffer[] = [];
      for (let i = 0; i + 8 <= raw.length; ) {
        const size = raw.readUInt32BE(i + 4);
        out.push(raw.subarray(i + 8, i + 8 + size));
        i += 8 + size;
      }
      return Buffer.concat(out).toString('utf8');
    });
  }

  async readFile(container: string, file: string, maxBytes: number): Promise<string | undefined> {
    return this.#call('read file', { container, file }, async () => {
      let stream: NodeJS.ReadableStream;
      try {
        stream = await this.#docker.getContainer(container).getArchive({ path: file });
      } catch (error) {
        if (statusCode(error) === 404) return undefined;
        throw error;
      }
      return firstTarEntryTail(stream, maxBytes);
    });
  }

  async memoryUsage(container: string): Promise<number | undefined> {
    return this.#call('stats', { container }, async () => {
      const stats = (await this.#docker.getContainer(container).stats({ stream: false })) as { memory_stats?: { usage?: number } };
      return stats.memory_stats?.usage;
    });
  }

  async exec(container: string, cmd: string[], options: { user?: string } = {}): Promise<ExecResult> {
    return this.#call('exec', { container, cmd: cmd.join(' ') }, async () => {
      const exec = await this.#docker.getContainer(container).exec({
        Cmd: cmd,
        User: options.user,
        AttachStdout: true,
        AttachStderr: true,
      });
      const stream = await exec.start({ hijack: true, stdin: false });
      const out = new PassThrough();
      const err = new PassThrough();
      const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
      out.on('data', (b: Buffer) => chunks.out.push(b));
      err.on('data', (b: Buffer) => chunks.err.push(b));
      this.#docker.modem.demuxStream(stream, out, err);
      await new Promise<void>((resolve, reject) => {
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', reject);
      });
      const inspected = await exec.inspect();
      return {
        exitCode: inspected.ExitCode ?? -1,
        stdout: Buffer.concat(chunks.out).toString('utf8'),
        stderr: Buffer.concat(chunks.err).toString('utf8'),
      };
    });
  }

  async listVolumes(labels: Record<string, string>): Promise<string[]> {
    const result = await this.#docker.listVolumes({ filters: { label: labelFilter(labels) } });
    return (result.Volumes ?? []).map((v) => v.Name);
  }

  async removeVolume(name: string): Promise<void> {
    await this.#call('remove volume', { volume: name }, async () => {
      try {
        await this.#docker.getVolume(name).remove();
      } catch (error) {
        if (statusCode(error) !== 404) throw error;
      }
    });
  }
}

/**
 * The last `maxBytes` of the first file in a tar stream (what the archive API sends for one path):
 * a 512-byte header with the size in octal at offset 124, then the content. Keeps only the tail
 * in memory.
 */
export async function firstTarEntryTail(stream: NodeJS.ReadableStream, maxBytes: number): Promise<string> {
  let header: Buffer | undefined;
  let pending = Buffer.alloc(0);
  let size = 0;
  let seen = 0;
  let tail = Buffer.alloc(0);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let data = Buffer.from(chunk);
    if (!header) {
      pending = Buffer.concat([pending, data]);
      if (pending.length < 512) continue;
      header = pending.subarray(0, 512);
      size = parseInt(header.subarray(124, 136).toString('ascii').replace(/\0.*$/, '').trim() || '0', 8);
      data = pending.subarray(512);
    }
    if (seen >= size) continue;
    const take = data.subarray(0, size - seen);
    seen += take.length;
    tail = Buffer.concat([tail, take]);
    if (tail.length > maxBytes) tail = tail.subarray(tail.length - maxBytes);
  }
  return tail.toString('utf8');
}

function splitTag(tag: string): [string, string] {
  const i = tag.lastIndexOf(':');
  return i > tag.lastIndexOf('/') ? [tag.slice(0, i), tag.slice(i + 1)] : [tag, 'latest'];
}
