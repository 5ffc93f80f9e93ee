/**
 * Integration tests need a Docker engine and the images; get both once, with progress on stderr.
 * A test run killed half-way (a CI job cancelled, a machine stopped) can leave its clusters on an
 * engine that outlives it; the next run would then meet "a cluster named fdtest-... exists already".
 * Every test cluster's name starts with "fdtest", so those are removed first: only what a test
 * run made, never a cluster of the user's. (Two test runs on one engine at once never worked: they
 * use the same names, ports and subnets; now the second also ends the first's clusters.)
 */
import { CLUSTER_LABEL, connectDocker, createLogger, ImageBuilder, projectLabels, removeClusters } from '../../cluster/index.ts';

const TEST_CLUSTER_PREFIX = 'fdtest';

export default async function setup(): Promise<void> {
  const logger = createLogger();
  const onStep = (step: string) => process.stderr.write(`[integration setup] ${step}\n`);
  const docker = await connectDocker({ logger, onStep });
  const labelled = [...(await docker.listContainers(projectLabels())), ...(await docker.listNetworks(projectLabels()))];
  const stale = new Set(labelled.map((c) => c.labels[CLUSTER_LABEL] ?? '').filter((name) => name.startsWith(TEST_CLUSTER_PREFIX)));
  for (const name of stale) {
    const removed = await removeClusters(docker, logger, name);
    onStep(`removed what an earlier test run left of cluster "${name}": ${removed.join(', ')}`);
  }
  const images = await new ImageBuilder({ docker, logger, onStep }).ensureAll();
  onStep(`images ready: ${Object.values(images).join(', ')}`);
}
