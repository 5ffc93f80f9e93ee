/**
 * Which node answered a read, asked in the same statement as the read (a second statement could
 * go to another replica): its name (as the stamps name nodes, DB_NODE_NAMES), whether it is in
 * recovery, and, on a primary, its timeline. A drill judges reads by it: per session across a
 * failover, and from a timeline a newer primary replaced (docs/concepts/findings.md).
 *
 * The row comes LEFT JOINed to one row of the node's own facts, so a miss says who missed it too.
 */
import { QueryTypes, type Model, type ModelStatic } from 'sequelize';
import { nodeNameSql, type NodeNames } from './stamps.ts';

export interface ServedBy {
  node: string;
  recovery: boolean;
  /** The primary's timeline; a standby's is not the node's to say cheaply. */
  timeline?: number;
}

const FACTS = (nodeNames?: NodeNames) => `SELECT ${nodeNameSql(nodeNames)} AS served_by_node, pg_is_in_recovery() AS served_in_recovery,
         CASE WHEN pg_is_in_recovery() THEN NULL
              ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS served_timeline`;

/** The statement that reads one row by primary key with the answering node's facts (no row: only the facts). */
export function findServedSql(M: ModelStatic<Model>, fields: readonly string[], nodeNames?: NodeNames): string {
  const q = (name: string) => M.sequelize!.getQueryInterface().quoteIdentifier(name);
  const table = M.getTableName();
  const from = typeof table === 'string' ? q(table) : `${q(table.schema)}.${q(table.tableName)}`;
  return `SELECT n.*, ${fields.map((f) => `t.${q(f)}`).join(', ')}, t.${q('id')} IS NOT NULL AS found
    FROM (${FACTS(nodeNames)}) AS n LEFT JOIN ${from} AS t ON t.${q('id')} = $1`;
}

type FactsRow = { served_by_node: string; served_in_recovery: boolean; served_timeline: number | null; found: boolean } & Record<string, unknown>;

/** Run it on the pool `useMaster` chooses (Sequelize's read replicas, or the primary). */
export async function findServed(M: ModelStatic<Model>, sql: string, id: string, useMaster: boolean): Promise<{ row: Record<string, unknown> | null; servedBy: ServedBy }> {
  const [r] = await M.sequelize!.query<FactsRow>(sql, { bind: [id], type: QueryTypes.SELECT, useMaster });
  if (!r) throw new Error(`reading ${M.tableName}: the node gave no answer row`);
  const servedBy: ServedBy = { node: r.served_by_node, recovery: Boolean(r.served_in_recovery), ...(r.served_timeline !== null ? { timeline: Number(r.served_timeline) } : {}) };
  return { row: r.found ? r : null, servedBy };
}
