import type { RunFacts, Stamp } from '../facts.ts';
import { idOf, nsToMs, refOf } from '../history.ts';
import type { CheckPart, CheckResult, SplitBrain, WriteRef } from '../types.ts';

/** Two primaries committing acknowledged writes at overlapping times, from the commit stamps. */
export function splitBrainPart(f: RunFacts): CheckPart<Pick<CheckResult, 'splitBrain'>> {
  const ref = (id: string) => refOf(f.okWrites.find((p) => idOf(p.invoke) === id)!);
  const splitBrain = f.stampsTrusted ? splitBrainOf([...f.stamps.values()], (id) => f.ackNsById.has(id), ref) : splitBrainByHarnessClock(f, ref);
  const how = f.stampsTrusted ? '' : ` (judged on the harness's clock alone: ${f.untrustedBecause})`;
  return {
    checks: [
      {
        id: 'no-split-brain',
        name: 'no split brain',
        ok: splitBrain === null,
        detail: splitBrain
          ? `${splitBrain.writes.length} acknowledged writes committed by another primary after ${splitBrain.newPrimary} took over${how}`
          : f.stampsTrusted
            ? 'one primary at a time'
            : `no acknowledged write sent after the harness saw a new primary was committed by an older one${how}`,
      },
    ],
    result: { splitBrain },
  };
}

/**
 * Split brain when the nodes' clocks cannot be compared: an acknowledged write sent after the
 * harness saw the new primary (its own clock, both ends), yet committed by another node on an older
 * timeline. Weaker than the stamps' judgement (a write sent just before the look is not counted),
 * never wrong for a clock.
 */
export function splitBrainByHarnessClock(f: RunFacts, ref: (id: string) => WriteRef): SplitBrain | null {
  const seen = f.input.events.find((e) => e.type === 'promotion-observed' && typeof e.time === 'number' && typeof e.node === 'string');
  if (!seen || typeof seen.timeline !== 'number') return null;
  const evidence = f.okWrites
    .filter((p) => p.invoke.time > seen.time!)
    .map((p) => f.stamps.get(idOf(p.invoke)!))
    .filter((s): s is Stamp => s !== undefined && s.node !== seen.node && s.timeline < (seen.timeline as number));
  if (evidence.length === 0) return null;
  return {
    newPrimary: String(seen.node),
    newTimeline: seen.timeline,
    newPrimaryFirstCommitAt: typeof seen.wall === 'number' ? seen.wall : nsToMs(seen.time!),
    writes: evidence.map((s) => ({ ...ref(s.id), committedAtMs: s.atMs })),
  };
}

/**
 * Two primaries at once, from the commit stamps: each node's run of commits on one timeline is one
 * primary's tenure (first to last commit); two tenures of different nodes that overlap are a split
 * brain, whatever their timelines (two standbys promoted together share one). Only acknowledged
 * writes of the earlier tenure, committed after the later one began, are evidence. A node that is
 * primary twice (fail-back) has two timelines, so two tenures that do not overlap.
 */
export function splitBrainOf(stamps: readonly Stamp[], acknowledged: (id: string) => boolean, ref: (id: string) => WriteRef): SplitBrain | null {
  const tenures = new Map<string, { node: string; timeline: number; first: number; last: number; stamps: Stamp[] }>();
  for (const s of stamps) {
    const key = `${s.node}\u0000${s.timeline}`;
    const t = tenures.get(key) ?? { node: s.node, timeline: s.timeline, first: s.atMs, last: s.atMs, stamps: [] };
    t.first = Math.min(t.first, s.atMs);
    t.last = Math.max(t.last, s.atMs);
    t.stamps.push(s);
    tenures.set(key, t);
  }
  const ordered = [...tenures.values()].sort((a, b) => a.first - b.first || a.timeline - b.timeline);
  for (let j = 1; j < ordered.length; j++) {
    const later = ordered[j]!;
    for (let i = 0; i < j; i++) {
      const earlier = ordered[i]!;
      if (earlier.node === later.node || earlier.last <= later.first) continue;
      const evidence = earlier.stamps.filter((s) => s.atMs > later.first && acknowledged(s.id)).sort((a, b) => a.atMs - b.atMs);
      if (evidence.length === 0) continue;
      return {
        newPrimary: later.node,
        newTimeline: later.timeline,
        newPrimaryFirstCommitAt: later.first,
        writes: evidence.map((s) => ({ ...ref(s.id), committedAtMs: s.atMs })),
      };
    }
  }
  return null;
}
