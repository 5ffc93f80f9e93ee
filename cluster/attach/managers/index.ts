/**
 * The HA manager of a cluster file's cluster, through the interface the file gives for it:
 * Patroni's REST URLs (a node's `patroni:`), pg_auto_failover's monitor (`monitor:`), or repmgr's
 * tables and command (its database on the primary, `repmgr` run through a node's driver).
 */
import type { ForeignClusterFile } from '../cluster-file.ts';
import type { ManagerName } from '../cluster-file.ts';
import type { HaManager } from './manager.ts';
import { PatroniManager } from './patroni.ts';
import { monitorQuery, PgAutoFailoverManager, type MonitorQuery } from './pg-auto-failover.ts';
import { RepmgrManager, type NodeExec } from './repmgr.ts';

export interface ManagerAccess {
  /** The manager discovery found (or the file named). */
  name: ManagerName | 'none';
  /** SQL on repmgr's database of the node that is primary now (repmgr only). */
  repmgrQuery?: MonitorQuery;
  /** A command on a node through its driver (repmgr's switchover). */
  exec?: NodeExec;
}

/** The manager's interface, or undefined when the cluster has none the drill can ask (then it judges by SQL alone). */
export function managerOf(file: ForeignClusterFile, access: ManagerAccess): HaManager | undefined {
  const apis = file.nodes.flatMap((n) => (n.patroni ? [{ node: n.name, url: n.patroni }] : []));
  switch (access.name) {
    case 'patroni':
      return apis.length ? new PatroniManager(apis) : undefined;
    case 'pg_auto_failover':
      if (!file.monitor) return undefined;
      return new PgAutoFailoverManager(
        monitorQuery(file.monitor),
        file.nodes.map((n) => {
          const m = /@([^:/?,]+)(?::(\d+))?/.exec(n.url);
          return { node: n.name, ...(m ? { host: m[1]!, ...(m[2] ? { port: Number(m[2]) } : {}) } : {}) };
        }),
      );
    case 'repmgr':
      return access.repmgrQuery && access.exec ? new RepmgrManager(access.repmgrQuery, access.exec) : undefined;
    case 'none':
      return undefined;
  }
}
