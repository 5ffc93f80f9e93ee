/**
 * An HA manager as a drill sees it: what it says of the cluster (is it whole?), what it recorded
 * (its events, for the report's timeline), and the planned switchover it does itself. Each is
 * asked through the manager's own interface (Patroni's REST API, pg_auto_failover's monitor,
 * repmgr's tables), never through a node's files.
 */
import type { ManagerName } from '../cluster-file.ts';

/** One thing the manager recorded. */
export interface ManagerEvent {
  /** Wall-clock ms. */
  at: number;
  node?: string;
  event: string;
  details?: string;
}

export interface HaManager {
  readonly name: ManagerName;
  /**
   * The manager's own view of the cluster, one line per thing that keeps it from being whole
   * (a member not running or not streaming, no leader or two): none when it is whole.
   */
  whole(): Promise<string[]>;
  /** What it recorded since `sinceMs` (wall clock). */
  events(sinceMs: number): Promise<ManagerEvent[]>;
  /** What a planned switchover to `candidate` would run, said before it runs. */
  describeSwitchover(candidate: string, current: string): string;
  /** A planned switchover to `candidate` (a replica), by the manager itself; returns its own words. */
  switchover(candidate: string, current: string): Promise<string>;
}
