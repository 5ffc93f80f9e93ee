/** The data nodes' clocks against the harness's, as the watcher's clock events measured them. */
import type { ClusterEvent } from '../op.ts';
import type { ClockSkew } from './types.ts';

/** How far a node's clock may be off the harness's before commit stamps of two nodes stop comparing. */
export const CLOCK_TOLERANCE_MS = 250;

/** Each node's largest clock offset among the run's clock events (pure). */
export function clockSkewsOf(events: readonly ClusterEvent[]): ClockSkew[] {
  const worst = new Map<string, ClockSkew>();
  for (const e of events) {
    if (e.type !== 'clock' || typeof e.node !== 'string' || typeof e.offsetMs !== 'number') continue;
    const sample = { node: e.node, offsetMs: e.offsetMs, errorMs: typeof e.errorMs === 'number' ? e.errorMs : 0 };
    const was = worst.get(e.node);
    if (!was || Math.abs(sample.offsetMs) > Math.abs(was.offsetMs)) worst.set(e.node, sample);
  }
  return [...worst.values()].sort((a, b) => a.node.localeCompare(b.node));
}

/** The skews beyond the tolerance, even allowing for the measurement's error. */
export const skewedBeyondTolerance = (skews: readonly ClockSkew[]) => skews.filter((s) => Math.abs(s.offsetMs) - s.errorMs > CLOCK_TOLERANCE_MS);

const describeSkew = (s: ClockSkew) => `${s.node}'s clock was ${(Math.abs(s.offsetMs) / 1000).toFixed(2)} s ${s.offsetMs > 0 ? 'ahead of' : 'behind'} the harness's`;

/** Do commit stamps of different nodes compare (no clock off beyond the tolerance)? Why not, if not. */
export function trustOfStamps(events: readonly ClusterEvent[]): { stampsTrusted: boolean; untrustedBecause?: string } {
  const off = skewedBeyondTolerance(clockSkewsOf(events));
  return off.length ? { stampsTrusted: false, untrustedBecause: off.map(describeSkew).join('; ') } : { stampsTrusted: true };
}
