/**
 * The node's disk fails: fsync (or writes, or everything) on its data directory returns EIO.
 * PostgreSQL does not retry a failed fsync (data_sync_retry = off): it PANICs, and its crash
 * recovery meets the same disk. On the primary that is a failover; nothing acknowledged may be
 * lost, since a commit is acknowledged only after its WAL was fsynced.
 */
import type { DiskOps } from '../../cluster/index.ts';
import { diskSettingNemesis, FAULT_FS, opsOption } from './disk.ts';
import { defineFault, stalls } from './types.ts';

const options = { ops: opsOption('fsync', 'which operations fail with EIO: fsync (the default), write, or all') };

export default defineFault({
  kind: 'io-error',
  summary: "the node's data disk answers EIO (to fsync by default, or writes, or everything)",
  roles: ['primary', 'standby'],
  rolesBecause: 'only data nodes keep a data directory on the fault file system',
  needs: ['disk-fault'],
  options,
  cluster: FAULT_FS,
  schedule: { roles: ['primary', 'standby'], ...stalls(40) },
  describe: ({ cluster, node }, { ops }) => cluster.capabilities['disk-fault'].describe(node, { error: ops as DiskOps }),
  nemesis: ({ ops }) => diskSettingNemesis('io-error', { error: ops as DiskOps }),
});
