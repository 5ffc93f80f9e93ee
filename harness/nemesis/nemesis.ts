/**
 * A nemesis injects one fault and knows how to heal it, so a drill never leaves a fault behind.
 * The fault catalogue (stop, freeze, partition, switchover, fail back...) grows here.
 */
import type { StartedCluster } from '../../cluster/index.ts';

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
  inject(cluster: StartedCluster, target: string): Promise<InjectedFault>;
  /** Undo whatever inject did that teardown would not; safe to call when nothing was injected. */
  heal(cluster: StartedCluster): Promise<void>;
}

/** SIGKILL the primary's container: PostgreSQL, repmgrd and all, at once, with no shutdown. */
export const killPrimary: Nemesis = {
  kind: 'kill-primary',
  description: 'kill the primary with SIGKILL (docker kill): no clean shutdown, no goodbye to the standby',
  async inject(cluster, target) {
    const at = Date.now();
    await cluster.kill(target, 'SIGKILL');
    return { kind: 'kill-primary', node: target, at, confirmedAt: Date.now(), detail: `docker kill --signal SIGKILL ${cluster.containerOf(target)}` };
  },
  // A killed node stays down for this drill: bringing it back is the fail-back fault's job, and
  // teardown removes it. The endpoint controller has fenced it from application traffic.
  async heal() {},
};

export const NEMESES: Record<string, Nemesis> = { [killPrimary.kind]: killPrimary };
