/**
 * The node's storage hangs while its kernel and network stay up: every operation on its data
 * directory (or only writes, or only fsync) waits until the undo, as a dead NVMe or a paused EBS
 * volume leaves it. Processes already connected keep their sockets; whatever needs the disk waits.
 * Whether the HA manager notices a primary that answers TCP but never commits is the finding.
 */
import type { DiskOps } from '../../cluster/index.ts';
import { diskSettingNemesis, FAULT_FS, opsOption } from './disk.ts';
import { defineFault, stalls } from './types.ts';

const options = { ops: opsOption('all', 'which operations hang: all, write (anything that changes the disk) or fsync') };

export default defineFault({
  kind: 'io-stall',
  summary: "the node's data disk hangs (every operation, or writes, or fsync) with its kernel and network up",
  roles: ['primary', 'standby'],
  rolesBecause: 'only data nodes keep a data directory on the fault file system',
  needs: ['disk-fault'],
  options,
  cluster: FAULT_FS,
  schedule: { roles: ['primary', 'standby'], ...stalls(40) },
  describe: ({ cluster, node }, { ops }) => cluster.capabilities['disk-fault'].describe(node, { stall: ops as DiskOps }),
  nemesis: ({ ops }) => diskSettingNemesis('io-stall', { stall: ops as DiskOps }),
});
