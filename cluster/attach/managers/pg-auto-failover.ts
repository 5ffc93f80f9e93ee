/**
 * pg_auto_failover, through its monitor (a PostgreSQL database with the pgautofailover
 * extension): `pgautofailover.node` for each node's reported and goal state, `pgautofailover.event`
 * for what it did, and `pgautofailover.perform_promotion()` for a planned switchover to a given
 * node (what `pg_autoctl perform promotion` calls; 2.0 has no SQL function named for a switchover,
 * `pg_autoctl perform switchover` calls `perform_failover`, which lets the monitor pick). The monitor names nodes as they registered; the cluster
 * file's nodes are matched by that name, else by host and port.
 */
import pg from 'pg';
import { ClusterError } from '../../errors.ts';
import type { HaManager, ManagerEvent } from './manager.ts';

/** Run one statement on the monitor (a seam the tests replace). */
export type MonitorQuery = <T extends pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<T[]>;

export function monitorQuery(url: string, timeoutMs = 5000): MonitorQuery {
  return async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: Math.max(timeoutMs, 60_000), application_name: 'flipdrill' });
    client.on('error', () => {});
    try {
      await client.connect();
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end().catch(() => {});
    }
  };
}

interface NodeRow {
  nodename: string;
  nodehost: string;
  nodeport: number;
  formationid: string;
  groupid: number;
  reportedstate: string;
  goalstate: string;
}

const NODES = `SELECT nodename, nodehost, nodeport, formationid, groupid, reportedstate::text, goalstate::text FROM pgautofailover.node ORDER BY nodeid`;

export class PgAutoFailoverManager implements HaManager {
  readonly name = 'pg_auto_failover' as const;

  /** `nodes`: the file's node names, with the host and port each one's URL gives. */
  constructor(
    private readonly query: MonitorQuery,
    private readonly nodes: readonly { node: string; host?: string; port?: number }[],
  ) {}

  #fileName(row: NodeRow): string {
    return this.nodes.find((n) => n.node === row.nodename || (n.host === row.nodehost && n.port === row.nodeport))?.node ?? row.nodename;
  }

  async whole(): Promise<string[]> {
    const rows = await this.query<NodeRow>(NODES);
    const problems: string[] = [];
    const primaries = rows.filter((r) => r.reportedstate === 'primary');
    if (primaries.length !== 1) problems.push(`the monitor reports ${primaries.length === 0 ? 'no primary' : `${primaries.length} primaries`}`);
    for (const r of rows) {
      if (r.reportedstate !== r.goalstate) problems.push(`the monitor reports ${this.#fileName(r)} ${r.reportedstate}, on its way to ${r.goalstate}`);
      else if (r.reportedstate !== 'primary' && r.reportedstate !== 'secondary') problems.push(`the monitor reports ${this.#fileName(r)} ${r.reportedstate}`);
    }
    for (const { node } of this.nodes) if (!rows.some((r) => this.#fileName(r) === node)) problems.push(`the monitor does not list ${node}`);
    return problems;
  }

  async events(sinceMs: number): Promise<ManagerEvent[]> {
    const rows = await this.query<{ at: string; nodename: string; reportedstate: string; goalstate: string; description: string }>(
      `SELECT (extract(epoch FROM eventtime) * 1000)::float8::text AS at, nodename, reportedstate::text, goalstate::text, description
         FROM pgautofailover.event WHERE eventtime >= to_timestamp($1 / 1000.0) ORDER BY eventid`,
      [sinceMs],
    );
    return rows.map((r) => ({ at: Number(r.at), node: this.nodes.find((n) => n.node === r.nodename)?.node ?? r.nodename, event: `${r.reportedstate} → ${r.goalstate}`, details: r.description }));
  }

  describeSwitchover(candidate: string): string {
    return `SELECT pgautofailover.perform_promotion(<formation>, '${candidate}') on the monitor (what pg_autoctl perform promotion runs)`;
  }

  async switchover(candidate: string): Promise<string> {
    const rows = await this.query<NodeRow>(NODES);
    const target = rows.find((r) => this.#fileName(r) === candidate);
    if (!target) throw new ClusterError(`the monitor does not list ${candidate}`);
    await this.query('SELECT pgautofailover.perform_promotion($1::text, $2::text)', [target.formationid, target.nodename]);
    return `pgautofailover.perform_promotion('${target.formationid}', '${target.nodename}') accepted by the monitor`;
  }
}
