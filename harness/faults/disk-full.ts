/**
 * The node's disk fills up: a ballast file takes every free block of its data directory's file
 * system (a size-limited one flipdrill made for this), so whatever PostgreSQL must write to a new
 * block fails with ENOSPC. The undo deletes the ballast. What PostgreSQL and repmgr then do is the
 * scenario's finding (docs/benchmarks.md); the workload must lose nothing acknowledged.
 */
import { defineFault, endures, NODE_ROLES } from './types.ts';

export default defineFault({
  kind: 'disk-full',
  summary: "the node's data file system filled with a ballast file (one flipdrill made, size-limited)",
  roles: NODE_ROLES,
  needs: ['disk-fill'],
  options: {},
  cluster: { dataFs: true },
  // Its own file system for the data directory comes with the cluster the drill creates for it.
  schedule: { roles: ['primary'], ...endures },
  nemesis: () => ({
    kind: 'disk-full',
    async inject({ cluster, node }) {
      const at = Date.now();
      const free = await cluster.capabilities['disk-fill'].fillDisk(node);
      return { kind: 'disk-full', node, at, confirmedAt: Date.now(), detail: `${node}'s data file system filled with a ballast file (${free} bytes left)` };
    },
    undo: ({ cluster, node }) => cluster.capabilities['disk-fill'].freeDisk(node),
    undoing: ({ node }) => `freeing ${node}'s disk (deleting the ballast)`,
  }),
});
