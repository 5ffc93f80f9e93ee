/**
 * The harness's eyes on a cluster: one look every interval at the databases (a snapshot) and at
 * the endpoint (who holds it, which nodes application traffic reaches), and what changed between
 * two looks. It never acts: the cluster moves its endpoint itself, and this sees it happen.
 */
import type { EndpointState, EndpointView } from './endpoint/endpoint.ts';
import type { Logger } from './lib/logger.ts';
import type { ClusterSnapshot } from './observe.ts';

/** A change seen between two looks: the endpoint appeared on a node, a node was cut off or let back. */
export interface EndpointObservation {
  /** Wall-clock milliseconds of the look that saw it. */
  at: number;
  action: 'move' | 'fence' | 'unfence';
  node: string;
  reason: string;
}

export interface WatcherOptions {
  observe: () => Promise<ClusterSnapshot>;
  endpoint: EndpointView;
  logger: Logger;
  intervalMs?: number;
  onSnapshot?: (snapshot: ClusterSnapshot, endpoint: EndpointState) => void;
  onChange?: (change: EndpointObservation) => void;
}

/** What changed from one endpoint state to the next (pure). */
export function endpointChanges(address: string, before: EndpointState | undefined, after: EndpointState, at: number): EndpointObservation[] {
  if (!before) return [];
  const changes: EndpointObservation[] = [];
  const was = new Set(before.reachable);
  const now = new Set(after.reachable);
  for (const node of before.reachable) if (!now.has(node)) changes.push({ at, action: 'fence', node, reason: `${node} no longer reaches application traffic (seen)` });
  for (const node of after.reachable) if (!was.has(node)) changes.push({ at, action: 'unfence', node, reason: `${node} reaches application traffic again (seen)` });
  if (after.holder !== undefined && after.holder !== before.holder) {
    changes.push({ at, action: 'move', node: after.holder, reason: `${address} seen on ${after.holder} (was ${before.holder ? `on ${before.holder}` : 'nowhere'})` });
  }
  return changes;
}

export class ClusterWatcher {
  readonly #o: WatcherOptions;
  #timer?: NodeJS.Timeout;
  #running?: Promise<void>;
  #stopped = true;
  #snapshot?: ClusterSnapshot;
  #endpoint?: EndpointState;

  constructor(options: WatcherOptions) {
    this.#o = options;
  }

  get snapshot(): ClusterSnapshot | undefined {
    return this.#snapshot;
  }

  get endpoint(): EndpointState | undefined {
    return this.#endpoint;
  }

  /** One look: the databases and the endpoint, at about the same time. */
  async look(): Promise<{ snapshot: ClusterSnapshot; endpoint: EndpointState }> {
    const [snapshot, endpoint] = await Promise.all([this.#o.observe(), this.#o.endpoint.state()]);
    const changes = endpointChanges(this.#o.endpoint.address, this.#endpoint, endpoint, Date.now());
    this.#snapshot = snapshot;
    this.#endpoint = endpoint;
    for (const change of changes) this.#o.onChange?.(change);
    this.#o.onSnapshot?.(snapshot, endpoint);
    return { snapshot, endpoint };
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const loop = async () => {
      if (this.#stopped) return;
      this.#running = this.look().then(
        () => undefined,
        (error: unknown) => this.#o.logger.warn({ err: (error as Error).message }, 'looking at the cluster failed'),
      );
      await this.#running;
      if (!this.#stopped) this.#timer = setTimeout(loop, this.#o.intervalMs ?? 200);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }
}
