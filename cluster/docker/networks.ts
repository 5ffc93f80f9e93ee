/** Networks through dockerode: created with a fixed subnet, listed by label, containers attached by address. */
import type { NetworkSpec, NetworkSummary } from './docker-client.ts';
import { call, labelFilter, statusCode, type DockerodeContext } from './dockerode-call.ts';

export async function createNetwork(ctx: DockerodeContext, spec: NetworkSpec): Promise<void> {
  await call(ctx, 'create network', { network: spec.name, subnet: spec.subnet }, async () => {
    await ctx.docker.createNetwork({
      Name: spec.name,
      Driver: 'bridge',
      CheckDuplicate: true,
      IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet, Gateway: spec.gateway, ...(spec.ipRange ? { IPRange: spec.ipRange } : {}) }] },
      Labels: spec.labels,
    });
  });
}

export async function listNetworks(ctx: DockerodeContext, labels?: Record<string, string>): Promise<NetworkSummary[]> {
  const filters = labels ? { label: labelFilter(labels) } : undefined;
  const networks = await ctx.docker.listNetworks(filters ? { filters } : {});
  return networks.map((n) => ({
    name: n.Name,
    id: n.Id,
    subnets: (n.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => typeof s === 'string'),
    labels: n.Labels ?? {},
  }));
}

export async function removeNetwork(ctx: DockerodeContext, name: string): Promise<void> {
  await call(ctx, 'remove network', { network: name }, async () => {
    try {
      await ctx.docker.getNetwork(name).remove();
    } catch (error) {
      if (statusCode(error) !== 404) throw error;
    }
  });
}

export async function connectNetwork(ctx: DockerodeContext, network: string, container: string, attachment: { ipv4Address: string; aliases: string[] }): Promise<void> {
  await call(ctx, 'connect to network', { network, container, aliases: attachment.aliases }, async () => {
    await ctx.docker.getNetwork(network).connect({
      Container: container,
      EndpointConfig: { Aliases: attachment.aliases, IPAMConfig: { IPv4Address: attachment.ipv4Address } },
    });
  });
}

export async function disconnectNetwork(ctx: DockerodeContext, network: string, container: string): Promise<void> {
  await call(ctx, 'disconnect from network', { network, container }, async () => {
    await ctx.docker.getNetwork(network).disconnect({ Container: container, Force: true });
  });
}
