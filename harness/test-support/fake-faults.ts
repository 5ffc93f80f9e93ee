/**
 * An in-memory cluster for what a nemesis may do (NodeFaults): nodes that run, stop, freeze and
 * are cut off, a primary that a switchover moves, WAL senders that a signal freezes, and the
 * list of every call, in order. No Docker, no SSH: a nemesis's tests run in milliseconds.
 *
 * It has every capability unless told to leave some out (`without`), so a test can show a fault
 * refused. The capabilities act through the fake's own methods below (a test may replace one).
 */
import { describeShape, type Capabilities, type CapabilityName, type ConnectionBreak, type CoreFault, type DiskFaultSetting, type ExecResult, type NetworkShape, type NodeFaults, type ReplicationLink } from '../../cluster/index.ts';

export interface FakeNode {
  running: boolean;
  paused: boolean;
  partitioned: boolean;
  oneWay: boolean;
  /** The WAL sender processes on this node, and whether they are stopped (SIGSTOP). */
  walSenders: number;
  walSendersStopped: boolean;
  /** PostgreSQL restarts by repmgr's service_restart_command. */
  restarts: number;
  /** The postmaster was killed; the container runs on. */
  postmasterDown: boolean;
  /** Is repmgrd running? */
  repmgrd: boolean;
  /** The links' delay and loss, when shaped. */
  shape: NetworkShape | null;
  /** Is its data file system full? */
  diskFull: boolean;
  /** Its clock's offset, in seconds (0: right). */
  clockOffsetSecs: number;
  /** Its disk's fault (the fault file system's setting), null when plain. */
  diskFault: DiskFaultSetting | null;
  /** How its open database connections are broken, null when they are not. */
  connectionsBroken: ConnectionBreak | null;
  /** Its replication link's shape, null when plain. */
  replicationLink: ReplicationLink | null;
}

export interface FakeFaultsOptions {
  /** The capabilities this fake lacks. */
  without?: readonly CapabilityName[];
}

export class FakeFaults implements NodeFaults {
  readonly driver = 'in-memory fake cluster';
  readonly capabilities: Partial<Capabilities>;
  readonly nodes = new Map<string, FakeNode>();
  /** Every call, as `method node [argument]`. */
  readonly calls: string[] = [];
  primaryNode: string;
  /** The app's DNS is blocked. */
  appDnsBlocked = false;

  constructor(names: string[] = ['node1', 'node2', 'node3'], primary = names[0]!, options: FakeFaultsOptions = {}) {
    for (const name of names) this.nodes.set(name, { running: true, paused: false, partitioned: false, oneWay: false, walSenders: name === primary ? 1 : 0, walSendersStopped: false, restarts: 0, postmasterDown: false, repmgrd: true, shape: null, diskFull: false, clockOffsetSecs: 0, diskFault: null, connectionsBroken: null, replicationLink: null });
    this.primaryNode = primary;
    const all = this.#allCapabilities();
    const without = new Set(options.without ?? []);
    this.capabilities = Object.fromEntries(Object.entries(all).filter(([name]) => !without.has(name as CapabilityName))) as Partial<Capabilities>;
  }

  /** Each capability over the fake's methods; `leftovers` as the Docker cluster words them. */
  #allCapabilities(): Capabilities {
    const left = (nodes: readonly string[], has: (n: FakeNode) => boolean, what: (node: string) => string) => Promise.resolve(nodes.filter((node) => has(this.node(node))).map(what));
    return {
      freeze: {
        describe: (node) => `fake freeze ${node}`,
        pause: (node) => this.pause(node),
        unpause: (node) => this.unpause(node),
        leftovers: (nodes) => left(nodes, (n) => n.paused, (node) => `${node} is paused`),
      },
      partition: {
        describe: (node) => `fake partition ${node}`,
        partition: (node) => this.partition(node),
        heal: (node) => this.heal(node),
        leftovers: (nodes) => left(nodes, (n) => n.partitioned, (node) => `${node} is off the replication network`),
      },
      'one-way-partition': {
        describe: (node) => `fake partition-one-way ${node}`,
        partitionOneWay: (node) => this.partitionOneWay(node),
        healOneWay: (node) => this.healOneWay(node),
        leftovers: (nodes) => left(nodes, (n) => n.running && n.oneWay, (node) => `${node} still has the one-way partition's firewall rules`),
      },
      'network-shape': {
        describe: (node, shape) => `${node}'s links: ${describeShape(shape)} (${shape.delayMs ? 'iptables and an NFQUEUE' : "iptables' statistic match"} in its network namespace)`,
        shapeNetwork: (node, shape) => this.shapeNetwork(node, shape),
        unshapeNetwork: (node) => this.unshapeNetwork(node),
        leftovers: (nodes) => left(nodes, (n) => n.running && n.shape !== null, (node) => `${node} still has firewall rules of a network shape`),
      },
      'app-dns': {
        blockAppDns: () => this.blockAppDns(),
        unblockAppDns: () => this.unblockAppDns(),
        leftovers: async () => (this.appDnsBlocked ? ["the app's DNS is still blocked"] : []),
      },
      'disk-fill': {
        fillDisk: (node) => this.fillDisk(node),
        freeDisk: (node) => this.freeDisk(node),
        leftovers: (nodes) => left(nodes, (n) => n.running && n.diskFull, (node) => `${node}'s disk is still full (the ballast is there)`),
      },
      'disk-fault': {
        describe: (node, setting) => `fake disk fault ${node} ${JSON.stringify(setting)}`,
        setDiskFault: (node, setting) => this.#act(`setDiskFault ${node} ${JSON.stringify(setting)}`, node, { diskFault: setting }),
        clearDiskFault: (node) => this.#act(`clearDiskFault ${node}`, node, { diskFault: null }),
        powerLoss: async (node) => {
          await this.#act(`powerLoss ${node}`, node, { running: false });
          return { files: 1, bytes: 4096 };
        },
        diskFaultState: async (node) => ({ stall: null, error: null, latency_ms: 0, latency_on: 'all', cut: false, waiting: 0, stalled_total: 0, errors: 0, unsynced_files: 0, unsynced_bytes: 0, ...(this.node(node).diskFault ?? {}) }),
        leftovers: (nodes) => left(nodes, (n) => n.diskFault !== null, (node) => `${node}'s disk has a fault on`),
      },
      connections: {
        describe: (node, how) => `fake ${how} of ${node}'s connections`,
        breakConnections: (node, how) => this.#act(`breakConnections ${node} ${how}`, node, { connectionsBroken: how }),
        restoreConnections: (node) => this.#act(`restoreConnections ${node}`, node, { connectionsBroken: null }),
        leftovers: (nodes) => left(nodes, (n) => n.running && n.connectionsBroken !== null, (node) => `${node} still has the connection fault's firewall rules`),
      },
      'replication-link': {
        describe: (node, link) => `fake replication link of ${node} ${JSON.stringify(link)}`,
        shapeReplicationLink: (node, link) => this.#act(`shapeReplicationLink ${node} ${JSON.stringify(link)}`, node, { replicationLink: link }),
        unshapeReplicationLink: (node) => this.#act(`unshapeReplicationLink ${node}`, node, { replicationLink: null }),
        leftovers: (nodes) => left(nodes, (n) => n.running && n.replicationLink !== null, (node) => `${node} still has firewall rules of a network shape`),
      },
      clock: {
        skewClock: (node, offsetSecs) => this.skewClock(node, offsetSecs),
        unskewClock: (node) => this.unskewClock(node),
        leftovers: (nodes) => left(nodes, (n) => n.running && n.clockOffsetSecs !== 0, (node) => `${node}'s clock is still skewed (${this.node(node).clockOffsetSecs} s)`),
      },
      switchover: { switchover: (node) => this.switchover(node) },
    };
  }

  node(name: string): FakeNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  describeFault(kind: CoreFault, node: string, signal = 'SIGKILL'): string {
    return `fake ${kind}${kind === 'kill' ? ` --signal ${signal}` : ''} ${node}`;
  }

  async isRunning(node: string): Promise<boolean> {
    return this.node(node).running;
  }

  async exec(node: string, cmd: string[]): Promise<ExecResult> {
    this.calls.push(`exec ${node} ${cmd.join(' ')}`);
    const n = this.node(node);
    if (!n.running) throw new Error(`${node} is not running`);
    // pkill -STOP|-CONT -f 'postgres: .*walsender': exit 0 when a process matched, 1 when none did.
    if (cmd[0] === 'pkill' && cmd.at(-1)?.includes('walsender')) {
      if (n.walSenders === 0) return { exitCode: 1, stdout: '', stderr: '' };
      n.walSendersStopped = cmd[1] === '-STOP';
      return { exitCode: 0, stdout: '', stderr: '' };
    }
    // pkill -KILL -o -x postgres: the postmaster, if there is one.
    if (cmd.join(' ') === 'pkill -KILL -o -x postgres') {
      if (n.postmasterDown) return { exitCode: 1, stdout: '', stderr: '' };
      n.postmasterDown = true;
      return { exitCode: 0, stdout: '', stderr: '' };
    }
    // The restart script (repmgrd paused, service_restart_command printed and run, unpaused), and an unpause alone.
    if (cmd[0] === 'sh' && cmd.at(-1)?.includes('service_restart_command')) {
      n.restarts += 1;
      return { exitCode: 0, stdout: 'pg_ctl -m fast -w restart\n', stderr: 'NOTICE: node 1 (node1) paused\nserver started\nNOTICE: node 1 (node1) unpaused\n' };
    }
    // pkill -KILL -x repmgrd, and the script that starts it again when it is not running.
    if (cmd.join(' ') === 'pkill -KILL -x repmgrd') {
      const was = n.repmgrd;
      n.repmgrd = false;
      return { exitCode: was ? 0 : 1, stdout: '', stderr: '' };
    }
    if (cmd[0] === 'sh' && cmd.at(-1)?.includes('repmgrd -f /etc/repmgr.conf')) {
      const was = n.repmgrd;
      n.repmgrd = true;
      return { exitCode: 0, stdout: was ? 'running\n' : 'started\n', stderr: '' };
    }
    if (cmd[0] === 'sh' && cmd.at(-1)?.endsWith('service unpause')) return { exitCode: 0, stdout: '', stderr: 'NOTICE: node 1 (node1) unpaused\n' };
    return { exitCode: 127, stdout: '', stderr: `the fake runs no ${cmd[0]}` };
  }

  /** Record the call, then change the node. */
  async #act(call: string, node: string, change: Partial<FakeNode>): Promise<void> {
    this.calls.push(call);
    Object.assign(this.node(node), change);
  }

  kill = (node: string, signal = 'SIGKILL') => this.#act(`kill ${node} ${signal}`, node, { running: false });
  stopNode = (node: string) => this.#act(`stopNode ${node}`, node, { running: false });
  // A started node runs its entrypoint again: PostgreSQL and repmgrd.
  startNode = (node: string) => this.#act(`startNode ${node}`, node, { running: true, postmasterDown: false, repmgrd: true });
  pause = (node: string) => this.#act(`pause ${node}`, node, { paused: true });
  unpause = (node: string) => this.#act(`unpause ${node}`, node, { paused: false });
  partition = (node: string) => this.#act(`partition ${node}`, node, { partitioned: true });
  heal = (node: string) => this.#act(`heal ${node}`, node, { partitioned: false });
  partitionOneWay = (node: string) => this.#act(`partitionOneWay ${node}`, node, { oneWay: true });
  healOneWay = (node: string) => this.#act(`healOneWay ${node}`, node, { oneWay: false });
  shapeNetwork = (node: string, shape: NetworkShape) => this.#act(`shapeNetwork ${node} ${JSON.stringify(shape)}`, node, { shape });
  async blockAppDns(): Promise<void> {
    this.calls.push('blockAppDns');
    this.appDnsBlocked = true;
  }

  async unblockAppDns(): Promise<void> {
    this.calls.push('unblockAppDns');
    this.appDnsBlocked = false;
  }

  async fillDisk(node: string): Promise<number> {
    await this.#act(`fillDisk ${node}`, node, { diskFull: true });
    return 0;
  }

  async freeDisk(node: string): Promise<void> {
    this.calls.push(`freeDisk ${node}`);
    this.node(node).diskFull = false;
  }

  skewClock = (node: string, offsetSecs: number) => this.#act(`skewClock ${node} ${offsetSecs}`, node, { clockOffsetSecs: offsetSecs });

  async unskewClock(node: string): Promise<void> {
    this.calls.push(`unskewClock ${node}`);
    if (this.node(node).running) this.node(node).clockOffsetSecs = 0;
  }

  async unshapeNetwork(node: string): Promise<void> {
    this.calls.push(`unshapeNetwork ${node}`);
    if (this.node(node).running) this.node(node).shape = null;
  }

  async switchover(node: string): Promise<string> {
    this.calls.push(`switchover ${node}`);
    if (this.node(node).running === false) throw new Error(`${node} is not running`);
    const old = this.primaryNode;
    this.primaryNode = node;
    return `NOTICE: executing switchover on node "${node}"\nNOTICE: STANDBY SWITCHOVER has completed successfully (${old} is now a standby)`;
  }
}
