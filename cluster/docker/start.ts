/**
 * `startCluster()`: a cluster's networks and containers, from its definition, into a
 * StartedCluster. A start that fails removes whatever it created: no half-created cluster is ever
 * left behind.
 */
import { randomBytes } from 'node:crypto';
import type { DockerClient } from './docker-client.ts';
import type { StepReporter } from './engine.ts';
import { appProfileNamed } from '../app-profiles/index.ts';
import { ClusterError, ConfigError } from '../errors.ts';
import { prepareClientModule } from '../client-module.ts';
import { assertDataFsPossible, createDataFs } from '../data-fs.ts';
import { assertFaultFsPossible } from '../fault-fs/index.ts';
import type { Images } from '../images.ts';
import type { Logger } from '../lib/logger.ts';
import { waitFor } from '../lib/wait-for.ts';
import { generateSshKeyPair } from '../ssh-key.ts';
import { generateClusterTls } from '../tls.ts';
import { AGENT_ROLE, defineCluster, hostAddress, names, NODE_LABEL, projectLabels, ROLE_LABEL, SPEC_LABEL, type ClusterOptions } from '../spec.ts';
import type { ClusterCredentials } from './cluster-facts.ts';
import { startEndpointAgent } from './containers/agent.ts';
import { appConnection, appEnv, createAndStartApp, startAppImage } from './containers/app.ts';
import { startClientHost } from './containers/client-host.ts';
import { startDoSimulator } from './containers/do-simulator.ts';
import { createNodeContainer } from './containers/node.ts';
import { assertNetworksAsSpecified, assertPortFree, assertSubnetsFree } from './preflight.ts';
import { removeClusters } from './remove.ts';
import { StartedCluster } from './started-cluster.ts';

export interface StartOptions {
  docker: DockerClient;
  images: Images;
  logger: Logger;
  onStep?: StepReporter;
  signal?: AbortSignal;
  /** Deadline for the three nodes to be registered and streaming. */
  readyTimeoutMs?: number;
}

function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

export async function startCluster(options: ClusterOptions, start: StartOptions): Promise<StartedCluster> {
  const spec = defineCluster(options);
  const { docker, images } = start;
  const log = start.logger.child({ cluster: spec.name });
  const onStep = start.onStep ?? (() => {});

  const existing = await docker.listContainers(projectLabels(spec.name));
  if (existing.length > 0) {
    throw new ClusterError(`a cluster named "${spec.name}" exists already (${existing.map((c) => c.name).join(', ')})`, {
      hint: 'run: npm run flipdrill -- down',
    });
  }
  if (spec.app.image && !(await docker.imageExists(spec.app.image))) {
    throw new ConfigError(`--app-image ${spec.app.image}: no such image on this Docker engine`, { hint: 'build or pull it first: flipdrill pulls nothing' });
  }
  // A container the app's profile needs in front of the endpoint (the dsql app's DSQL stand-in).
  const front = spec.app.start ? appProfileNamed(spec.appProfile)?.frontContainer : undefined;
  for (const port of [
    ...spec.nodes.map((n) => n.hostPort),
    ...(spec.app.start ? [spec.app.hostPort] : []),
    ...(spec.endpoint === 'do-simulator' ? [spec.doSimulator.hostPort] : []),
    ...(front?.hostPorts(spec) ?? []),
  ])
    await assertPortFree(port);
  await assertSubnetsFree(docker, spec);

  const credentials: ClusterCredentials = {
    superuser: { user: 'postgres', password: generatePassword(), database: 'postgres' },
    repmgrPassword: generatePassword(),
    app: { user: 'flipdrill_app', password: generatePassword(), database: 'flipdrill' },
  };
  const sshKey = generateSshKeyPair(`flipdrill-${spec.name}`);
  const doToken = () => `dop_v1_${randomBytes(24).toString('hex')}`;
  if (spec.endpoint === 'do-simulator') credentials.doTokens = { hook: doToken(), harness: doToken(), agent: doToken() };
  const tls = spec.tls ? generateClusterTls(spec.name, spec.nodes.map((n) => n.name), spec.endpointAlias) : undefined;
  if (tls) credentials.ca = tls.ca.cert;
  const cluster = new StartedCluster(spec, credentials, docker, start.logger);
  const labels = (extra: Record<string, string>) => ({ ...projectLabels(spec.name), [SPEC_LABEL]: JSON.stringify(options), ...extra });

  try {
    onStep('starting nodes');
    for (const [name, subnet] of [
      [names.backNetwork(spec), spec.backSubnet],
      [names.frontNetwork(spec), spec.frontSubnet],
    ] as const) {
      // Docker allocates from the front network's first half only: the virtual IP lives in the second.
      const ipRange = name === names.frontNetwork(spec) ? spec.virtualIp.dockerRange : undefined;
      await docker.createNetwork({ name, subnet, gateway: hostAddress(subnet, 1), ...(ipRange ? { ipRange } : {}), labels: projectLabels(spec.name) });
    }
    await assertNetworksAsSpecified(docker, spec);

    if (spec.endpoint === 'do-simulator') {
      onStep('starting the DigitalOcean API simulator (each node plays a droplet)');
      await startDoSimulator(cluster, docker, images.node, labels({ [ROLE_LABEL]: 'do-simulator' }));
    }

    const dataFsMounts = new Map<string, string>();
    if (spec.dataFs) {
      assertDataFsPossible(docker.engine);
      if (spec.dataFs.faults) assertFaultFsPossible();
      onStep(
        spec.dataFs.faults
          ? `making each data node a ${spec.dataFs.sizeMb} MB file system for its data directory, behind flipdrill's fault file system (for the disk faults)`
          : `making each data node a ${spec.dataFs.sizeMb} MB file system for its data directory (for the disk-full fault)`,
      );
      for (const node of spec.nodes.filter((n) => n.initialRole !== 'witness')) {
        dataFsMounts.set(node.name, await createDataFs(spec.name, node.name, spec.dataFs.sizeMb, { faults: !!spec.dataFs.faults }));
      }
    }

    for (const node of spec.nodes) {
      await createNodeContainer(docker, spec, node, {
        image: images.node,
        credentials,
        sshKey,
        tls,
        dataFsMount: dataFsMounts.get(node.name),
        labels: labels({ [ROLE_LABEL]: node.initialRole, [NODE_LABEL]: node.name }),
      });
    }
    for (const node of spec.nodes) await docker.startContainer(cluster.containerOf(node.name));

    await waitForReady(cluster, docker, log, start);
    log.info('nodes ready');

    onStep('starting the endpoint agent (it moves the endpoint and fences old primaries from now on)');
    await startEndpointAgent(cluster, docker, images.app, labels({ [ROLE_LABEL]: AGENT_ROLE }), start.signal);

    if (!spec.app.start) return cluster;
    if (spec.app.image) {
      onStep(`starting your app image ${spec.app.image} (in place of flipdrill's app)`);
      await startAppImage(cluster, docker, spec.app.image, labels({ [ROLE_LABEL]: 'app' }), start.signal);
      return cluster;
    }
    if (spec.app.client) {
      onStep(`starting your client module ${spec.app.client} in the client host (in place of the app)`);
      const module = await prepareClientModule(spec.app.client);
      try {
        await startClientHost(cluster, docker, images.app, module, labels({ [ROLE_LABEL]: 'app' }), start.signal);
      } finally {
        // The client host imports the module once, at its start: loaded or failed, its bundle can go.
        module.dispose();
      }
      return cluster;
    }
    if (front) {
      onStep(front.starting);
      await front.start({
        docker,
        image: images.node,
        name: names.frontContainer(spec, front.role),
        labels: labels({ [ROLE_LABEL]: front.role }),
        network: names.frontNetwork(spec),
        spec,
        app: appConnection(cluster),
        signal: start.signal,
      });
    }
    onStep(`starting the app (${spec.appProfile} profile${spec.tls ? ', TLS' : ''})`);
    await createAndStartApp(cluster, docker, images.app, appEnv(cluster, spec.appProfile), labels({ [ROLE_LABEL]: 'app' }), start.signal);
    log.info({ url: cluster.appUrl }, 'app ready');
    return cluster;
  } catch (error) {
    log.warn({ err: (error as Error).message }, 'start failed: removing what was created');
    await removeClusters(docker, log, spec.name).catch((cleanupError) =>
      log.error({ err: (cleanupError as Error).message }, 'cleanup after a failed start failed'),
    );
    throw error;
  }
}

async function waitForReady(cluster: StartedCluster, docker: DockerClient, log: Logger, start: StartOptions): Promise<void> {
  const spec = cluster.spec;
  const timeoutMs = start.readyTimeoutMs ?? 90_000;
  const primary = spec.nodes.find((n) => n.initialRole === 'primary')!;
  await waitFor(
    `node1 primary, ${spec.nodes.filter((n) => n.initialRole === 'standby').map((n) => n.name).join(', ')} streaming, the witness registered, repmgrd everywhere`,
    async () => {
      for (const node of spec.nodes) {
        const info = await docker.inspectContainer(cluster.containerOf(node.name));
        if (!info?.running) {
          // The cluster is removed after a failed start, and its logs with it: say what it said.
          const said = await docker.logs(cluster.containerOf(node.name), 8).catch(() => '');
          const last = said.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
          throw new ClusterError(`container ${cluster.containerOf(node.name)} stopped during start${last ? `; its last lines: ${last}` : ''}`, {
            hint: "a failed start removes what it created; the node's last lines are above",
          });
        }
        const ready = await docker.exec(cluster.containerOf(node.name), ['test', '-f', '/run/flipdrill/ready']);
        if (ready.exitCode !== 0) return false;
      }
      const [row] = await cluster.query<{ active: string; streaming: string; sync: string }>(
        primary.name,
        `SELECT (SELECT count(*) FROM repmgr.nodes WHERE active) AS active,
                (SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming') AS streaming,
                current_setting('synchronous_standby_names') AS sync`,
        [],
        'repmgr',
      );
      const syncReady = spec.replication === 'async' || Boolean(row?.sync);
      const standbys = spec.nodes.filter((n) => n.initialRole === 'standby').length;
      return Number(row?.active) === spec.nodes.length && Number(row?.streaming) >= standbys && syncReady;
    },
    {
      timeoutMs,
      intervalMs: 250,
      signal: start.signal,
      hint: `see: docker logs ${cluster.containerOf('node2')}`,
      fatal: (error) => error instanceof ClusterError,
    },
  );
  log.debug('cluster registered and streaming');
}
