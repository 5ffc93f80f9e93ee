/**
 * repmgr, through its own tables (`repmgr.nodes`, `repmgr.events`, in the database its nodes'
 * conninfo names: `repmgr` unless told otherwise) and its command: a planned switchover is
 * `repmgr standby switchover` run on the candidate as postgres, through that node's driver.
 */
import { ClusterError } from '../../errors.ts';
import type { ExecResult } from '../../docker/docker-client.ts';
import type { MonitorQuery } from './pg-auto-failover.ts';
import type { HaManager, ManagerEvent } from './manager.ts';

/** Run a command on a node, as a user (its driver's exec). */
export type NodeExec = (node: string, cmd: string[], options?: { user?: string }) => Promise<ExecResult>;

export class RepmgrManager implements HaManager {
  readonly name = 'repmgr' as const;

  constructor(
    /** SQL on the repmgr database of whichever node is primary now. */
    private readonly query: MonitorQuery,
    private readonly exec: NodeExec,
    private readonly config = '/etc/repmgr.conf',
  ) {}

  async whole(): Promise<string[]> {
    const nodes = await this.query<{ node_name: string; type: string; active: boolean; upstream: string | null }>(
      `SELECT n.node_name, n.type, n.active, u.node_name AS upstream FROM repmgr.nodes n LEFT JOIN repmgr.nodes u ON u.node_id = n.upstream_node_id ORDER BY n.node_id`,
    );
    const streaming = new Set((await this.query<{ application_name: string }>("SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'")).map((r) => r.application_name));
    const problems: string[] = [];
    const primaries = nodes.filter((n) => n.type === 'primary' && n.active);
    if (primaries.length !== 1) problems.push(`repmgr lists ${primaries.length === 0 ? 'no active primary' : `${primaries.length} active primaries`}`);
    for (const n of nodes) {
      if (!n.active) problems.push(`repmgr lists ${n.node_name} as inactive`);
      else if (n.type === 'standby' && !streaming.has(n.node_name)) problems.push(`${n.node_name} is not streaming from the primary`);
    }
    return problems;
  }

  async events(sinceMs: number): Promise<ManagerEvent[]> {
    const rows = await this.query<{ node_name: string; event: string; successful: boolean; at: string; details: string | null }>(
      `SELECT n.node_name, e.event, e.successful, (extract(epoch FROM e.event_timestamp) * 1000)::float8::text AS at, e.details
         FROM repmgr.events e JOIN repmgr.nodes n USING (node_id) WHERE e.event_timestamp >= to_timestamp($1 / 1000.0) ORDER BY e.event_timestamp`,
      [sinceMs],
    );
    return rows.map((r) => ({ at: Number(r.at), node: r.node_name, event: r.successful ? r.event : `${r.event} (failed)`, ...(r.details ? { details: r.details } : {}) }));
  }

  describeSwitchover(candidate: string): string {
    return `repmgr -f ${this.config} standby switchover --siblings-follow, as postgres on ${candidate}`;
  }

  async switchover(candidate: string): Promise<string> {
    const result = await this.exec(candidate, ['repmgr', '-f', this.config, 'standby', 'switchover', '--siblings-follow'], { user: 'postgres' });
    const output = `${result.stdout}${result.stderr}`.trim();
    if (result.exitCode !== 0) throw new ClusterError(`repmgr standby switchover to ${candidate} failed (exit ${result.exitCode}): ${output.split('\n').slice(-4).join(' | ')}`);
    return output;
  }
}
