/**
 * The endpoint agent: the part of the cluster that keeps its floating endpoint on the primary and
 * fences an old primary from application traffic. It runs in a container of its own beside the
 * nodes (started by `flipdrill up`, a drill, the library and `docker compose up`), with the Docker
 * socket mounted, and runs the endpoint controller: observe one snapshot of the databases, decide
 * purely, act idempotently. It finds its cluster by its labels, acts only on what carries them
 * (ConfinedEngine), and logs every move, fence and unfence with its reason on stdout
 * (`docker logs <cluster>-endpoint-agent`), where a drill reads them back.
 */
import type { Logger } from '../../lib/logger.ts';
import { KeptConnections, type Credentials } from '../../observe.ts';
import { defineCluster, names, projectLabels, SPEC_LABEL, type ClusterOptions, type ClusterSpec } from '../../spec.ts';
import { EndpointController } from '../controller.ts';
import { createDoWrapperClient } from '../digitalocean/do-wrapper-client.ts';
import { clusterEndpoint } from '../for-cluster.ts';
import { ConfinedEngine, type AgentEngine } from './engine-socket.ts';

export interface AgentOptions {
  engine: AgentEngine;
  cluster: string;
  /** The PostgreSQL superuser's password: the agent asks each node whether it is in recovery. */
  password: string;
  logger: Logger;
  /** With the DigitalOcean simulator: the agent's own API token. */
  doToken?: string;
  intervalMs?: number;
}

/** The cluster's definition, from the spec label its containers carry; undefined until they exist. */
export async function findClusterSpec(engine: Pick<AgentEngine, 'listContainers'>, cluster: string): Promise<ClusterSpec | undefined> {
  const containers = await engine.listContainers(projectLabels(cluster));
  const labelled = containers.find((c) => c.labels[SPEC_LABEL]);
  if (!labelled) return undefined;
  return defineCluster({ ...(JSON.parse(labelled.labels[SPEC_LABEL]!) as ClusterOptions), name: cluster });
}

/** The controller for the cluster, reading the nodes over the replication network. Not started. */
export function agentController(spec: ClusterSpec, options: AgentOptions): EndpointController {
  const engine = new ConfinedEngine(options.engine, spec.name);
  const doClient =
    spec.endpoint === 'do-simulator' && options.doToken
      ? createDoWrapperClient(options.doToken, { baseUrl: `http://${spec.doSimulator.backIp}:8080/v2/`, timeoutMs: 5000 })
      : undefined;
  const endpoint = clusterEndpoint(spec, engine, doClient ? { doClient } : {});
  const credentials: Credentials = { user: 'postgres', password: options.password, database: 'postgres' };
  const nodes = spec.nodes.map((n) => ({ name: n.name, initialRole: n.initialRole, hostPort: 5432, host: n.backIp }));
  const isRunning = async (node: { name: string }) => {
    const info = await engine.inspectContainer(names.container(spec, node.name));
    return Boolean(info?.running && !info.paused);
  };
  const connections = new KeptConnections(credentials, 1000, 'flipdrill-endpoint-agent');
  return new EndpointController({
    endpoint,
    observe: () => connections.observe(nodes, isRunning),
    logger: options.logger,
    intervalMs: options.intervalMs ?? 100,
  });
}
