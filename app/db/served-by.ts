/**
 * Which node answered a read, asked in the same round trip as the read (another round trip could
 * go to another replica): its name (as the stamps name nodes, DB_NODE_NAMES), whether it is in
 * recovery, its timeline, and where it stood (for the aware layer's session guarantees,
 * app/failover/session-positions.ts). A drill judges reads by it: per session across a failover,
 * and from a timeline a newer primary replaced (docs/concepts/findings.md). A miss says who
 * missed it too.
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

/** Where the node stands: a standby's replay position, a primary's WAL insert position. */
const POSITION = "coalesce(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_insert_lsn() END, '0/0')::text";

/**
 * The node's facts: its name, whether in recovery, its timeline (a primary's; a standby's received
 * one where the role may read pg_stat_wal_receiver's, else null), a timeline it is surely on or
 * past (a standby's last restartpoint's or minimum recovery point's, from control data every role
 * may read), and where it stands.
 */
const FACTS = (nodeNames?: NodeNames) => `SELECT ${nodeNameSql(nodeNames)} AS served_by_node, pg_is_in_recovery() AS served_in_recovery,
       CASE WHEN pg_is_in_recovery() THEN (SELECT received_tli FROM pg_stat_wal_receiver LIMIT 1)
            ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS served_timeline,
       CASE WHEN pg_is_in_recovery() THEN greatest((SELECT timeline_id FROM pg_control_checkpoint()), (SELECT min_recovery_end_timeline FROM pg_control_recovery()))
            ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS served_timeline_at_least,
       ${POSITION} AS served_lsn`;

/**
 * One round trip, three statements, each with its own snapshot (READ COMMITTED): the node's facts
 * and where it stood before the read, the row, and where it stood after. The read's snapshot
 * includes all the first position shows and nothing past the last. The id goes in as a literal:
 * several statements in one message take no parameters.
 */
export function findServedSql(M: ModelStatic<Model>, fields: readonly string[], nodeNames?: NodeNames): (id: string) => string {
  const sequelize = M.sequelize!;
  const q = (name: string) => sequelize.getQueryInterface().quoteIdentifier(name);
  const table = M.getTableName();
  const from = typeof table === 'string' ? q(table) : `${q(table.schema)}.${q(table.tableName)}`;
  const facts = FACTS(nodeNames);
  const columns = fields.map((f) => `t.${q(f)}`).join(', ');
  return (id) => `${facts}; SELECT ${columns}, true AS found FROM ${from} AS t WHERE t.${q('id')} = ${sequelize.escape(id)}; SELECT ${POSITION} AS served_lsn_after`;
}

type FactsRow = { served_by_node: string; served_in_recovery: boolean; served_timeline: number | null; served_timeline_at_least: number | null; served_lsn: string };

/** Run it on the pool `useMaster` chooses (Sequelize's read replicas, or the primary). `at`: where the node stood. */
export async function findServed(M: ModelStatic<Model>, sql: (id: string) => string, id: string, useMaster: boolean): Promise<{ row: Record<string, unknown> | null; servedBy: ServedBy; at: NodePosition }> {
  // Sequelize hands back the three statements' rows as one list, in order.
  const rows = await M.sequelize!.query<Record<string, unknown>>(sql(id), { type: QueryTypes.SELECT, useMaster });
  const facts = rows.find((r) => 'served_by_node' in r) as FactsRow | undefined;
  const after = rows.find((r) => 'served_lsn_after' in r) as { served_lsn_after: string } | undefined;
  if (!facts || !after) throw new Error(`reading ${M.tableName}: the node did not say where it stood`);
  const row = rows.find((r) => r.found === true) ?? null;
  const recovery = Boolean(facts.served_in_recovery);
  const timeline = facts.served_timeline === null ? null : Number(facts.served_timeline);
  const servedBy: ServedBy = { node: facts.served_by_node, recovery, ...(timeline !== null ? { timeline } : {}) };
  return {
    row,
    servedBy,
    at: { recovery, lsn: lsnOf(facts.served_lsn), seenUpTo: lsnOf(after.served_lsn_after), timeline, timelineAtLeast: Number(facts.served_timeline_at_least ?? 0) },
  };
}
