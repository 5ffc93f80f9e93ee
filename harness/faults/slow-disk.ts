/**
 * The node's disk is slow: each operation on its data directory (or each write, or each fsync)
 * takes that much longer. Nothing fails over; commits wait for their fsync, so writes slow down.
 */
import type { DiskOps } from '../../cluster/index.ts';
import { diskSettingNemesis, FAULT_FS, opsOption } from './disk.ts';
import { defineFault, endures } from './types.ts';

const options = {
  latencyMs: { type: 'number', min: 1, max: 2000, integer: true, default: 20, doc: 'milliseconds added to each operation' },
  ops: opsOption('fsync', 'which operations are slowed: fsync (the default: every commit waits), write, or all'),
} as const;

export default defineFault({
  kind: 'slow-disk',
  summary: "each operation on the node's data disk (fsync by default) slowed by latencyMs",
  roles: ['primary', 'standby'],
  rolesBecause: 'only data nodes keep a data directory on the fault file system',
  needs: ['disk-fault'],
  options,
  cluster: FAULT_FS,
  schedule: { roles: ['primary', 'standby'], ...endures, background: true },
  describe: ({ cluster, node }, { latencyMs, ops }) => cluster.capabilities['disk-fault'].describe(node, { latency_ms: latencyMs, latency_on: ops as DiskOps }),
  nemesis: ({ latencyMs, ops }) => diskSettingNemesis('slow-disk', { latency_ms: latencyMs, latency_on: ops as DiskOps }),
});
