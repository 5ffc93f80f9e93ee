/**
 * What the rest of the code knows of Docker: the small `DockerClient` interface and the specs it
 * takes, so the code reads as cluster operations. `DockerodeClient` (dockerode-client.ts) is the
 * one implementation; it and the modules it uses are the only ones that import dockerode. Every
 * call is logged with the container it concerns, and errors carry the container and network names.
 */
import type { Readable } from 'node:stream';
import type { EngineAddress } from './engine-address.ts';
import type { ContainerState } from './container-state.ts';
import type { TarFile } from './tar.ts';

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
  /** Capabilities taken from Docker's default set ('ALL': every one; capAdd adds back). */
  capDrop?: string[];
  /** `no-new-privileges`: no setuid binary or file capability raises what its processes may do. */
  noNewPrivileges?: boolean;
  /**
   * A read-only root file system (the agent). `files` then go into a volume of the container's
   * own at `filesDir` (the engine puts files into such a container only in a volume), removed
   * with it; each file must lie directly in that folder.
   */
  readOnlyRoot?: { filesDir: string };
  /** Folders that are a tmpfs of the container's own (writable beside a read-only root). */
  tmpfs?: string[];
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
