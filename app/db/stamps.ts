/**
 * The stamps every row carries, set by the server that commits it: which node (cluster_name), on
 * which timeline, when. The drill's checker uses them to measure downtime from the database's own
 * clock and to spot writes committed by two different primaries.
 */
import { DataTypes, type Sequelize } from 'sequelize';

export function stampColumns(sequelize: Sequelize) {
  return {
    committed_by: { type: DataTypes.TEXT, allowNull: false, defaultValue: sequelize.literal("current_setting('cluster_name')") },
    committed_timeline: {
      type: DataTypes.INTEGER,
      allowNull: false,
      defaultValue: sequelize.literal("('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int"),
    },
    committed_at: { type: DataTypes.DATE(6), allowNull: false, defaultValue: sequelize.literal('clock_timestamp()') },
  };
}
