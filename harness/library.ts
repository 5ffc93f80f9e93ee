/**
 * flipdrill as a library (`import ... from 'flipdrill'`), for your own test suite:
 *
 *   await using cluster = await startCluster({ app: false });   // free ports and subnets chosen
 *   const history = record({ cluster });
 *   ... your code writes through cluster.connection, each write wrapped in history.write(id, fn) ...
 *   const fault = await freeze(cluster, 'primary', { record: history });
 *   await cluster.waitForPromotion();
 *   await fault.undo();
 *   const result = check(history, { final: idsOnThePrimary, node: await cluster.primary() });
 *
 * Every fault kind the CLI has (`faults`, from the fault registry), each resolving once the fault is in place, with its undo; the drill's
 * recorder and checker; and the failover-aware Sequelize layer the README recommends.
 */
import type { FlipdrillCluster } from '../cluster/library.ts';
import { ClusterError, ConfigError } from '../cluster/errors.ts';
import { FAULTS, faultKind, faultsLeft, libraryName, nemesisForFault, parseFault, refusal, type FaultTargets, type Nemesis, type Role } from './faults/index.ts';
import type { CapabilityName } from '../cluster/target.ts';
import type { Recorder } from './record.ts';

export { startCluster, connectionString, FlipdrillCluster, type ConnectionSettings, type LibraryOptions, type ClusterChange, type ClusterOptions } from '../cluster/library.ts';
export { FlipdrillError, ClusterError, ConfigError, WaitTimeoutError } from '../cluster/errors.ts';
export { record, check, Recorder, type CheckOptions, type WriteStamps } from './record.ts';
export type { CheckResult, Check, Expectations } from './checker/types.ts';
export type { Op } from './op.ts';
export { createFailoverSequelize, DatabaseOperationError, type FailoverSequelize, type FailoverSequelizeOptions, type Attempt, type UnitOfWorkOptions } from '../app/failover/sequelize.ts';
export { AWARE_DEFAULTS, PLATFORM_DEFAULTS, type FailoverConfig, type Endpoint, type TlsConfig, type Platform } from '../app/failover/config.ts';
export { classify, RoleMismatchError, type Classification, type Verdict, type Outcome } from '../app/failover/classify.ts';

/** A node by its name, or by the role it has when the fault is sent. */
export type FaultTarget = 'primary' | 'standby' | 'witness' | (string & {});

/** A fault in place: what was done to which node, when it was sent, and how to take it away. */
export interface Fault {
  kind: string;
  node: string;
  /** Wall-clock milliseconds when it was sent. */
  at: number;
  detail: string;
  /** Take it away (thaw, reconnect, unpause repmgrd...): idempotent. A killed or stopped node comes back with cluster.startNode(node). */
  undo(): Promise<void>;
}

export interface FaultOptions {
  /** Record the fault in this history, so check() measures the failover from it. */
  record?: Recorder;
}

async function targetsOf(cluster: FlipdrillCluster, target: FaultTarget): Promise<FaultTargets> {
  const roles = cluster.roles();
  const primary = Object.keys(roles).find((n) => roles[n] === 'primary') ?? (await cluster.primary());
  const standby = Object.keys(roles).find((n) => roles[n] === 'standby');
  const witness = Object.keys(roles).find((n) => roles[n] === 'witness');
  const node = target === 'app' ? 'app' : target === 'primary' ? primary : target === 'standby' ? standby : target === 'witness' ? witness : target;
  if (!node || (node !== 'app' && !cluster.nodes.some((n) => n.name === node))) throw new ClusterError(`cluster ${cluster.name} has no ${target} right now`);
  return { cluster: cluster.faults, node, primary, ...(standby ? { standby } : {}), ...(witness ? { witness } : {}) };
}

async function inject(cluster: FlipdrillCluster, target: FaultTarget, nemesis: Nemesis, options: FaultOptions): Promise<Fault> {
  const targets = await targetsOf(cluster, target);
  if (nemesis.prepare) await nemesis.prepare.run(targets);
  const done = await nemesis.inject(targets);
  options.record?.fault({ ...done, primary: targets.primary, ...(targets.standby ? { standby: targets.standby } : {}) });
  return { kind: done.kind, node: done.node, at: done.at, detail: done.detail, undo: () => nemesis.undo(targets) };
}

/** A fault of one kind as a function: its options checked by its module, the target's capabilities by the registry. */
export type FaultFunction = (cluster: FlipdrillCluster, target: FaultTarget, options?: FaultOptions & object) => Promise<Fault>;

function faultFunction(kind: string): FaultFunction {
  return async (cluster, target, options = {}) => {
    const problem = refusal([kind], Object.keys(cluster.faults.capabilities) as CapabilityName[], cluster.faults.driver);
    if (problem) throw new ClusterError(problem);
    const { record, ...rest } = options as FaultOptions & Record<string, unknown>;
    // A node named rather than a role: its options are checked as for the kind's first role.
    const role = (['primary', 'standby', 'witness', 'app'] as const).includes(target as Role) ? (target as Role) : faultKind(kind)!.roles[0]!;
    const spec = parseFault({ type: kind, target: role, ...rest }, (message) => {
      throw new ConfigError(message);
    });
    return inject(cluster, target, nemesisForFault(spec), record ? { record } : {});
  };
}

/**
 * Every fault kind flipdrill has (harness/faults/), by its name in camelCase: `faults.latency(cluster,
 * 'primary', { delayMs: 200 })`. Each resolves once the fault is in place, with its undo.
 */
export const faults: Readonly<Record<string, FaultFunction>> = Object.fromEntries(FAULTS.map((k) => [libraryName(k), faultFunction(k.kind)]));

/** SIGKILL (or `signal`) the node: no clean shutdown. */
export const kill = (cluster: FlipdrillCluster, target: FaultTarget, options: FaultOptions & { signal?: string } = {}) => faults.kill!(cluster, target, options);
/** Stop the node cleanly (SIGTERM, fast shutdown): it sends its last WAL first. */
export const stop = (cluster: FlipdrillCluster, target: FaultTarget, options: FaultOptions = {}) => faults.stop!(cluster, target, options);
/** Freeze the node (docker pause) until undo: alive, silent, and back believing it is what it was. */
export const freeze = (cluster: FlipdrillCluster, target: FaultTarget, options: FaultOptions = {}) => faults.freeze!(cluster, target, options);
/** Disconnect the node from both networks until undo. */
export const partition = (cluster: FlipdrillCluster, target: FaultTarget, options: FaultOptions = {}) => faults.partition!(cluster, target, options);
/** Drop every packet from the other nodes inside the node (iptables); the app still reaches it. */
export const partitionOneWay = (cluster: FlipdrillCluster, target: FaultTarget, options: FaultOptions = {}) => faults.partitionOneWay!(cluster, target, options);
/** Restart PostgreSQL on the node in place (repmgrd paused around it unless `pauseRepmgrd: false`). */
export const restart = (cluster: FlipdrillCluster, target: FaultTarget, options: FaultOptions & { pauseRepmgrd?: boolean } = {}) => faults.restart!(cluster, target, options);
/** A planned switchover to the target, a standby; resolves once the HA manager is done. */
export const switchover = (cluster: FlipdrillCluster, target: FaultTarget = 'standby', options: FaultOptions = {}) => faults.switchover!(cluster, target, options);

/** What any fault left on a node (nothing, on a whole cluster). */
export function leftovers(cluster: FlipdrillCluster, nodes: readonly string[] = cluster.nodes.map((n) => n.name)): Promise<string[]> {
  return faultsLeft(cluster.faults, nodes);
}

/** Take every fault off a node: thaw it, reconnect it, drop the one-way rules, and start it if it is down. */
export async function heal(cluster: FlipdrillCluster, node: string): Promise<void> {
  const { capabilities } = cluster.faults;
  await capabilities.freeze?.unpause(node).catch(() => {});
  await capabilities.partition?.heal(node);
  if (await cluster.faults.isRunning(node)) await capabilities['one-way-partition']?.healOneWay(node);
  else await cluster.startNode(node);
}
