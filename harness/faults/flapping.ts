/**
 * A flapping node: frozen and thawed again and again, each freeze about as long as repmgrd takes
 * to give up on a node (the fast profile: a second or two of failed pings). Some freezes end
 * before a standby is promoted, some may not: whichever way it goes, nothing acknowledged may be
 * lost and no two primaries may take writes together. The cycles run in the background from the
 * first freeze; the undo stops them and leaves the node thawed.
 */
import { defineFault, NODE_ROLES, rest } from './types.ts';

export default defineFault({
  kind: 'flapping',
  summary: 'the node frozen and thawed again and again',
  roles: NODE_ROLES,
  needs: ['freeze'],
  options: {
    freezeMs: { type: 'number', min: 100, max: 60_000, default: 2000, doc: 'each freeze, in milliseconds' },
    thawMs: { type: 'number', min: 100, max: 60_000, default: 2000, doc: 'each thaw between them, in milliseconds' },
    cycles: { type: 'number', min: 1, max: 100, default: 5, integer: true, doc: 'how many freezes' },
  },
  describe: ({ cluster, node }, { freezeMs, thawMs, cycles }) => `${cluster.capabilities.freeze.describe(node)} for ${freezeMs} ms, thawed for ${thawMs} ms, ${cycles} times`,
  nemesis({ freezeMs, thawMs, cycles }) {
    let stop = new AbortController();
    let loop: Promise<void> | undefined;
    return {
      kind: 'flapping',
      async inject({ cluster, node }) {
        const freeze = cluster.capabilities.freeze;
        stop = new AbortController();
        const at = Date.now();
        await freeze.pause(node);
        const confirmedAt = Date.now();
        const signal = stop.signal;
        loop = (async () => {
          for (let i = 0; i < cycles && !signal.aborted; i++) {
            if (i > 0) await freeze.pause(node);
            await rest(freezeMs, signal);
            await freeze.unpause(node);
            if (i < cycles - 1) await rest(thawMs, signal);
          }
        })();
        // An error in a later cycle surfaces in the undo, not as an unhandled rejection.
        loop.catch(() => undefined);
        return { kind: 'flapping', node, at, confirmedAt, detail: `${freeze.describe(node)} for ${freezeMs} ms, thawed for ${thawMs} ms, ${cycles} times` };
      },
      async undo({ cluster, node }) {
        stop.abort();
        const error = await loop?.then(() => undefined, (e: Error) => e);
        await cluster.capabilities.freeze.unpause(node);
        if (error) throw error;
      },
      undoing: ({ node }) => `ending the freeze-and-thaw cycles on ${node}, thawed`,
    };
  },
});
