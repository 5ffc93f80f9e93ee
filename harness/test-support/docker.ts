/** What integration tests ask of Docker directly: leftovers of a cluster, by its labels. */
import { connectDocker, createLogger, type DockerClient } from '../../cluster/index.ts';

let docker: DockerClient | undefined;

export async function testDocker(): Promise<DockerClient> {
  docker ??= await connectDocker({ logger: createLogger(), allowInstall: false });
  return docker;
}

/** Everything labelled with this cluster's name: containers, networks, volumes. */
export async function leftovers(cluster: string): Promise<string[]> {
  const d = await testDocker();
  const labels = { 'io.flipdrill.project': 'flipdrill', 'io.flipdrill.cluster': cluster };
  const containers = (await d.listContainers(labels)).map((c) => `container ${c.name}`);
  const networks = (await d.listNetworks(labels)).map((n) => `network ${n.name}`);
  const volumes = (await d.listVolumes(labels)).map((v) => `volume ${v}`);
  return [...containers, ...networks, ...volumes];
}
