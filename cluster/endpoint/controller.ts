/**
 * The endpoint controller: observe one snapshot, decide purely, act idempotently, repeat.
 * Its loop never throws: an error is logged and reported as an event, and the next tick tries again.
 */
import type { Logger } from '../lib/logger.ts';
import type { ClusterSnapshot } from '../observe.ts';
import { decide, type Decision } from './decide.ts';
import type { FloatingEndpoint } from './endpoint.ts';

export interface EndpointEvent {
  /** Wall-clock milliseconds when the action finished. */
  at: number;
  action: 'move' | 'fence' | 'unfence' | 'error';
  node?: string;
  reason: string;
  /** How long the action took. */
  durationMs: number;
}

export interface ControllerOptions {
  endpoint: FloatingEndpoint;
  observe: () => Promise<ClusterSnapshot>;
  logger: Logger;
  intervalMs?: number;
  onEvent?: (event: EndpointEvent) => void;
  onSnapshot?: (snapshot: ClusterSnapshot) => void;
}

export class EndpointController {
  readonly #options: ControllerOptions;
  readonly #log: Logger;
  #timer?: NodeJS.Timeout;
  #running?: Promise<void>;
  #stopped = true;
  #lastSnapshot?: ClusterSnapshot;
  /** The holder at the last look (or the node this controller last moved the endpoint to). */
  #lastHolder?: string;

  constructor(options: ControllerOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'endpoint-controller', endpoint: options.endpoint.kind });
  }

  get lastSnapshot(): ClusterSnapshot | undefined {
    return this.#lastSnapshot;
  }

  /** One observe → decide → act cycle. Returns what was decided. */
  async tick(): Promise<Decision> {
    const snapshot = await this.#options.observe();
    this.#lastSnapshot = snapshot;
    this.#options.onSnapshot?.(snapshot);
    const state = await this.#options.endpoint.state();
    // An endpoint the nodes move themselves (a virtual IP, a floating IP) can change hands between
    // two looks, with nothing for the controller to do: record the move it saw.
    if (state.holder !== undefined && this.#lastHolder !== undefined && state.holder !== this.#lastHolder) {
      const reason = `the endpoint moved from ${this.#lastHolder} to ${state.holder} (by the nodes' hooks; observed)`;
      this.#log.info({ node: state.holder, action: 'move' }, reason);
      this.#options.onEvent?.({ at: Date.now(), action: 'move', node: state.holder, reason, durationMs: 0 });
    }
    if (state.holder !== undefined) this.#lastHolder = state.holder;
    const decision = decide(snapshot, state);
    if (decision.action === 'none') return decision;
    const started = Date.now();
    const endpoint = this.#options.endpoint;
    if (decision.action === 'move') {
      await endpoint.moveTo(decision.node);
      this.#lastHolder = decision.node;
    }
    else if (decision.action === 'fence') await endpoint.fence(decision.node);
    else await endpoint.unfence(decision.node);
    const event: EndpointEvent = { at: Date.now(), action: decision.action, node: decision.node, reason: decision.reason, durationMs: Date.now() - started };
    this.#log.info({ node: decision.node, action: decision.action, durationMs: event.durationMs }, decision.reason);
    this.#options.onEvent?.(event);
    return decision;
  }

  /** Act until the decision is "none" (at most a few actions), for a settled start. */
  async settle(maxActions = 6): Promise<Decision> {
    let decision = await this.tick();
    for (let i = 1; i < maxActions && decision.action !== 'none'; i++) decision = await this.tick();
    return decision;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const loop = async () => {
      if (this.#stopped) return;
      this.#running = this.tick().then(
        () => undefined,
        (error: unknown) => {
          const reason = (error as Error).message;
          this.#log.warn({ err: reason }, 'endpoint controller tick failed');
          this.#options.onEvent?.({ at: Date.now(), action: 'error', reason, durationMs: 0 });
        },
      );
      await this.#running;
      if (!this.#stopped) this.#timer = setTimeout(loop, this.#options.intervalMs ?? 200);
    };
    void loop();
  }

  /** Stop the loop and wait for a tick in flight, so no action lands after stop() resolves. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }
}
