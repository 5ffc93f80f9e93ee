/**
 * One fault as a scenario names it: its kind (one vocabulary, the same in scenario files, in
 * --faults and in the reports), the role it hits, and its own settings.
 */
import { NODE_FAULTS } from '../cluster/index.ts';

/** Every fault kind: what a target does to one node, and those the harness builds on them. */
export const FAULT_TYPES = [...NODE_FAULTS, 'lag-then-kill', 'switchover', 'restart', 'postmaster-crash', 'latency', 'loss', 'repmgrd-crash', 'flapping', 'dns', 'disk-full', 'clock-skew'] as const;
export type FaultType = (typeof FAULT_TYPES)[number];
/** Who a fault hits: a node by its role when the fault comes, or the app (the dns fault). */
export type Role = 'primary' | 'standby' | 'witness' | 'app';

export interface FaultSpec {
  type: FaultType;
  target: Role;
  /** kill: the signal (default SIGKILL). */
  signal?: string;
  /** freeze: first freeze the primary's backend serving the standby's repmgrd, so repmgrd waits on a query when the whole node freezes. */
  midQuery?: boolean;
  /** lag-then-kill: seconds of writes with the primary's WAL sender frozen before the kill. */
  lagSecs?: number;
  /** restart: pause repmgrd around the restart, as repmgr's documentation says to (default true). */
  pauseRepmgrd?: boolean;
  /** latency: milliseconds added to every packet the node sends, and how much that varies either way. */
  delayMs?: number;
  jitterMs?: number;
  /** loss: percentage of packets dropped each way. */
  lossPct?: number;
  /** repmgrd-crash, clock-skew: kill the primary once the fault is on the target (a standby). */
  thenKillPrimary?: boolean;
  /** clock-skew: seconds the node's clock is set off (negative: behind). */
  offsetSecs?: number;
  /** flapping: each freeze and each thaw between them, in milliseconds, and how many freezes. */
  freezeMs?: number;
  thawMs?: number;
  cycles?: number;
}
