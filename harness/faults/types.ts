/**
 * What a fault kind is: one module says everything about it (its name, its options with their
 * ranges and defaults, the roles it may hit, the capabilities the target must have, how a random
 * schedule may draw it, what the cluster must be created with, its nemesis and its leftovers),
 * and `harness/faults/index.ts` lists the modules. Everything else (scenario validation, --faults,
 * the drill's refusals, the docs' fault table, the library's functions) is derived from that list.
 *
 * The nemesis is Jepsen's: `inject` does the fault and says when it was sent, `undo` takes it away
 * (idempotent, safe at any point, also when nothing was injected), `undoing` says what the undo
 * does. kill, stop and partition are not interchangeable (pg_auto_failover's point): a killed
 * primary says nothing, a stopped one sends its last WAL first, a frozen or partitioned one is
 * alive and comes back believing it is still primary.
 */
import type { CapabilityName, FaultsWith, NodeFaults } from '../../cluster/index.ts';

/** Who a fault hits: a node by its role when the fault comes, or the app. */
export type Role = 'primary' | 'standby' | 'witness' | 'app';
export const ROLES: readonly Role[] = ['primary', 'standby', 'witness', 'app'];

/** One fault as a scenario states it: its kind, the role it hits, and its own options (its module says which). */
export interface FaultSpec {
  type: string;
  target: Role;
  [option: string]: unknown;
}

export interface FaultTargets<D extends NodeFaults = NodeFaults> {
  /** A nemesis acts through the target's fault driver alone. */
  cluster: D;
  /** The node the fault hits ("app" for a fault on the app). */
  node: string;
  /** The primary and a standby when the fault hit, as the database said. */
  primary: string;
  standby?: string;
  /** The witness, if the cluster has one. */
  witness?: string;
}

export interface InjectedFault {
  kind: string;
  node: string;
  /**
   * Wall-clock milliseconds when the fault was sent. Measurements start here, not when the target
   * confirmed it (a kill returns after the container is gone, a few hundred ms later): a figure
   * that starts early can only look worse, never better.
   */
  at: number;
  /** Wall-clock milliseconds when the target confirmed the fault. */
  confirmedAt: number;
  detail: string;
}

export interface Nemesis<D extends NodeFaults = NodeFaults> {
  readonly kind: string;
  /** Set the stage before the fault, this long before it (the workload keeps going meanwhile). */
  prepare?: { holdMs: number; run(targets: FaultTargets<D>): Promise<string> };
  inject(targets: FaultTargets<D>): Promise<InjectedFault>;
  /**
   * Take the fault away (thaw, reconnect): idempotent, safe at any point, also when nothing was
   * injected. Restarting a stopped node is the scenario's heal.restart, not part of the undo.
   */
  undo(targets: FaultTargets<D>): Promise<void>;
  /** What the undo does, for the drill's progress line (none: there is nothing to undo). */
  undoing?(targets: FaultTargets<D>): string;
  /**
   * The fault leaves the cluster whole by itself (a switchover, a restart): a scenario with it can
   * run again and again on one cluster (--repeat) without restarting the node.
   */
  readonly leavesClusterWhole?: boolean;
  /** The node a heal with restart starts again (default: the node the fault hit). */
  down?(targets: FaultTargets<D>): string;
  /** The undo needs that node back first (it would otherwise cause what the heal is there to prevent). */
  readonly undoAfterRestart?: boolean;
}

/** One option of a fault kind: its type, its range and its default, stated once. */
export type OptionSpec =
  | { type: 'number'; min: number; max: number; default: number; integer?: boolean; nonZero?: boolean; doc: string; roles?: readonly Role[] }
  | { type: 'boolean'; default?: boolean; doc: string; roles?: readonly Role[] }
  | { type: 'string'; pattern: RegExp; like: string; default: string; doc: string; roles?: readonly Role[] };

type ValueOf<O extends OptionSpec> = O extends { type: 'number' } ? number : O extends { type: 'boolean' } ? (O extends { default: boolean } ? boolean : boolean | undefined) : string;
/** The options of a kind, as its nemesis gets them (defaults filled). */
export type OptionsOf<S extends Record<string, OptionSpec>> = { -readonly [K in keyof S]: ValueOf<S[K]> };

/** How a random schedule draws a kind: whom it hits, what it holds for, how it is healed. */
export interface ScheduleEntry {
  roles: readonly Role[];
  /** The options it is drawn with, for a target (default: the kind's defaults). */
  options?(target: Role): Record<string, unknown>;
  /** Hold until a promotion (a fault the primary does not survive), for a drawn time, or not at all. */
  hold(target: Role): 'promotion' | 'time' | 'none';
  /** Restart the node after the undo (a killed node, or an old primary that must rejoin). */
  restart(target: Role): boolean;
  /** About how long it takes, hold and heal, in seconds: what the schedule's length is planned with. */
  estimateSecs(target: Role, holdSecs: number): number;
  /** With --overlap: it may stay on while the next fault comes (the cluster rides it out alone, and nothing in it needs healing first). */
  background?: boolean;
}

/** A fault kind the primary does not survive, on the primary; on a standby, held for a while. */
export const dies = (estimate: number): Omit<ScheduleEntry, 'roles'> => ({
  hold: (t) => (t === 'primary' ? 'promotion' : 'time'),
  restart: () => true,
  estimateSecs: (t, hold) => (t === 'primary' ? estimate : hold + 10),
});
/** A fault a primary does not survive, on the primary; on a standby, held for a while and undone. */
export const stalls = (estimate: number): Omit<ScheduleEntry, 'roles'> => ({
  hold: (t) => (t === 'primary' ? 'promotion' : 'time'),
  restart: (t) => t === 'primary',
  estimateSecs: (t, hold) => (t === 'primary' ? estimate : hold + 2),
});
/** A fault the cluster rides out: held for a while, then undone. */
export const endures: Omit<ScheduleEntry, 'roles'> = { hold: () => 'time', restart: () => false, estimateSecs: (_t, hold) => hold + 2 };

export interface FaultKind<S extends Record<string, OptionSpec> = Record<string, OptionSpec>, N extends CapabilityName = CapabilityName> {
  readonly kind: string;
  /** One line for the scenario table and the help: what it does. */
  readonly summary: string;
  /** The roles it may hit. */
  readonly roles: readonly Role[];
  /** Why only those, when a scenario names another (default: a generic line). */
  readonly rolesBecause?: string;
  /** The capabilities the target must have, beyond its core (kill, stop, start, exec). */
  readonly needs: readonly N[];
  readonly options: S;
  /** Checks across options and the target, one message each (fail throws). */
  validate?(spec: FaultSpec & OptionsOf<S>, fail: (message: string) => never): void;
  /** A planned promotion: the standby it hits becomes primary and the manager rejoins the old one. */
  readonly plannedPromotion?: boolean;
  /** The fault sets a node's clock off on purpose (the checker then does not call a skew a failure). */
  readonly setsClocks?: boolean;
  /** What a cluster the drill creates for it must have (a target without the capability is refused otherwise). */
  readonly cluster?: { dataFs?: true; faultFs?: true; fakeClock?: true };
  /** How a random schedule draws it (absent: never drawn). */
  readonly schedule?: ScheduleEntry;
  /** The library's function name for it (default: the kind in camelCase). */
  readonly libraryName?: string;
  nemesis(options: OptionsOf<S> & { target: Role }): Nemesis<FaultsWith<N>>;
  /**
   * Exactly what the fault will run on this target, said before it runs (a dry run prints it).
   * Default: the kind's summary and the node.
   */
  describe?(targets: FaultTargets<FaultsWith<N>>, options: OptionsOf<S> & { target: Role }): string;
  /** What of this fault that no capability sees may still be on the nodes (none when whole). */
  leftovers?(cluster: NodeFaults, nodes: readonly string[]): Promise<string[]>;
}

/** A fault kind, typed from its options and needs (the registry holds them untyped). */
export function defineFault<const S extends Record<string, OptionSpec>, const N extends CapabilityName = never>(kind: FaultKind<S, N>): FaultKind {
  return kind as unknown as FaultKind;
}

/** Run `act` and say when it was sent and confirmed. */
export async function timed(kind: string, node: string, detail: string, act: () => Promise<void>): Promise<InjectedFault> {
  const at = Date.now();
  await act();
  return { kind, node, at, confirmedAt: Date.now(), detail };
}

/** Wait `ms`, or less if `stop` fires first (a fault's own rhythm, not a guess at a condition). */
export function rest(ms: number, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (stop.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      stop.removeEventListener('abort', done);
      resolve();
    }
    stop.addEventListener('abort', done);
  });
}

/** The nodes' roles, for a fault on every target. */
export const NODE_ROLES: readonly Role[] = ['primary', 'standby', 'witness'];
