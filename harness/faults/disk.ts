/**
 * What the disk faults share: a setting of the fault file system under the node's data
 * directory (cluster/fault-fs/), put on by the nemesis and taken off by its undo.
 */
import { DISK_OPS, type DiskFaultSetting, type DiskOps } from '../../cluster/index.ts';
import { stalls, type FaultKind, type Nemesis, type OptionSpec } from './types.ts';

/** The `ops` option: which operations the fault hits. */
export const opsOption = (fallback: DiskOps, doc: string): OptionSpec => ({ type: 'string', pattern: new RegExp(`^(${DISK_OPS.join('|')})$`), like: DISK_OPS.join(' or '), default: fallback, doc });

/** What a cluster the drill creates must have for a disk fault. */
export const FAULT_FS: FaultKind['cluster'] = { dataFs: true, faultFs: true };

/** A nemesis that sets the node's disk fault and clears it. */
export function diskSettingNemesis(kind: string, setting: DiskFaultSetting): Nemesis {
  return {
    kind,
    async inject({ cluster, node }) {
      const disk = cluster.capabilities['disk-fault']!;
      const at = Date.now();
      await disk.setDiskFault(node, setting);
      return { kind, node, at, confirmedAt: Date.now(), detail: disk.describe(node, setting) };
    },
    undo: ({ cluster, node }) => cluster.capabilities['disk-fault']!.clearDiskFault(node),
    undoing: ({ node }) => `clearing ${node}'s disk fault (stalled operations go on)`,
  };
}

/**
 * Everything of a kind that holds up (stall) or fails (error) the operations its `ops` option
 * names, but its name, summary and options: io-stall and io-error.
 */
export function diskOpsFault(kind: string, setting: 'stall' | 'error'): Pick<FaultKind, 'roles' | 'rolesBecause' | 'needs' | 'cluster' | 'schedule' | 'describe' | 'nemesis'> {
  return {
    roles: ['primary', 'standby'],
    rolesBecause: 'only data nodes keep a data directory on the fault file system',
    needs: ['disk-fault'],
    cluster: FAULT_FS,
    schedule: { roles: ['primary', 'standby'], ...stalls(40) },
    describe: ({ cluster, node }, { ops }) => cluster.capabilities['disk-fault']!.describe(node, { [setting]: ops as DiskOps }),
    nemesis: ({ ops }) => diskSettingNemesis(kind, { [setting]: ops as DiskOps }),
  };
}
