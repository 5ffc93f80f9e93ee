/**
 * The floating endpoint of a Docker cluster, built from its definition: the `pg-primary` alias,
 * the virtual IP or the DigitalOcean floating IP, each with the front network's alias for fencing.
 * The endpoint agent drives it (cluster/endpoint/agent/); the harness gets the same object typed
 * as a view, and only looks.
 */
import type { DockerClient } from '../docker/docker-client.ts';
import { dropletIdOf, names, type ClusterSpec } from '../spec.ts';
import type { DoIpClient } from './digitalocean/api.ts';
import { DigitalOceanEndpoint } from './digitalocean/endpoint.ts';
import { DockerAliasEndpoint } from './docker-alias.ts';
import type { FloatingEndpoint } from './endpoint.ts';
import { VirtualIpEndpoint } from './virtual-ip.ts';

/** What an endpoint needs of the engine: inspect, network connect/disconnect, and listing a node's addresses. */
export type EndpointEngine = Pick<DockerClient, 'inspectContainer' | 'connectNetwork' | 'disconnectNetwork' | 'exec'>;

/** Does the container's network namespace hold `address`? (A stopped or paused one holds nothing.) */
export async function holdsAddress(engine: EndpointEngine, container: string, address: string): Promise<boolean> {
  const info = await engine.inspectContainer(container);
  if (!info?.running || info.paused) return false;
  const r = await engine.exec(container, ['ip', '-o', '-4', 'addr', 'show']);
  return r.stdout.split('\n').some((line) => line.includes(` ${address}/`));
}

export function clusterEndpoint(spec: ClusterSpec, engine: EndpointEngine, options: { doClient?: DoIpClient } = {}): FloatingEndpoint {
  const dataNodes = spec.nodes.filter((n) => n.initialRole !== 'witness');
  const alias = new DockerAliasEndpoint(
    engine,
    names.frontNetwork(spec),
    spec.endpointAlias,
    dataNodes.map((n) => ({ name: n.name, container: names.container(spec, n.name), frontIp: n.frontIp })),
  );
  if (spec.endpoint === 'virtual-ip') {
    return new VirtualIpEndpoint({ network: alias, address: spec.virtualIp.address, holds: (node) => holdsAddress(engine, names.container(spec, node), spec.virtualIp.address) });
  }
  if (spec.endpoint === 'do-simulator' && options.doClient) {
    return new DigitalOceanEndpoint({
      network: alias,
      client: options.doClient,
      ip: spec.doSimulator.floatingIp,
      nodeOfDroplet: new Map(dataNodes.map((n) => [dropletIdOf(n), n.name])),
    });
  }
  return alias;
}
