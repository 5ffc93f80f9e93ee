/**
 * What a start checks before it creates anything (a free port, free subnets), and once its
 * networks exist (their subnets exactly as specified), so a start fails early and names why.
 */
import net from 'node:net';
import os from 'node:os';
import type { DockerClient } from './docker-client.ts';
import { ClusterError, PortInUseError, SubnetConflictError } from '../errors.ts';
import { names, PROJECT_LABEL, projectLabels, subnetsOverlap, type ClusterSpec } from '../spec.ts';

/** Fail early, with the port named, rather than halfway through creating containers. */
export async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new PortInUseError(`port ${port} on 127.0.0.1 is already in use`, {
          hint: error.code === 'EADDRINUSE' ? 'free it, or choose other ports with --port-base / --app-port' : error.message,
        }),
      ),
    );
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** The subnets must not overlap a Docker network or an address of this host. */
export async function assertSubnetsFree(docker: DockerClient, spec: ClusterSpec): Promise<void> {
  const wanted = [spec.backSubnet, spec.frontSubnet];
  for (const network of await docker.listNetworks()) {
    for (const subnet of network.subnets) {
      const clash = wanted.find((w) => subnetsOverlap(w, subnet));
      if (clash) {
        throw new SubnetConflictError(`subnet ${clash} overlaps Docker network "${network.name}" (${subnet})`, {
          hint: network.labels[PROJECT_LABEL] ? 'run: npm run flipdrill -- down' : 'choose other subnets with --back-subnet / --front-subnet',
        });
      }
    }
  }
  for (const [iface, addresses] of Object.entries(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family !== 'IPv4' || !address.cidr) continue;
      const clash = wanted.find((w) => subnetsOverlap(w, address.cidr!));
      if (clash) {
        throw new SubnetConflictError(`subnet ${clash} overlaps ${address.cidr} on this host's interface ${iface}`, {
          hint: 'choose other subnets with --back-subnet / --front-subnet',
        });
      }
    }
  }
}

/** Network safety: nothing is sent before the project's networks exist with exactly their subnets. */
export async function assertNetworksAsSpecified(docker: DockerClient, spec: ClusterSpec): Promise<void> {
  const networks = await docker.listNetworks(projectLabels(spec.name));
  for (const [name, subnet] of [
    [names.backNetwork(spec), spec.backSubnet],
    [names.frontNetwork(spec), spec.frontSubnet],
  ] as const) {
    const found = networks.find((n) => n.name === name);
    if (!found || !found.subnets.includes(subnet)) {
      throw new ClusterError(`network ${name} is missing or does not have subnet ${subnet} (has ${found?.subnets.join(', ') || 'none'})`);
    }
  }
}
