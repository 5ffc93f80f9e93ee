/**
 * Your own operations as a Jepsen history, for the same checker a drill uses:
 *
 *   const history = record({ cluster });            // cluster: optional, to record what it does
 *   await history.write(id, () => insert(id));      // ok, fail (error.outcome === 'failed') or info
 *   await history.read(id, () => isThere(id));      // resolve true / false
 *   const fault = await freeze(cluster, 'primary', { record: history });
 *   ...
 *   const result = check(history, { final: await allIds() });
 *
 * With a cluster, the recorder watches it as a drill does: the promotion (the first look after
 * a fault that shows another primary) and the endpoint's moves, with their times.
 */
import type { FlipdrillCluster } from '../cluster/library.ts';
import { check as checkHistory } from './checker/checker.ts';
import type { CheckResult, Expectations, FinalRow } from './checker/types.ts';
import { DrillClock } from './history.ts';
import type { InjectedFault } from './faults/index.ts';
import type { ClusterEvent, Op } from './op.ts';

/** What a write may resolve with: the database's stamps, when the code knows them (else nothing). */
export interface WriteStamps {
  committed_by?: string;
  committed_timeline?: number;
  committed_at?: string;
}

/** How an error says that the operation surely did not happen: `outcome: 'failed'` on it. */
const surelyFailed = (error: unknown) => (error as { outcome?: unknown } | null)?.outcome === 'failed';
const codeOf = (error: unknown) => {
  const e = error as { code?: unknown; name?: unknown } | null;
  return String(e?.code ?? e?.name ?? 'error');
};

export class Recorder {
  readonly clock = new DrillClock();
  readonly history: Op[] = [];
  readonly events: ClusterEvent[] = [];
  #nextProcess = 0;
  #faultAt?: number;
  #primaryAtFault?: string;
  #promoted = false;
  /** The primary as last seen, with a cluster: where check()'s final read came from unless told. */
  primaryNow?: string;

  constructor(cluster?: FlipdrillCluster) {
    if (cluster) this.primaryNow = Object.entries(cluster.roles()).find(([, role]) => role === 'primary')?.[0];
    cluster?.onChange((change) => {
      if (change.primary) this.primaryNow = change.primary;
      const at = Date.now();
      if (change.endpointMovedTo) this.events.push({ type: 'endpoint', action: 'move', node: change.endpointMovedTo, wall: at, time: this.clock.nsOf(at) });
      if (this.#faultAt !== undefined && !this.#promoted && change.primary && change.primary !== this.#primaryAtFault) {
        this.#promoted = true;
        this.events.push({ type: 'promotion-observed', node: change.primary, wall: at, time: this.clock.nsOf(at) });
      }
    });
  }

  /** A process for one operation at a time: the history pairs each invocation with its completion. */
  #process(): number {
    return this.#nextProcess++;
  }

  /**
   * Record a write of `id`: `fn` resolves once it is acknowledged (optionally with the database's
   * stamps), or rejects: with `outcome: 'failed'` on the error when it surely did not commit, any
   * other error is an unknown outcome. Resolves to what was recorded; never throws for `fn`.
   */
  async write(id: string, fn: () => Promise<WriteStamps | void>): Promise<'ok' | 'fail' | 'info'> {
    const process = this.#process();
    this.history.push({ process, type: 'invoke', f: 'write', value: { id }, time: this.clock.nowNs() });
    try {
      const stamps = (await fn()) ?? {};
      this.history.push({ process, type: 'ok', f: 'write', value: { id, ...stamps }, time: this.clock.nowNs() });
      return 'ok';
    } catch (error) {
      const type = surelyFailed(error) ? 'fail' : 'info';
      this.history.push({ process, type, f: 'write', value: { id }, time: this.clock.nowNs(), error: codeOf(error) });
      return type;
    }
  }

  /** Record a read of `id`: `fn` resolves true when the write is visible, false when not; a rejection is a failed read. */
  async read(id: string, fn: () => Promise<boolean>): Promise<boolean | undefined> {
    const process = this.#process();
    this.history.push({ process, type: 'invoke', f: 'read', value: { id }, time: this.clock.nowNs() });
    try {
      const found = await fn();
      this.history.push({ process, type: 'ok', f: 'read', value: { id, found }, time: this.clock.nowNs() });
      return found;
    } catch (error) {
      this.history.push({ process, type: 'fail', f: 'read', value: { id }, time: this.clock.nowNs(), error: codeOf(error) });
      return undefined;
    }
  }

  /** Record a fault (the fault functions do, given `{ record }`): the drill's failover figures start here. */
  fault(fault: InjectedFault & { primary?: string; standby?: string }): void {
    this.#faultAt ??= fault.at;
    this.#primaryAtFault ??= fault.primary ?? fault.node;
    this.events.push({
      type: 'fault',
      kind: fault.kind,
      node: fault.node,
      ...(fault.primary ? { primary: fault.primary } : {}),
      ...(fault.standby ? { standby: fault.standby } : {}),
      detail: fault.detail,
      wall: fault.at,
      time: this.clock.nsOf(fault.at),
    });
  }
}

export function record(options: { cluster?: FlipdrillCluster } = {}): Recorder {
  return new Recorder(options.cluster);
}

export interface CheckOptions {
  /**
   * What the database holds at the end, read from the primary after the operations stopped:
   * the ids, or rows with the database's stamps.
   */
  final: readonly (string | (Partial<FinalRow> & { id: string }))[];
  /** The node the final read came from (default: the primary the recorder last saw on its cluster). */
  node?: string;
  /**
   * What must have happened (default: a standby promoted, 0 writes lost). With no fault recorded,
   * the checks about the fault and the failover are left out: only the history is judged.
   */
  expect?: Partial<Expectations>;
}

/** The drill's checker on your own history: lost, contradicted, unexpected, duplicated writes, impossible reads, and the failover's figures. */
export function check(recorder: Recorder, options: CheckOptions): CheckResult {
  const rows = options.final.map((r) => (typeof r === 'string' ? { id: r } : r)).map((r) => ({ committed_by: '', committed_timeline: 0, ...r }) as FinalRow);
  const result = checkHistory({ history: recorder.history, events: recorder.events, finalRead: { node: options.node ?? recorder.primaryNow ?? 'unknown', rows }, expectations: options.expect ?? {} });
  if (recorder.events.some((e) => e.type === 'fault')) return result;
  // No fault: the history alone is judged.
  const historyOnly = new Set(['writes-acknowledged', 'lost-within-budget', 'no-failed-write-present', 'no-unexpected-value', 'no-duplicate', 'no-impossible-read', 'no-split-brain']);
  const checks = result.checks.filter((c) => historyOnly.has(c.id));
  return { ...result, checks, verdict: checks.every((c) => c.ok) ? 'PASS' : 'FAIL' };
}
