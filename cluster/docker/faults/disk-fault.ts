/**
 * The disk faults on containers: the fault file system under each data node's data directory
 * (cluster/fault-fs/), on this host, told what to do through its control socket. The node's
 * kernel (the host's) and its network stay up; only its disk misbehaves.
 */
import { ClusterError } from '../../errors.ts';
import { dataFsPaths } from '../../data-fs.ts';
import { faultFsControl, faultLeft, type DiskFaultSetting } from '../../fault-fs/index.ts';
import type { DiskFaultCapability } from '../../target.ts';
import { eachNode, type NodeContainers } from './node-containers.ts';

/** Only for a cluster started with the fault file system (`spec.dataFs.faults`). */
export function dockerDiskFault(on: NodeContainers): DiskFaultCapability {
  const control = (node: string) => {
    if (on.node(node).initialRole === 'witness') {
      throw new ClusterError(`${node} keeps no data directory on a fault file system, so flipdrill has no disk fault for it`, {
        hint: 'the disk faults hit data nodes (the primary or a standby)',
      });
    }
    return dataFsPaths(on.spec.name, node).control;
  };
  const ops = (which: string) => (which === 'all' ? 'every operation' : which === 'write' ? 'every write' : 'every fsync');
  return {
    describe(node, setting) {
      const where = `${node}'s data directory (flipdrill's fault file system, ${dataFsPaths(on.spec.name, node).mount} on this host)`;
      if (setting === 'power-loss') return `cut the power of ${where}: every operation failed from then on, the container killed (docker kill), every write not yet fsynced taken back`;
      const parts = [
        ...(setting.stall ? [`${ops(setting.stall)} stalled`] : []),
        ...(setting.error ? [`${ops(setting.error)} failing with EIO`] : []),
        ...(setting.latency_ms ? [`${setting.latency_ms} ms added to ${ops(setting.latency_on ?? 'all')}`] : []),
      ];
      return `${where}: ${parts.join(', ') || 'nothing'}`;
    },
    async setDiskFault(node, setting: DiskFaultSetting) {
      await faultFsControl(control(node), { op: 'clear' });
      await faultFsControl(control(node), { op: 'set', ...setting });
    },
    async clearDiskFault(node) {
      const ctl = control(node);
      const state = await faultFsControl(ctl, { op: 'status' });
      // A power loss interrupted between its cut and its revert: with the node gone, finish it (its
      // unsynced writes taken back); with the node still running, its writes stand (clear resumes).
      if (state.cut && !(await on.isRunning(node))) await faultFsControl(ctl, { op: 'revert' });
      await faultFsControl(ctl, { op: 'clear' });
    },
    async powerLoss(node) {
      const ctl = control(node);
      await faultFsControl(ctl, { op: 'cut' });
      // If the kill fails, the cut stays: the undo (clearDiskFault) decides by whether the node still runs.
      await on.docker.killContainer(on.containerOf(node), 'SIGKILL');
      const answer = await faultFsControl(ctl, { op: 'revert' });
      return { files: answer.reverted_files ?? 0, bytes: answer.reverted_bytes ?? 0 };
    },
    diskFaultState: (node) => faultFsControl(control(node), { op: 'status' }),
    leftovers: (nodes) =>
      eachNode(
        nodes.filter((n) => on.node(n).initialRole !== 'witness'),
        async (node) => faultLeft(await faultFsControl(control(node), { op: 'status' })).map((what) => `${node}'s disk has ${what}`),
      ),
  };
}
