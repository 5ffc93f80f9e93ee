/**
 * Which node answered a read, asked in the same statement as the read (a second statement could
 * go to another replica): its name (as the stamps name nodes, DB_NODE_NAMES), whether it is in
 * recovery, and, on a primary, its timeline. A drill judges reads by it: per session across a
 * failover, and from a timeline a newer primary replaced (docs/concepts/findings.md).
 *
 * The row comes LEFT JOINed to one row of the node's own facts, so a miss says who missed it too.
 */
import { QueryTypes, type Model, type ModelStatic } from 'sequelize';
import { lsnOf, type NodePosition } from '../failover/session-positions.ts';
import { nodeNameSql, type NodeNames } from './stamps.ts';

export interface ServedBy {
  node: string;
  recovery: boolean;
  /** A primary's timeline; a standby's received one, where the app's role may read it. */
  timeline?: number;
}

/**
 * The node's facts: its name, whether in recovery, its timeline (a primary's; a standby's received
 * one where the role may read pg_stat_wal_receiver, else null), where it stands (a standby's replay
 * position, a primary's current one) and whether a standby's WAL receiver runs (its pid is
 * visible to every role).
 */
const FACTS = (nodeNames?: NodeNames) => `SELECT ${nodeNameSql(nodeNames)} AS served_by_node, pg_is_in_recovery() AS served_in_recovery,
         CASE WHEN pg_is_in_recovery() THEN (SELECT received_tli FROM pg_stat_wal_receiver LIMIT 1)
              ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS served_timeline,
         coalesce(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, '0/0')::text AS served_lsn,
         EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE pid IS NOT NULL) AS served_streaming`;

/** The statement that reads one row by primary key with the answering node's facts (no row: only the facts). */
export function findServedSql(M: ModelStatic<Model>, fields: readonly string[], nodeNames?: NodeNames): string {
  const q = (name: string) => M.sequelize!.getQueryInterface().quoteIdentifier(name);
  const table = M.getTableName();
  const from = typeof table === 'string' ? q(table) : `${q(table.schema)}.${q(table.tableName)}`;
  return `SELECT n.*, ${fields.map((f) => `t.${q(f)}`).join(', ')}, t.${q('id')} IS NOT NULL AS found
    FROM (${FACTS(nodeNames)}) AS n LEFT JOIN ${from} AS t ON t.${q('id')} = $1`;
}

type FactsRow = { served_by_node: string; served_in_recovery: boolean; served_timeline: number | null; served_lsn: string; served_streaming: boolean; found: boolean } & Record<string, unknown>;

/** Run it on the pool `useMaster` chooses (Sequelize's read replicas, or the primary). `at`: where the node stood. */
export async function findServed(M: ModelStatic<Model>, sql: string, id: string, useMaster: boolean): Promise<{ row: Record<string, unknown> | null; servedBy: ServedBy; at: NodePosition }> {
  const [r] = await M.sequelize!.query<FactsRow>(sql, { bind: [id], type: QueryTypes.SELECT, useMaster });
  if (!r) throw new Error(`reading ${M.tableName}: the node gave no answer row`);
  const recovery = Boolean(r.served_in_recovery);
  const timeline = r.served_timeline === null ? null : Number(r.served_timeline);
  const servedBy: ServedBy = { node: r.served_by_node, recovery, ...(timeline !== null ? { timeline } : {}) };
  return { row: r.found ? r : null, servedBy, at: { recovery, lsn: lsnOf(r.served_lsn), timeline, streaming: Boolean(r.served_streaming) } };
}
