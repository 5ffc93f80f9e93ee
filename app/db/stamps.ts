/**
 * The stamps every row carries, set by the server that commits it: which node, on which timeline,
 * when. The drill's checker uses them to measure downtime from the database's own clock and to
 * spot writes committed by two different primaries.
 *
 * Which node (DB_NODE_NAMES):
 *
 *   cluster_name  the server's cluster_name setting (flipdrill's clusters set it per node)
 *   table         the name the table node_names gives the server's address and port, found through
 *                 the search_path (DB_SCHEMA), for clusters whose nodes share one cluster_name
 *                 (Patroni, pg_auto_failover): the drill makes
 *                 node_names(address text primary key, name text not null) with one row per node,
 *                 `host(inet_server_addr()) || ':' || inet_server_port()` => its name. A server the
 *                 table does not list is named by its cluster_name.
 */
import { DataTypes, type Sequelize } from 'sequelize';

export const NODE_NAMES = ['cluster_name', 'table'] as const;
export type NodeNames = (typeof NODE_NAMES)[number];

/** The SQL expression that names the node it runs on. */
export function nodeNameSql(nodeNames: NodeNames = 'cluster_name'): string {
  if (nodeNames === 'cluster_name') return "current_setting('cluster_name')";
  return "coalesce((SELECT name FROM node_names WHERE address = host(inet_server_addr()) || ':' || inet_server_port()), current_setting('cluster_name'))";
}

/**
 * The stamp columns with their defaults. The migrations make the tables with cluster_name's (the
 * tables outlive any one drill's node_names); the models, whose defaults the app's inserts send,
 * with the one DB_NODE_NAMES says.
 */
export function stampColumns(sequelize: Sequelize, nodeNames: NodeNames = 'cluster_name') {
  return {
    committed_by: { type: DataTypes.TEXT, allowNull: false, defaultValue: sequelize.literal(nodeNameSql(nodeNames)) },
    committed_timeline: {
      type: DataTypes.INTEGER,
      allowNull: false,
      defaultValue: sequelize.literal("('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int"),
    },
    committed_at: { type: DataTypes.DATE(6), allowNull: false, defaultValue: sequelize.literal('clock_timestamp()') },
  };
}
