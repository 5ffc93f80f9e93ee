/** A running cluster, found again by its name (another process started it). */
import type { DockerClient } from './docker-client.ts';
import type { Logger } from '../lib/logger.ts';
import { defineCluster, names, projectLabels, SPEC_LABEL, type ClusterOptions } from '../spec.ts';
import type { ClusterCredentials } from './cluster-facts.ts';
import { StartedCluster } from './started-cluster.ts';

/** The cluster named `name`, if its containers exist, rebuilt from their labels, environment and secret files. */
export async function attachCluster(docker: DockerClient, logger: Logger, name = 'flipdrill'): Promise<StartedCluster | undefined> {
  const containers = await docker.listContainers(projectLabels(name));
  const first = containers.find((c) => c.labels[SPEC_LABEL]);
  if (!first) return undefined;
  const options = JSON.parse(first.labels[SPEC_LABEL]!) as ClusterOptions;
  const spec = defineCluster(options);
  const node1 = await docker.inspectContainer(names.container(spec, 'node1'));
  const app = await docker.inspectContainer(names.appContainer(spec));
  if (!node1 || !app) return undefined;
  // A secret a container was given, from its environment (an older cluster) or its secret file.
  const secretOf = async (container: string, env: Record<string, string>, key: string): Promise<string> => {
    if (env[key]) return env[key]!;
    const file = env[`${key}_FILE`];
    return file ? ((await docker.readFile(container, file, 64 * 1024)) ?? '') : '';
  };
  const node1Secret = (key: string) => secretOf(names.container(spec, 'node1'), node1.env, key);
  const credentials: ClusterCredentials = {
    superuser: { user: 'postgres', password: await node1Secret('POSTGRES_PASSWORD'), database: 'postgres' },
    repmgrPassword: await node1Secret('REPMGR_PASSWORD'),
    app: { user: app.env.DB_USER ?? 'flipdrill_app', password: (await secretOf(names.appContainer(spec), app.env, 'DB_PASSWORD')) || (await node1Secret('APP_DB_PASSWORD')), database: app.env.DB_NAME ?? 'flipdrill' },
    ...(app.env.DB_SSL_CA ? { ca: app.env.DB_SSL_CA } : {}),
  };
  if (spec.endpoint === 'do-simulator') {
    const simulator = await docker.inspectContainer(names.doSimulatorContainer(spec));
    const [hook, harness, agent] = simulator ? (await secretOf(names.doSimulatorContainer(spec), simulator.env, 'SIM_TOKENS')).split(',') : [];
    if (hook && harness && agent) credentials.doTokens = { hook, harness, agent };
  }
  return new StartedCluster(spec, credentials, docker, logger);
}
