/**
 * The endpoint agent's whole view of the Docker engine: a few calls of the Engine API over its
 * unix socket, with no client library. In its container that socket is the engine filter's
 * (engine-filter.ts), which passes on only these calls, for its own cluster; the engine's socket,
 * root on the host, is the filter's alone. It can do only what is here: inspect and list
 * containers and networks, connect and disconnect a container to a network, and read a node's
 * addresses. And `ConfinedEngine` lets it touch only containers and networks that carry its own
 * cluster's labels.
 */
import http from 'node:http';
import { containerStateOf, type ContainerState, type InspectJson } from '../../docker/container-state.ts';
import type { ContainerSummary, DockerClient } from '../../docker/docker-client.ts';
import { CLUSTER_LABEL, PROJECT_LABEL } from '../../spec.ts';

/** What the agent may ask of the engine. */
export type AgentEngine = Pick<DockerClient, 'inspectContainer' | 'listContainers' | 'connectNetwork' | 'disconnectNetwork' | 'exec'> & {
  networkLabels(network: string): Promise<Record<string, string> | undefined>;
};

export class EngineApiError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

interface Answer {
  status: number;
  body: Buffer;
}

export class EngineSocket implements AgentEngine {
  readonly #where: { socketPath: string } | { host: string; port: number };

  /** `where`: the engine's unix socket path, or `tcp://host:port`. */
  constructor(
    where: string,
    private readonly timeoutMs = 10_000,
  ) {
    const tcp = /^tcp:\/\/(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/.exec(where);
    this.#where = tcp ? { host: tcp[1]!.replace(/^\[|\]$/g, ''), port: Number(tcp[2]) } : { socketPath: where };
  }

  #request(method: string, path: string, body?: unknown): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request(
        {
          ...this.#where,
          path,
          method,
          timeout: this.timeoutMs,
          headers: { host: 'docker', ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`the engine did not answer ${method} ${path} within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  async #json<T>(method: string, path: string, body?: unknown, ok: number[] = [200, 201, 204]): Promise<T | undefined> {
    const answer = await this.#request(method, path, body);
    if (answer.status === 404 && method === 'GET') return undefined;
    if (!ok.includes(answer.status)) {
      const text = answer.body.toString('utf8');
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // not JSON: keep the text
      }
      throw new EngineApiError(`docker: ${method} ${path} answered ${answer.status}: ${message.trim()}`, answer.status);
    }
    return answer.body.length ? (JSON.parse(answer.body.toString('utf8')) as T) : undefined;
  }

  async inspectContainer(name: string): Promise<ContainerState | undefined> {
    const info = await this.#json<InspectJson>('GET', `/containers/${encodeURIComponent(name)}/json`);
    return info ? containerStateOf(info, { withEnv: false }) : undefined;
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) }));
    const list = (await this.#json<{ Id: string; Names: string[]; State: string; Labels?: Record<string, string> }[]>('GET', `/containers/json?all=1&filters=${filters}`)) ?? [];
    return list.map((c) => ({ name: (c.Names[0] ?? c.Id).replace(/^\//, ''), id: c.Id, state: c.State, labels: c.Labels ?? {} }));
  }

  async networkLabels(network: string): Promise<Record<string, string> | undefined> {
    const info = await this.#json<{ Labels?: Record<string, string> }>('GET', `/networks/${encodeURIComponent(network)}`);
    return info ? (info.Labels ?? {}) : undefined;
  }

  async connectNetwork(network: string, container: string, attachment: { ipv4Address: string; aliases: string[] }): Promise<void> {
    await this.#json('POST', `/networks/${encodeURIComponent(network)}/connect`, {
      Container: container,
      EndpointConfig: { Aliases: attachment.aliases, IPAMConfig: { IPv4Address: attachment.ipv4Address } },
    });
  }

  async disconnectNetwork(network: string, container: string): Promise<void> {
    await this.#json('POST', `/networks/${encodeURIComponent(network)}/disconnect`, { Container: container, Force: true });
  }

  /** Run a command and collect its output (the engine multiplexes stdout and stderr in frames). */
  async exec(container: string, cmd: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const created = await this.#json<{ Id: string }>('POST', `/containers/${encodeURIComponent(container)}/exec`, { Cmd: cmd, AttachStdout: true, AttachStderr: true });
    if (!created) throw new EngineApiError(`docker: exec in ${container} returned no id`, 0);
    const answer = await this.#request('POST', `/exec/${created.Id}/start`, { Detach: false, Tty: false });
    if (answer.status !== 200) throw new EngineApiError(`docker: exec in ${container} answered ${answer.status}`, answer.status);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    for (let i = 0; i + 8 <= answer.body.length; ) {
      const size = answer.body.readUInt32BE(i + 4);
      (answer.body[i] === 2 ? err : out).push(answer.body.subarray(i + 8, i + 8 + size));
      i += 8 + size;
    }
    const inspected = await this.#json<{ ExitCode: number | null }>('GET', `/exec/${created.Id}/json`);
    return { exitCode: inspected?.ExitCode ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
  }
}

/** The one command the agent may run in a node: list its IPv4 addresses (does it hold the virtual IP?). */
export const ADDRESS_LIST_COMMAND = ['ip', '-o', '-4', 'addr', 'show'] as const;

export class NotOurClusterError extends Error {}

/**
 * The engine, limited to one cluster: every change and every exec first checks that the container
 * and network carry `io.flipdrill.project=flipdrill` and `io.flipdrill.cluster=<cluster>`, and exec
 * runs only the address listing above.
 */
export class ConfinedEngine implements AgentEngine {
  /** One look a container per tick is enough: looks within 50 ms share one answer (until a change). */
  readonly #seen = new Map<string, { at: number; state: Promise<ContainerState | undefined> }>();

  constructor(
    private readonly engine: AgentEngine,
    readonly cluster: string,
  ) {}

  #ours(labels: Record<string, string> | undefined): boolean {
    return labels?.[PROJECT_LABEL] === 'flipdrill' && labels[CLUSTER_LABEL] === this.cluster;
  }

  async #checkContainer(container: string): Promise<void> {
    const info = await this.engine.inspectContainer(container);
    if (!info || !this.#ours(info.labels)) throw new NotOurClusterError(`refusing to touch container ${container}: it is not labelled as part of cluster ${this.cluster}`);
  }

  async #checkNetwork(network: string): Promise<void> {
    if (!this.#ours(await this.engine.networkLabels(network))) throw new NotOurClusterError(`refusing to touch network ${network}: it is not labelled as part of cluster ${this.cluster}`);
  }

  inspectContainer(name: string): Promise<ContainerState | undefined> {
    const seen = this.#seen.get(name);
    if (seen && Date.now() - seen.at < 50) return seen.state;
    const state = this.engine.inspectContainer(name);
    this.#seen.set(name, { at: Date.now(), state });
    state.catch(() => this.#seen.delete(name));
    return state;
  }

  listContainers(labels: Record<string, string>): Promise<ContainerSummary[]> {
    return this.engine.listContainers(labels);
  }

  networkLabels(network: string): Promise<Record<string, string> | undefined> {
    return this.engine.networkLabels(network);
  }

  async connectNetwork(network: string, container: string, attachment: { ipv4Address: string; aliases: string[] }): Promise<void> {
    await this.#checkNetwork(network);
    await this.#checkContainer(container);
    this.#seen.clear();
    await this.engine.connectNetwork(network, container, attachment);
    this.#seen.clear();
  }

  async disconnectNetwork(network: string, container: string): Promise<void> {
    await this.#checkNetwork(network);
    await this.#checkContainer(container);
    this.#seen.clear();
    await this.engine.disconnectNetwork(network, container);
    this.#seen.clear();
  }

  async exec(container: string, cmd: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    if (cmd.join(' ') !== ADDRESS_LIST_COMMAND.join(' ')) throw new NotOurClusterError(`refusing to run "${cmd.join(' ')}" in ${container}: the agent only lists addresses`);
    await this.#checkContainer(container);
    return this.engine.exec(container, cmd);
  }
}
