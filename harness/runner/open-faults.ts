/**
 * The faults of an iteration: the one now (or last) injected or healed, and the stack of those on
 * (injected, not yet healed), the last injected on top. A heal heals the top one; a drill that
 * stops half-way undoes every one still on, the last first.
 */
import type { Logger } from '../../cluster/index.ts';
import type { FaultSpec, FaultTargets, Nemesis } from '../faults/index.ts';

/** A fault, its nemesis, and who was who when it came (the node it hits, the primary and a standby of that moment). */
export interface OpenFault {
  spec: FaultSpec;
  nemesis: Nemesis;
  targets: FaultTargets;
}

export class FaultStack {
  readonly #on: OpenFault[] = [];
  #current: OpenFault;
  #injected = 0;

  /** `first`: the scenario's own fault, as it will hit the cluster of the iteration's start. */
  constructor(first: OpenFault) {
    this.#current = first;
  }

  /** The fault now or last injected, or the one last healed. */
  get current(): OpenFault {
    return this.#current;
  }

  /** How many faults were injected so far. */
  get injected(): number {
    return this.#injected;
  }

  /** On from before it is sent: a drill stopped half-way undoes it too. */
  push(fault: OpenFault): void {
    this.#on.push(fault);
    this.#current = fault;
    this.#injected += 1;
  }

  /** The fault to heal: the one injected last of those on (with two overlapping, the inner one first). */
  pop(): OpenFault {
    const top = this.#on.pop();
    if (top) this.#current = top;
    return this.#current;
  }

  /** Undo every fault still on, the last injected first (none on: the current one's undo again, which is safe). */
  async undoAll(logger: Logger): Promise<void> {
    const on = this.#on.length ? [...this.#on].reverse() : [this.#current];
    this.#on.length = 0;
    for (const f of on) await f.nemesis.undo(f.targets).catch((e) => logger.warn({ err: (e as Error).message, fault: f.spec.type }, 'undoing the fault failed'));
  }
}
