/**
 * The node's disk fails: fsync (or writes, or everything) on its data directory returns EIO.
 * PostgreSQL does not retry a failed fsync (data_sync_retry = off): it PANICs, and its crash
 * recovery meets the same disk. On the primary that is a failover; nothing acknowledged may be
 * lost, since a commit is acknowledged only after its WAL was fsynced.
 */
import { diskOpsFault, opsOption } from './disk.ts';
import { defineFault } from './types.ts';

const options = { ops: opsOption('fsync', 'which operations fail with EIO: fsync (the default), write, or all') };

export default defineFault({
  kind: 'io-error',
  summary: "the node's data disk answers EIO (to fsync by default, or writes, or everything)",
  options,
  ...diskOpsFault('io-error', 'error'),
});
