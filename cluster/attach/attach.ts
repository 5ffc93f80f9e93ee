/**
 * A cluster file's nodes as a fault driver: each node's driver (a container on this engine, a
 * machine over SSH, the user's commands) made from its entry in the file, and the cluster's
 * NodeFaults assembled from them (drivers/faults-of.ts). Making them contacts nothing: the Docker
 * engine and SSH are reached only when a fault runs (or its leftovers are looked for).
 */
import type { DockerClient } from '../docker/docker-client.ts';
import { ClusterError } from '../errors.ts';
import type { SwitchoverCapability } from '../target.ts';
import type { HaManager } from './managers/manager.ts';
import type { SshRunner } from '../remote/ssh.ts';
import type { ForeignClusterFile, ForeignNode } from './cluster-file.ts';
import { commandsDriver, type CommandName } from './drivers/commands-driver.ts';
import { dockerDriver } from './drivers/docker-driver.ts';
import { faultsOf, type AttachedFaults } from './drivers/faults-of.ts';
import type { NodeDriver } from './drivers/node-driver.ts';
import { sshDriver } from './drivers/ssh-driver.ts';

export interface AttachOptions {
  /** This engine, for docker nodes (asked for only if the file has one). */
  docker?: () => DockerClient;
  /** The image of the helper that acts in a container's network namespace. */
  helperImage?: () => Promise<string>;
  /** flipdrill's SSH runner, for ssh nodes. */
  ssh?: () => Pick<SshRunner, 'run'>;
  /** Each command a commands node ran, with its output (kept in the run folder). */
  onOutput?: (node: string, command: CommandName, stdout: string, stderr: string) => void;
}

/** The host a node's URL names (its packets come from there, for the others' one-way partitions). */
export function urlHost(url: string): string | undefined {
  return /^postgres(?:ql)?:\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/?,]+)/.exec(url)?.[1]?.replace(/^\[|\]$/g, '');
}

/**
 * The database's port where the node runs, for the connection faults: the port its URL names,
 * unless the URL reaches it through this host's loopback (a port Docker publishes, a tunnel),
 * where the node's own port is PostgreSQL's default.
 */
export function dbPortOf(url: string): number {
  const host = urlHost(url) ?? '';
  const port = /^postgres(?:ql)?:\/\/(?:[^@/]*@)?(?:\[[^\]]+\]|[^:/?,]+):(\d+)/.exec(url)?.[1];
  if (!port || host === 'localhost' || host === '::1' || host.startsWith('127.')) return 5432;
  return Number(port);
}

function driverOf(node: ForeignNode, options: AttachOptions): NodeDriver {
  const d = node.driver;
  switch (d.kind) {
    case 'docker': {
      if (!options.docker || !options.helperImage) throw new Error(`node ${node.name} is a container, and no Docker engine was given`);
      return dockerDriver({ name: node.name, container: d.container, dbPort: dbPortOf(node.url) }, { docker: options.docker(), helperImage: options.helperImage });
    }
    case 'ssh': {
      if (!options.ssh) throw new Error(`node ${node.name} is reached over SSH, and no SSH runner was given`);
      return sshDriver(
        {
          name: node.name,
          host: d.host,
          user: d.user,
          port: d.port,
          dbPort: dbPortOf(node.url),
          ...(d.key ? { key: d.key } : {}),
          ...(d.knownHosts ? { sshOptions: ['-o', `UserKnownHostsFile=${d.knownHosts}`, '-o', 'StrictHostKeyChecking=accept-new'] } : {}),
          ...(d.manager ? { manager: d.manager } : {}),
          ...(d.services ? { services: d.services } : {}),
          ...(d.dataDirectory ? { dataDirectory: d.dataDirectory } : {}),
          ...(d.start ? { start: d.start } : {}),
          ...(d.stop ? { stop: d.stop } : {}),
        },
        options.ssh(),
      );
    }
    case 'commands':
      return commandsDriver({
        name: node.name,
        commands: d.commands,
        timeoutMs: d.timeoutSecs * 1000,
        ...(options.onOutput ? { onOutput: (command: CommandName, stdout: string, stderr: string) => options.onOutput!(node.name, command, stdout, stderr) } : {}),
      });
  }
}

/** The file's nodes, each with its driver, as one NodeFaults. */
export function attachFaults(file: ForeignClusterFile, options: AttachOptions): AttachedFaults {
  return faultsOf(
    file.nodes.map((node) => {
      // A container's own addresses are its driver's to know; a URL through this host's loopback
      // (a published port) says nothing of where the node's packets come from.
      const host = node.driver.kind === 'docker' ? undefined : urlHost(node.url);
      const useful = host && !/^(127\.|localhost$|::1$)/.test(host);
      return { name: node.name, driver: driverOf(node, options), ...(useful ? { addresses: [host] } : {}) };
    }),
  );
}

/**
 * The HA manager's planned switchover as the cluster's switchover capability: to `node`, from
 * whichever node `primary()` says is primary when it is asked for.
 */
export function withManagerSwitchover(faults: AttachedFaults, manager: HaManager, primary: () => Promise<string | undefined>): AttachedFaults {
  const switchover: SwitchoverCapability = {
    async switchover(node) {
      const current = await primary();
      if (!current) throw new ClusterError(`no primary to switch over from to ${node}`);
      return manager.switchover(node, current);
    },
    describe: (node, current) => manager.describeSwitchover(node, current),
  };
  return { ...faults, capabilities: { ...faults.capabilities, switchover } };
}
