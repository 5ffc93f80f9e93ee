/**
 * What machines can do beyond the core, over SSH on the node itself: freeze the database's
 * processes (never the machine, so SSH stays up for the thaw), cut the node off with firewall
 * chains of its own (SSH still passes), shape its links, and switch over. Machines have no app
 * DNS, disk-fill or clock fault: flipdrill does not touch a resolver, a disk or a clock it did not
 * make.
 */
import type { ExecResult } from '../docker/docker-client.ts';
import { describeShape, shapeLeftScript, shapeScript, unshapeScript } from '../net-shape.ts';
import { ONE_WAY_CHAIN, type Capabilities, type CapabilityName } from '../target.ts';

/**
 * The node's settings as the playbook writes them (PGDATA, PG_CONF_DIR), parsed out of node.env by
 * the role's own shell library, never sourced: these scripts run as root, and a line of the file
 * is then never run as a command.
 */
export const NODE_SETTINGS = '. /usr/local/lib/flipdrill/flipdrill-lib.sh && parse_settings';
const PARTITION_CHAIN = 'FLIPDRILL-PARTITION';

/** What the capabilities act on: the machines, over SSH. */
export interface MachineNodes {
  /** A script on the node as root (or as `user`), failing with its output when it exits non-zero. */
  run(node: string, script: string, options?: { user?: string; timeoutMs?: number; what?: string }): Promise<string>;
  /** A script on the node as root: its exit code and output, whatever they are. */
  probe(node: string, script: string): Promise<ExecResult>;
  /** Where the node runs, for people (user@host). */
  where(node: string): string;
  /** The database addresses of the other nodes. */
  peerAddresses(node: string): string[];
}

/** iptables rules in a chain of their own, hooked into INPUT; `remove` takes the chain away whole. */
function chainScript(chain: string, rules: string[]): string {
  return [
    'set -e',
    `iptables -w -N ${chain} 2>/dev/null || iptables -w -F ${chain}`,
    ...rules.map((r) => `iptables -w -A ${chain} ${r}`),
    `iptables -w -C INPUT -j ${chain} 2>/dev/null || iptables -w -I INPUT -j ${chain}`,
  ].join('\n');
}
function removeChainScript(chain: string): string {
  return [
    `while iptables -w -D INPUT -j ${chain} 2>/dev/null; do :; done`,
    `iptables -w -F ${chain} 2>/dev/null || true`,
    `iptables -w -X ${chain} 2>/dev/null || true`,
    `! iptables -w -S ${chain} >/dev/null 2>&1`,
  ].join('\n');
}

/**
 * Each node's findings, in the nodes' order. A machine keeps its firewall and its shape whether
 * PostgreSQL runs or not, so they are looked for on every node given.
 */
async function eachNode(nodes: readonly string[], find: (node: string) => Promise<string[]>): Promise<string[]> {
  return (await Promise.all(nodes.map(find))).flat();
}

/** Does the chain exist on the node? */
async function hasChain(on: MachineNodes, node: string, chain: string): Promise<boolean> {
  return (await on.probe(node, `iptables -w -S ${chain} >/dev/null 2>&1`)).exitCode === 0;
}

/**
 * What machines over SSH can do beyond the core, known before connecting (the drill refuses a fault
 * that needs more before it creates anything). Not the app's DNS (the app runs on this machine, and
 * flipdrill does not touch its resolver), not a disk fill (flipdrill fills no disk it did not make),
 * not the clock (flipdrill does not set a machine's system clock).
 */
export const REMOTE_CAPABILITIES = ['freeze', 'partition', 'one-way-partition', 'network-shape', 'switchover'] as const satisfies readonly CapabilityName[];

export function machineCapabilities(on: MachineNodes): Pick<Capabilities, (typeof REMOTE_CAPABILITIES)[number]> {
  const peerRules = (node: string) => on.peerAddresses(node).map((address) => `-s ${address}/32 -j DROP`);
  return {
    freeze: {
      describe: (node) => `pkill -STOP -u postgres on ${on.where(node)}`,
      async pause(node) {
        await on.run(node, 'pkill -STOP -u postgres', { what: 'freeze' });
      },
      async unpause(node) {
        await on.run(node, 'pkill -CONT -u postgres || true', { what: 'thaw' });
      },
      // A frozen postmaster: its process state is T (stopped).
      leftovers: (nodes) =>
        eachNode(nodes, async (node) => {
          const frozen = await on.probe(node, `${NODE_SETTINGS}; pid=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null) && [ "$(ps -o stat= -p "$pid" | cut -c1)" = T ]`);
          return frozen.exitCode === 0 ? [`${node} is frozen (its postmaster is stopped)`] : [];
        }),
    },
    partition: {
      describe: (node) => `iptables on ${on.where(node)}: drop everything from the other nodes and every PostgreSQL connection (SSH still passes)`,
      async partition(node) {
        await on.run(node, chainScript(PARTITION_CHAIN, ['-p tcp --dport 22 -j ACCEPT', ...peerRules(node), '-p tcp --dport 5432 -j DROP']), { what: 'the partition' });
      },
      async heal(node) {
        await on.run(node, removeChainScript(PARTITION_CHAIN), { what: 'removing the partition' });
      },
      leftovers: (nodes) => eachNode(nodes, async (node) => ((await hasChain(on, node, PARTITION_CHAIN)) ? [`${node} still has the partition's firewall rules`] : [])),
    },
    'one-way-partition': {
      describe: (node) => `iptables on ${on.where(node)}: drop every packet from the other nodes; the app and this host still reach it`,
      async partitionOneWay(node) {
        await on.run(node, chainScript(ONE_WAY_CHAIN, peerRules(node)), { what: 'the one-way partition' });
      },
      async healOneWay(node) {
        await on.run(node, removeChainScript(ONE_WAY_CHAIN), { what: 'removing the one-way partition' });
      },
      leftovers: (nodes) => eachNode(nodes, async (node) => ((await hasChain(on, node, ONE_WAY_CHAIN)) ? [`${node} still has the one-way partition's firewall rules`] : [])),
    },
    'network-shape': {
      describe: (node, shape) => `${node}'s links: ${describeShape(shape)} (${shape.delayMs ? 'iptables and an NFQUEUE' : "iptables' statistic match"} in its network namespace)`,
      // Slow or lossy links; SSH (the harness's own way in) is left alone.
      async shapeNetwork(node, shape) {
        await on.run(node, shapeScript(shape, { out: ['-p tcp --sport 22', '-p tcp --dport 22'], in: ['-p tcp --dport 22', '-p tcp --sport 22'] }), { what: 'the network shape' });
      },
      async unshapeNetwork(node) {
        await on.run(node, unshapeScript(), { what: 'removing the network shape' });
      },
      leftovers: (nodes) =>
        eachNode(nodes, async (node) => {
          const shaped = await on.probe(node, shapeLeftScript());
          return shaped.stdout.trim().split('\n').filter(Boolean).map((what) => `${node} still has ${what}`);
        }),
    },
    switchover: {
      switchover: (node) => on.run(node, '/usr/local/bin/flipdrill-switchover', { user: 'postgres', timeoutMs: 180_000, what: 'repmgr standby switchover' }),
    },
  };
}
