/** The disk-full fault on containers: a ballast on the node's size-limited data file system (see data-fs.ts). */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { ClusterError } from '../../errors.ts';
import { ballastLeft, BALLAST, dataFsPaths, fillScript } from '../../data-fs.ts';
import type { DiskFillCapability } from '../../target.ts';
import { eachNode, type NodeContainers } from './node-containers.ts';

/** Only for a cluster started with a size-limited data file system (`spec.dataFs`). */
export function dockerDiskFill(on: NodeContainers): DiskFillCapability {
  return {
    /**
     * Fill the node's data file system (disk-full): PostgreSQL gets ENOSPC for whatever needs a new
     * block. Returns the bytes still free. Only a data node has one.
     */
    async fillDisk(node) {
      if (on.node(node).initialRole === 'witness') {
        throw new ClusterError(`${node}'s data directory is on no size-limited file system, so flipdrill will not fill it`, {
          hint: 'the disk-full fault needs a cluster started with --data-fs-size (a drill of a disk-full scenario creates one)',
        });
      }
      const result = await on.exec(node, ['bash', '-c', fillScript()]);
      if (result.exitCode !== 0) throw new ClusterError(`could not fill ${node}'s disk: ${(result.stderr || result.stdout).trim()}`);
      return Number(result.stdout.trim().split('\n').at(-1));
    },
    /** Take the ballast away. Idempotent; from this host, so a stopped node is freed too. */
    async freeDisk(node) {
      const { mount } = dataFsPaths(on.spec.name, node);
      for (const file of [BALLAST, `${BALLAST}-rest`]) rmSync(path.join(mount, file), { force: true });
    },
    leftovers: (nodes) =>
      eachNode(nodes, async (node) => {
        if (!(await on.isRunning(node))) return [];
        return ballastLeft(on.spec.name, node) ? [`${node}'s disk is still full (the ballast is there)`] : [];
      }),
  };
}
