/**
 * The node's storage hangs while its kernel and network stay up: every operation on its data
 * directory (or only writes, or only fsync) waits until the undo, as a dead NVMe or a paused EBS
 * volume leaves it. Processes already connected keep their sockets; whatever needs the disk waits.
 * Whether the HA manager notices a primary that answers TCP but never commits is the finding.
 */
import { diskOpsFault, opsOption } from './disk.ts';
import { defineFault } from './types.ts';

const options = { ops: opsOption('all', 'which operations hang: all, write (anything that changes the disk) or fsync') };

export default defineFault({
  kind: 'io-stall',
  summary: "the node's data disk hangs (every operation, or writes, or fsync) with its kernel and network up",
  options,
  ...diskOpsFault('io-stall', 'stall'),
});
