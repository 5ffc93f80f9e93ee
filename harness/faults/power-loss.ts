/**
 * The node loses power: its disk stops (every operation held), the node is killed, and every
 * write it had not fsynced is taken back (the fault file system keeps the old bytes until an
 * fsync: cluster/fault-fs/). With PostgreSQL's defaults a commit is acknowledged only once its WAL
 * is fsynced, so nothing acknowledged may be lost.
 *
 * `durability` turns a safeguard off on the node first, for the checker's proof: with
 * synchronous_commit = off a commit is acknowledged before its WAL is flushed (and a WAL sender
 * sends only flushed WAL), so the last fraction of a second of acknowledged writes exists nowhere
 * else and the power loss takes it: the drill must FAIL and list them. With fsync = off the WAL is
 * still written and streamed before the acknowledgement; what the power loss then takes from the
 * node, a standby that confirmed it still has (the finding: fsync = off on a primary alone loses
 * nothing acknowledged when a standby takes over, but the old primary's own files are damaged).
 */
import { ClusterError, type NodeCore } from '../../cluster/index.ts';
import { FAULT_FS } from './disk.ts';
import { defineFault, dies } from './types.ts';

const SETTINGS = { 'synchronous-commit-off': 'synchronous_commit', 'fsync-off': 'fsync' } as const;
type Durability = 'on' | keyof typeof SETTINGS;

async function alterSystem(cluster: NodeCore, node: string, sql: string): Promise<void> {
  const result = await cluster.exec(node, ['psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', sql, '-c', 'SELECT pg_reload_conf()'], { user: 'postgres' });
  if (result.exitCode !== 0) throw new ClusterError(`${sql} on ${node} failed: ${(result.stderr || result.stdout).trim().split('\n').slice(-1)[0]}`);
}

export default defineFault({
  kind: 'power-loss',
  summary: 'the node loses power: killed with its disk stopped, every write it had not fsynced gone',
  roles: ['primary', 'standby'],
  rolesBecause: 'only data nodes keep a data directory on the fault file system',
  needs: ['disk-fault'],
  options: {
    durability: { type: 'string', pattern: /^(on|synchronous-commit-off|fsync-off)$/, like: 'on, synchronous-commit-off or fsync-off', default: 'on', doc: 'on (PostgreSQL as configured), or a safeguard turned off on the node first, for 3 s of writes: synchronous-commit-off, fsync-off' },
  },
  cluster: FAULT_FS,
  schedule: { roles: ['primary', 'standby'], options: () => ({ durability: 'on' }), ...dies(25) },
  describe: ({ cluster, node }, { durability }) => {
    const first = durability === 'on' ? '' : `ALTER SYSTEM SET ${SETTINGS[durability as keyof typeof SETTINGS]} = off on ${node} (psql, reloaded), 3 s of writes, then `;
    return first + cluster.capabilities['disk-fault'].describe(node, 'power-loss');
  },
  nemesis: ({ durability }) => {
    const setting = durability === 'on' ? undefined : SETTINGS[durability as Exclude<Durability, 'on'>];
    return {
      kind: 'power-loss',
      ...(setting
        ? {
            prepare: {
              holdMs: 3000,
              async run({ cluster, node }) {
                await alterSystem(cluster, node, `ALTER SYSTEM SET ${setting} = off`);
                return `${setting} = off on ${node} (ALTER SYSTEM, reloaded)`;
              },
            },
          }
        : {}),
      async inject({ cluster, node }) {
        const disk = cluster.capabilities['disk-fault'];
        const at = Date.now();
        const { files, bytes } = await disk.powerLoss(node);
        return { kind: 'power-loss', node, at, confirmedAt: Date.now(), detail: `${disk.describe(node, 'power-loss')}: ${files} files had unsynced writes, ${bytes} bytes taken back` };
      },
      async undo({ cluster, node }) {
        await cluster.capabilities['disk-fault'].clearDiskFault(node);
        if (setting && (await cluster.isRunning(node))) await alterSystem(cluster, node, `ALTER SYSTEM RESET ${setting}`);
      },
      undoing: ({ node }) => (setting ? `resetting ${setting} on ${node} (ALTER SYSTEM RESET)` : `making sure ${node}'s disk runs again`),
      undoAfterRestart: true,
    };
  },
});
