/**
 * A nemesis injects one fault and knows how to heal it, so a drill never leaves a fault behind.
 * Some faults need the cluster set up first (a standby made to fall behind): `prepare` runs that
 * long before `inject`, with the workload going. The fault catalogue grows here.
 */
import { ClusterError, type StartedCluster } from '../../cluster/index.ts';

export interface FaultTargets {
  cluster: StartedCluster;
  /** The current primary, as the database says. */
  primary: string;
  /** A current standby, if there is one. */
  standby?: string;
}

export interface InjectedFault {
  kind: string;
  /** The node the fault hit. */
  node: string;
  /**
   * Wall-clock milliseconds when the fault was sent. Measurements start here, not when Docker
   * confirmed it (a kill returns after the container is gone, a few hundred ms later): a figure
   * that starts early can only look worse, never better.
   */
  at: number;
  /** Wall-clock milliseconds when Docker confirmed the fault. */
  confirmedAt: number;
  detail: string;
}

export interface Nemesis {
  readonly kind: string;
  /** One line for people: what this fault does. */
  readonly description: string;
  /** Set the stage before the fault, this long before it (the workload keeps going meanwhile). */
  prepare?: { holdMs: number; run(targets: FaultTargets): Promise<string> };
  inject(targets: FaultTargets): Promise<InjectedFault>;
  /** Undo whatever prepare and inject did that teardown would not; safe to call at any point. */
  heal(targets: FaultTargets): Promise<void>;
}

async function killPrimaryNow({ cluster, primary }: FaultTargets, kind: string): Promise<InjectedFault> {
  const at = Date.now();
  await cluster.kill(primary, 'SIGKILL');
  return { kind, node: primary, at, confirmedAt: Date.now(), detail: `docker kill --signal SIGKILL ${cluster.containerOf(primary)}` };
}

/** SIGKILL the primary's container: PostgreSQL, repmgrd and all, at once, with no shutdown. */
export const killPrimary: Nemesis = {
  kind: 'kill-primary',
  description: 'kill the primary with SIGKILL (docker kill): no clean shutdown, no goodbye to the standby',
  inject: (targets) => killPrimaryNow(targets, 'kill-primary'),
  // A killed node stays down for this drill: bringing it back is the fail-back fault's job, and
  // teardown removes it. The endpoint controller has fenced it from application traffic.
  async heal() {},
};

/** Send a signal to the WAL sender processes on a primary; true if there was one to signal. */
async function signalWalSenders(cluster: StartedCluster, primary: string, signal: 'STOP' | 'CONT'): Promise<boolean> {
  const result = await cluster.exec(primary, ['pkill', `-${signal}`, '-f', 'postgres: .*walsender']);
  return result.exitCode === 0;
}

/**
 * Make the standby fall behind, then kill the primary. The primary's WAL sender is frozen
 * (SIGSTOP) while writes go on: with asynchronous replication every write acknowledged in the
 * meantime exists only on the primary, and dies with it. With synchronous replication the same
 * commits wait for the standby instead of being acknowledged, so none can be lost.
 *
 * Why the sender and not the standby's WAL receiver: a frozen receiver still has the primary's
 * WAL waiting in its socket buffers, and applies all of it once thawed, before its promotion
 * completes (measured: 0 of 1028 writes lost). A frozen sender never sends it.
 */
export function laggingStandby(holdMs = 3000): Nemesis {
  return {
    kind: 'lagging-standby',
    description: `freeze the primary's WAL sender (SIGSTOP) for ${holdMs / 1000} s of writes, so the standby falls behind, then kill the primary`,
    prepare: {
      holdMs,
      async run({ cluster, primary, standby }) {
        if (!standby) throw new ClusterError('the lagging-standby fault needs a standby, and there is none');
        if (!(await signalWalSenders(cluster, primary, 'STOP'))) throw new ClusterError(`no WAL sender process found on ${primary}`);
        return `WAL sender on ${primary} frozen with SIGSTOP: ${standby} receives nothing`;
      },
    },
    inject: (targets) => killPrimaryNow(targets, 'lagging-standby'),
    async heal({ cluster, primary }) {
      // Only matters if the drill stopped between prepare and the kill.
      if (await cluster.isRunning(primary)) await signalWalSenders(cluster, primary, 'CONT').catch(() => false);
    },
  };
}

export const SCENARIOS: Record<string, () => Nemesis> = {
  'kill-primary': () => killPrimary,
  'lagging-standby': () => laggingStandby(),
};
