/** What a Docker cluster's capabilities act on: its node containers, through its engine. */
import type { DockerClient, ExecResult } from '../docker-client.ts';
import type { ClusterSpec, NodeSpec } from '../../spec.ts';

export interface NodeContainers {
  readonly spec: ClusterSpec;
  readonly docker: DockerClient;
  containerOf(node: string): string;
  node(name: string): NodeSpec;
  /** Run a command inside a node's container. */
  exec(node: string, cmd: string[], options?: { user?: string }): Promise<ExecResult>;
  /** Is the node's container running and not paused? */
  isRunning(node: string): Promise<boolean>;
}

/** Each node's findings, in the nodes' order. */
export async function eachNode(nodes: readonly string[], find: (node: string) => Promise<string[]>): Promise<string[]> {
  return (await Promise.all(nodes.map(find))).flat();
}
