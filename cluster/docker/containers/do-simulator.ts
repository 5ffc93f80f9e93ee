/** The DigitalOcean API simulator's container (the do-simulator endpoint: each node plays a droplet). */
import type { DockerClient } from '../docker-client.ts';
import { waitFor } from '../../lib/wait-for.ts';
import { dropletIdOf, names } from '../../spec.ts';
import type { EndpointWatch } from '../../target.ts';
import type { ClusterFacts } from '../cluster-facts.ts';
import { secretFiles } from '../secret-files.ts';

/**
 * The DigitalOcean API simulator in its own container, from the node image's Node and bundle, on
 * the replication network (where the nodes' hooks reach it) and on 127.0.0.1 for flipdrill. The
 * floating IP starts on node1's droplet, where the alias starts too.
 */
export async function startDoSimulator(cluster: ClusterFacts & Pick<EndpointWatch, 'doSimulator'>, docker: DockerClient, image: string, labels: Record<string, string>): Promise<void> {
  const { spec, credentials } = cluster;
  const name = names.doSimulatorContainer(spec);
  // The tokens it accepts (the hook's, flipdrill's, the agent's) as a root-only file, not in its environment.
  const secrets = secretFiles({ SIM_TOKENS: `${credentials.doTokens!.hook},${credentials.doTokens!.harness},${credentials.doTokens!.agent}` });
  await docker.createContainer({
    name,
    hostname: 'do-api',
    image,
    entrypoint: ['/usr/local/bin/node', '/usr/local/lib/flipdrill/flipdrill-dosim.cjs'],
    env: {
      ...secrets.env,
      SIM_DROPLETS: JSON.stringify(spec.nodes.map((n) => ({ id: dropletIdOf(n), name: n.name, region: spec.doSimulator.region }))),
      SIM_IPS: JSON.stringify([{ ip: spec.doSimulator.floatingIp, region: spec.doSimulator.region, dropletId: dropletIdOf(spec.nodes[0]!) }]),
      SIM_ACTION_DELAY_MS: '1500',
      // Every address of its own container: the replication network and the published port.
      SIM_HOST: '0.0.0.0',
    },
    labels,
    files: secrets.files,
    publish: { 8080: spec.doSimulator.hostPort },
    networks: [{ network: names.backNetwork(spec), ipv4Address: spec.doSimulator.backIp, aliases: ['do-api'] }],
    stopTimeoutSecs: 2,
  });
  await docker.startContainer(name);
  await waitFor('the DigitalOcean API simulator to answer', async () => (await cluster.doSimulator('state').then(() => true, () => false)), {
    timeoutMs: 20_000,
    intervalMs: 200,
    hint: `see: docker logs ${name}`,
  });
}
