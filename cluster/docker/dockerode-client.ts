/**
 * `DockerClient` through dockerode, the only module that connects to the engine with it. Each
 * concern is a module of its own (images, networks, containers, what goes in and out of them,
 * volumes); this class holds the connection and the logger they share.
 */
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import type { Logger } from '../lib/logger.ts';
import { silentLogger } from '../lib/logger.ts';
import type { ContainerState } from './container-state.ts';
import type { BuildSpec, ContainerSpec, ContainerSummary, DockerClient, ExecResult, NetworkSpec, NetworkSummary } from './docker-client.ts';
import type { DockerodeContext } from './dockerode-call.ts';
import { engineAddress, type EngineAddress } from './engine-address.ts';
import * as containers from './containers.ts';
import * as io from './container-io.ts';
import * as images from './image-build.ts';
import * as networks from './networks.ts';
import * as volumes from './volumes.ts';

export interface DockerodeClientOptions {
  /** Default: DOCKER_HOST, as docker's CLI reads it (see engine-address.ts). */
  engine?: EngineAddress;
  logger?: Logger;
}

export class DockerodeClient implements DockerClient {
  readonly #ctx: DockerodeContext;
  readonly engine: EngineAddress;

  constructor(options: DockerodeClientOptions = {}) {
    this.engine = options.engine ?? engineAddress();
    this.#ctx = {
      docker: new Docker(this.engine.kind === 'unix' ? { socketPath: this.engine.socketPath } : { host: this.engine.host, port: this.engine.port, protocol: 'http' }),
      log: (options.logger ?? silentLogger).child({ component: 'docker' }),
    };
  }

  async ping(): Promise<void> {
    await this.#ctx.docker.ping();
  }

  async serverVersion(): Promise<string> {
    const v = await this.#ctx.docker.version();
    return v.Version;
  }

  imageExists(tag: string): Promise<boolean> {
    return images.imageExists(this.#ctx, tag);
  }

  importImage(rootfsTar: Readable, tag: string, labels: Record<string, string>): Promise<void> {
    return images.importImage(this.#ctx, rootfsTar, tag, labels);
  }

  buildImage(spec: BuildSpec): Promise<void> {
    return images.buildImage(this.#ctx, spec);
  }

  removeImage(tag: string): Promise<void> {
    return images.removeImage(this.#ctx, tag);
  }

  createNetwork(spec: NetworkSpec): Promise<void> {
    return networks.createNetwork(this.#ctx, spec);
  }

  listNetworks(labels?: Record<string, string>): Promise<NetworkSummary[]> {
    return networks.listNetworks(this.#ctx, labels);
  }

  removeNetwork(name: string): Promise<void> {
    return networks.removeNetwork(this.#ctx, name);
  }

  connectNetwork(network: string, container: string, attachment: { ipv4Address: string; aliases: string[] }): Promise<void> {
    return networks.connectNetwork(this.#ctx, network, container, attachment);
  }

  disconnectNetwork(network: string, container: string): Promise<void> {
    return networks.disconnectNetwork(this.#ctx, network, container);
  }

  createContainer(spec: ContainerSpec): Promise<string> {
    return containers.createContainer(this.#ctx, spec);
  }

  startContainer(name: string): Promise<void> {
    return containers.startContainer(this.#ctx, name);
  }

  killContainer(name: string, signal: string): Promise<void> {
    return containers.killContainer(this.#ctx, name, signal);
  }

  pauseContainer(name: string): Promise<void> {
    return containers.pauseContainer(this.#ctx, name);
  }

  unpauseContainer(name: string): Promise<void> {
    return containers.unpauseContainer(this.#ctx, name);
  }

  stopContainer(name: string, timeoutSecs: number): Promise<void> {
    return containers.stopContainer(this.#ctx, name, timeoutSecs);
  }

  removeContainer(name: string): Promise<void> {
    return containers.removeContainer(this.#ctx, name);
  }

  inspectContainer(name: string): Promise<ContainerState | undefined> {
    return containers.inspectContainer(this.#ctx, name);
  }

  listContainers(labels: Record<string, string>): Promise<ContainerSummary[]> {
    return containers.listContainers(this.#ctx, labels);
  }

  logs(container: string, lines: number): Promise<string> {
    return io.logs(this.#ctx, container, lines);
  }

  readFile(container: string, file: string, maxBytes: number): Promise<string | undefined> {
    return io.readFile(this.#ctx, container, file, maxBytes);
  }

  memoryUsage(container: string): Promise<number | undefined> {
    return io.memoryUsage(this.#ctx, container);
  }

  exec(container: string, cmd: string[], options: { user?: string } = {}): Promise<ExecResult> {
    return io.exec(this.#ctx, container, cmd, options);
  }

  listVolumes(labels: Record<string, string>): Promise<string[]> {
    return volumes.listVolumes(this.#ctx, labels);
  }

  removeVolume(name: string): Promise<void> {
    return volumes.removeVolume(this.#ctx, name);
  }
}
