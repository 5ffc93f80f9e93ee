/**
 * The floating endpoint as a Docker network alias (`pg-primary`) on the front network.
 *
 * Docker cannot change a connected container's aliases, so moving the alias is: disconnect the
 * new primary from the front network and connect it again, with the alias and the same address.
 * Its existing connections survive (same address, same network namespace). The old holder is
 * disconnected altogether: a stopped container keeps its network settings, so one that still had
 * the alias would get it back when it restarts.
 */
import type { DockerClient } from '../docker/docker-client.ts';

/** What the alias needs of the engine: inspect, connect, disconnect. */
export type AliasEngine = Pick<DockerClient, 'inspectContainer' | 'connectNetwork' | 'disconnectNetwork'>;
import { EndpointError } from '../errors.ts';
import type { EndpointState, FloatingEndpoint } from './endpoint.ts';

export interface DockerAliasNode {
  name: string;
  container: string;
  frontIp: string;
}

export class DockerAliasEndpoint implements FloatingEndpoint {
  readonly kind = 'docker-alias' as const;

  constructor(
    private readonly docker: AliasEngine,
    private readonly network: string,
    readonly address: string,
    private readonly nodes: readonly DockerAliasNode[],
  ) {}

  #node(name: string): DockerAliasNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new EndpointError(`unknown node "${name}" (known: ${this.nodes.map((n) => n.name).join(', ')})`);
    return node;
  }

  async state(): Promise<EndpointState> {
    let holder: string | undefined;
    const reachable: string[] = [];
    // One look at every node at once; then in the nodes' order.
    const infos = await Promise.all(this.nodes.map((node) => this.docker.inspectContainer(node.container)));
    for (const [i, node] of this.nodes.entries()) {
      const attachment = infos[i]?.networks[this.network];
      if (!attachment) continue;
      reachable.push(node.name);
      if (attachment.aliases.includes(this.address)) holder = node.name;
    }
    return { holder, reachable };
  }

  async moveTo(name: string): Promise<void> {
    const node = this.#node(name);
    const current = await this.state();
    if (current.holder === name) return;
    try {
      if (current.holder) await this.fence(current.holder);
      if (current.reachable.includes(name)) await this.docker.disconnectNetwork(this.network, node.container);
      await this.docker.connectNetwork(this.network, node.container, { ipv4Address: node.frontIp, aliases: [node.name, this.address] });
    } catch (error) {
      throw new EndpointError(`moving ${this.address} to ${name} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async fence(name: string): Promise<void> {
    const node = this.#node(name);
    const info = await this.docker.inspectContainer(node.container);
    if (!info?.networks[this.network]) return;
    await this.docker.disconnectNetwork(this.network, node.container);
  }

  async unfence(name: string): Promise<void> {
    const node = this.#node(name);
    const info = await this.docker.inspectContainer(node.container);
    if (!info || info.networks[this.network]) return;
    await this.docker.connectNetwork(this.network, node.container, { ipv4Address: node.frontIp, aliases: [node.name] });
  }
}
