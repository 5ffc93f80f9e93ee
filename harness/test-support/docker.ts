/** What integration tests ask of Docker directly: leftovers of a cluster, by its labels. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
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

/**
 * After a failed test: print the tail of every node log a failed drill kept under `runsDir`
 * (node-logs/), so a CI log says what the nodes did, even though the machine is gone.
 */
export function printNodeLogs(runsDir: string, lines = 80): void {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (path.basename(dir) === 'node-logs') found.push(full);
    }
  };
  if (existsSync(runsDir)) walk(runsDir);
  for (const file of found) {
    const tail = readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
    process.stderr.write(`\n===== ${path.relative(runsDir, file)} (last ${lines} lines) =====\n${tail}\n`);
  }
}
