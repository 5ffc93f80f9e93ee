/** Removing clusters: exactly what flipdrill labelled, nothing else. */
import type { DockerClient } from './docker-client.ts';
import { removeDataFs } from '../data-fs.ts';
import type { Logger } from '../lib/logger.ts';
import { projectLabels } from '../spec.ts';

/**
 * Remove every container, network and volume flipdrill labelled: of one cluster, or of all of
 * them. Exactly what flipdrill made, nothing else. Returns what was removed.
 */
export async function removeClusters(docker: DockerClient, logger: Logger, name?: string): Promise<string[]> {
  const labels = name ? projectLabels(name) : projectLabels();
  const removed: string[] = [];
  for (const container of await docker.listContainers(labels)) {
    await docker.removeContainer(container.name);
    removed.push(`container ${container.name}`);
  }
  for (const network of await docker.listNetworks(labels)) {
    await docker.removeNetwork(network.name);
    removed.push(`network ${network.name}`);
  }
  for (const volume of await docker.listVolumes(labels)) {
    await docker.removeVolume(volume);
    removed.push(`volume ${volume}`);
  }
  // Once no container holds them: the size-limited data file systems (a local engine's only).
  if (docker.engine.kind === 'unix') removed.push(...(await removeDataFs(name)));
  logger.info({ cluster: name ?? '*', removed }, 'removed');
  return removed;
}
