/**
 * A node that is a container on this Docker engine, by name, built by whoever built it. Kill is
 * the whole container (`docker kill`, as a host dies), stop and start are Docker's, freeze is
 * `docker pause`. Partitions and network shapes act from the host inside the container's network
 * namespace (netns.ts), so the user's image needs neither iptables nor privileges.
 *
 * Leftovers: a paused container; the fault's firewall chains or a shape in its network namespace
 * (found through a helper container that shares it; none on a container that is not running).
 */
import { ClusterError } from '../../errors.ts';
import type { DockerClient } from '../../docker/docker-client.ts';
import { describeShape, shapeLeftScript, shapeScript, unshapeScript } from '../../net-shape.ts';
import { ONE_WAY_CHAIN } from '../../target.ts';
import { addChainsScript, chainsLeftScript, connectionChains, CONNECTION_CHAINS, oneLine, oneWayChains, partitionChains, PARTITION_IN, PARTITION_OUT, removeChainsScript } from '../../iptables.ts';
import { containerNetns, type NetnsOptions } from './netns.ts';
import type { NodeDriver } from './node-driver.ts';

export interface DockerNode {
  /** The node's name in the cluster file, for messages. */
  readonly name: string;
  readonly container: string;
  /** How long `docker stop` waits before it kills; 10 s unless given. */
  readonly stopTimeoutSecs?: number;
  /** The database's TCP port in the container's network namespace (5432 unless given), for the connection faults. */
  readonly dbPort?: number;
}

export interface DockerDriverOptions extends Omit<NetnsOptions, 'docker'> {
  readonly docker: DockerClient;
}

/** The first address of an IPv4 subnet: where Docker's IPAM puts the network's gateway unless told otherwise. */
export function firstAddress(cidr: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) return undefined;
  const prefix = Number(m[5]);
  const value = m.slice(1, 5).reduce((v, o) => (v << 8) + Number(o), 0) >>> 0;
  const base = prefix === 0 ? 0 : (value & ((~0 << (32 - prefix)) >>> 0)) >>> 0;
  const first = base + 1;
  return [first >>> 24, (first >>> 16) & 255, (first >>> 8) & 255, first & 255].join('.');
}

export function dockerDriver(node: DockerNode, options: DockerDriverOptions): NodeDriver {
  const { docker } = options;
  const { name, container } = node;
  const stopSecs = node.stopTimeoutSecs ?? 10;
  const netns = containerNetns(container, options);
  const inNetns = (script: string) => `in ${container}'s network namespace (${netns.describe}): ${oneLine(script)}`;
  const partition = partitionChains();

  const inspect = async () => docker.inspectContainer(container);
  const mustExist = async () => {
    const info = await inspect();
    if (!info) throw new ClusterError(`${name}: there is no container named ${container} on this Docker engine`, { hint: 'check the node\'s container name (docker ps -a)' });
    return info;
  };
  const chainLeft = async (chain: string, what: string) => {
    const left = await netns.look(chainsLeftScript([chain]));
    return left.trim() ? [`${name} still has ${what}`] : [];
  };

  return {
    kind: 'docker',
    where: `container ${container}`,
    /** Its addresses on every network it is on (`docker inspect`). */
    async addresses() {
      const info = await inspect();
      return Object.values(info?.networks ?? {}).map((n) => n.ipv4Address).filter(Boolean);
    },
    core: {
      describe(fault, signal = 'SIGKILL') {
        switch (fault) {
          case 'kill':
            return `docker kill --signal ${signal} ${container}`;
          case 'stop':
            return `docker stop --time ${stopSecs} ${container}`;
          case 'start':
            return `docker unpause ${container} if it is paused; docker start ${container} if it is not running`;
        }
      },
      async kill(signal = 'SIGKILL') {
        await mustExist();
        await docker.killContainer(container, signal);
      },
      async stop() {
        await mustExist();
        await docker.stopContainer(container, stopSecs);
      },
      /** A running container is left running: someone else's node is not restarted for nothing. */
      async start() {
        const info = await mustExist();
        if (info.paused) await docker.unpauseContainer(container);
        if (!info.running) await docker.startContainer(container);
      },
      exec: (cmd, opts = {}) => docker.exec(container, cmd, opts),
      async isRunning() {
        const info = await inspect();
        return Boolean(info?.running && !info.paused);
      },
    },
    capabilities: {
      freeze: {
        describe: () => `docker pause ${container}`,
        async pause() {
          await mustExist();
          await docker.pauseContainer(container);
        },
        /** Idempotent: a container that is not paused is left alone. */
        async unpause() {
          if ((await inspect())?.paused) await docker.unpauseContainer(container);
        },
        leftovers: async () => ((await inspect())?.paused ? [`${name} is paused (${container})`] : []),
      },
      partition: {
        describe: () => inNetns(addChainsScript(partition)),
        partition: () => netns.change(addChainsScript(partition), `cut ${name} off`, removeChainsScript(partition)),
        heal: () => netns.undo(removeChainsScript(partition), `heal ${name}'s partition`),
        leftovers: async () => {
          const left = await netns.look(chainsLeftScript([PARTITION_IN, PARTITION_OUT]));
          return left.trim() ? [`${name} still has the partition's firewall rules`] : [];
        },
      },
      'one-way-partition': {
        describe: () => inNetns(addChainsScript(oneWayChains(['<each address of the other nodes>']))),
        async partitionOneWay(peers) {
          if (peers.length === 0) throw new ClusterError(`${name}: no address of another node is known, so a one-way partition would drop nothing`);
          await netns.change(addChainsScript(oneWayChains(peers)), `add ${name}'s one-way partition`, removeChainsScript(oneWayChains([])));
        },
        healOneWay: () => netns.undo(removeChainsScript(oneWayChains([])), `heal ${name}'s one-way partition`),
        leftovers: () => chainLeft(ONE_WAY_CHAIN, "the one-way partition's firewall rules"),
      },
      'network-shape': {
        describe: (shape) =>
          `${name}'s links: ${describeShape(shape)}, by ${shape.delayMs ? 'iptables and an NFQUEUE' : "iptables' statistic match"} in ${container}'s network namespace (${netns.describe}; net-shape.ts's script), but for this host's connections through the networks' gateways`,
        /** This host's connections (published ports, the drill's looks) come through the networks' gateways, which are left alone. */
        async shapeNetwork(shape) {
          const info = await mustExist();
          const subnets = (await docker.listNetworks()).filter((n) => info.networks[n.name]).flatMap((n) => n.subnets);
          const gateways = subnets.map(firstAddress).filter((g): g is string => Boolean(g)).map((g) => `${g}/32`);
          await netns.change(shapeScript(shape, { out: gateways.map((g) => `-d ${g}`), in: gateways.map((g) => `-s ${g}`) }), `shape ${name}'s network`, unshapeScript());
        },
        unshapeNetwork: () => netns.undo(unshapeScript(), `take the network shape off ${name}`),
        leftovers: async () => {
          const left = await netns.look(shapeLeftScript());
          return left.trim().split('\n').filter(Boolean).map((what) => `${name} still has ${what}`);
        },
      },
      connections: {
        describe: (how) => inNetns(addChainsScript(connectionChains(node.dbPort ?? 5432, how, '<a mark of its own>'))),
        breakConnections: (how) => netns.change(addChainsScript(connectionChains(node.dbPort ?? 5432, how)), `break ${name}'s connections`, removeChainsScript(CONNECTION_CHAINS)),
        restoreConnections: () => netns.undo(removeChainsScript(CONNECTION_CHAINS), `restore ${name}'s connections`),
        leftovers: async () => ((await netns.look(chainsLeftScript(CONNECTION_CHAINS))).trim() ? [`${name} still has the connection fault's firewall rules`] : []),
      },
    },
  };
}
