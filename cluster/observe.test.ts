import { afterEach, describe, expect, it, vi } from 'vitest';
import { hostNowMs, nodeStateOf } from './observe.ts';

const node = { name: 'node1', host: 'node1', hostPort: 5432, initialRole: 'primary' } as const;

describe("a node's clock against this host's", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('follows the wall clock when it is stepped after the process started (a VM resumed, NTP catching up)', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const before = hostNowMs();
    vi.setSystemTime(before + 13_340);
    expect(hostNowMs() - before).toBeGreaterThanOrEqual(13_340);
    expect(hostNowMs() - before).toBeLessThan(13_340 + 1_000);
  });

  it('is the answer against the middle of the round trip, with half the round trip as its error', () => {
    const state = nodeStateOf(node, { in_recovery: false, timeline: 1, upstream: null, clock_ms: 10_130 }, 10_000, 10_040);
    expect(state.clock).toEqual({ offsetMs: 110, errorMs: 20 });
  });
});
