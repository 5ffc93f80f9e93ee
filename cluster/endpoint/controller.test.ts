/**
 * The endpoint controller against an in-memory endpoint and a scripted cluster: one look, one
 * decision, one idempotent action per tick; what it did reported as events; a failed action is
 * an event too, and the loop goes on.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.ts';
import type { ClusterSnapshot, NodeState } from '../observe.ts';
import { EndpointController, type EndpointEvent } from './controller.ts';
import type { EndpointState, FloatingEndpoint } from './endpoint.ts';

/** An endpoint that lives in memory: who holds it, who is fenced, and every call made to it. */
class MemoryEndpoint implements FloatingEndpoint {
  readonly kind = 'docker-alias' as const;
  readonly address = 'pg-primary';
  holder: string | undefined = 'node1';
  readonly fenced = new Set<string>();
  readonly calls: string[] = [];
  failNext?: string;

  constructor(private readonly dataNodes: string[] = ['node1', 'node2']) {}

  async state(): Promise<EndpointState> {
    return { holder: this.holder, reachable: this.dataNodes.filter((n) => !this.fenced.has(n)) };
  }

  #maybeFail(): void {
    if (this.failNext) {
      const message = this.failNext;
      this.failNext = undefined;
      throw new Error(message);
    }
  }

  async moveTo(node: string): Promise<void> {
    this.calls.push(`moveTo ${node}`);
    this.#maybeFail();
    if (this.holder && this.holder !== node) this.fenced.add(this.holder);
    this.holder = node;
    this.fenced.delete(node);
  }

  async fence(node: string): Promise<void> {
    this.calls.push(`fence ${node}`);
    this.#maybeFail();
    this.fenced.add(node);
    if (this.holder === node) this.holder = undefined;
  }

  async unfence(node: string): Promise<void> {
    this.calls.push(`unfence ${node}`);
    this.#maybeFail();
    this.fenced.delete(node);
  }
}

const snap = (...nodes: NodeState[]): ClusterSnapshot => ({ takenAt: 0, nodes });
const witness: NodeState = { name: 'node3', role: 'witness' };
const healthy = snap({ name: 'node1', role: 'primary', timeline: 1 }, { name: 'node2', role: 'standby', timeline: 1 }, witness);
const node1Dead = snap({ name: 'node1', role: 'down', error: 'container not running' }, { name: 'node2', role: 'standby', timeline: 1 }, witness);
const promoted = snap({ name: 'node1', role: 'down', error: 'container not running' }, { name: 'node2', role: 'primary', timeline: 2 }, witness);

function controllerOver(endpoint: MemoryEndpoint, script: ClusterSnapshot[]) {
  const events: EndpointEvent[] = [];
  let i = 0;
  const controller = new EndpointController({
    endpoint,
    logger: silentLogger,
    // The scripted cluster: each look is the next snapshot, the last one repeats.
    observe: async () => script[Math.min(i++, script.length - 1)]!,
    onEvent: (e) => events.push(e),
  });
  return { controller, events };
}

describe('the endpoint controller', () => {
  it('does nothing while the primary holds the endpoint, nor while no standby is promoted yet', async () => {
    const endpoint = new MemoryEndpoint();
    const { controller, events } = controllerOver(endpoint, [healthy, node1Dead]);
    expect((await controller.tick()).action).toBe('none');
    expect((await controller.tick()).action).toBe('none');
    expect(endpoint.calls).toEqual([]);
    expect(events).toEqual([]);
  });

  it('moves the endpoint to the promoted standby (the move fences the old holder), then rests', async () => {
    const endpoint = new MemoryEndpoint();
    const { controller, events } = controllerOver(endpoint, [node1Dead, promoted]);
    await controller.tick();
    expect(await controller.settle()).toMatchObject({ action: 'none' });
    expect(endpoint.holder).toBe('node2');
    expect(endpoint.fenced.has('node1')).toBe(true);
    expect(events.map((e) => `${e.action} ${e.node}`)).toEqual(['move node2']);
    expect(events[0]!.reason).toBe('node2 is primary (timeline 2) and the endpoint is on node1: moving it to node2');
    // Idempotent: more ticks over the same cluster change nothing.
    const calls = endpoint.calls.length;
    await controller.tick();
    await controller.tick();
    expect(endpoint.calls.length).toBe(calls);
  });

  it('records a move the nodes made themselves (a virtual IP, a floating IP) without acting', async () => {
    const endpoint = new MemoryEndpoint();
    const { controller, events } = controllerOver(endpoint, [healthy, snap({ name: 'node1', role: 'standby', timeline: 2 }, { name: 'node2', role: 'primary', timeline: 2 }, witness)]);
    await controller.tick();
    endpoint.holder = 'node2';
    await controller.tick();
    expect(endpoint.calls).toEqual([]);
    expect(events).toMatchObject([{ action: 'move', node: 'node2', reason: 'the endpoint moved from node1 to node2 (by the nodes\' hooks; observed)' }]);
  });

  it('a failed action is an error event, and the running loop tries again on its next look', async () => {
    const endpoint = new MemoryEndpoint();
    endpoint.failNext = 'the engine said no';
    const events: EndpointEvent[] = [];
    const looped = new EndpointController({ endpoint, logger: silentLogger, observe: async () => promoted, intervalMs: 5, onEvent: (e) => events.push(e) });
    looped.start();
    const deadline = Date.now() + 5000;
    while (endpoint.holder !== 'node2' && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    await looped.stop();
    expect(endpoint.holder).toBe('node2');
    expect(events[0]).toMatchObject({ action: 'error', reason: 'the engine said no' });
    expect(events.some((e) => e.action === 'move' && e.node === 'node2')).toBe(true);
  });
});
