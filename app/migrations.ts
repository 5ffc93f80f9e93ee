/**
 * Each database's schema, as umzug migrations (the app is bundled into one file, so migrations
 * are listed here rather than found on disk). Applied at start, through the data layer's unit of
 * work, so a primary that is down or moving only delays them. umzug records what ran in each
 * database's own SequelizeMeta table.
 *
 * Every row carries stamps set by the server that commits it: which node (cluster_name), on
 * which timeline, when. The drill's checker uses them to measure downtime from the database's
 * own clock and to spot writes committed by two different primaries.
 */
import { DataTypes, Op, type QueryInterface, type Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug, type RunnableMigration } from 'umzug';

type Migration = RunnableMigration<QueryInterface>;

function stampColumns(sequelize: Sequelize) {
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

/** The app database: the tutorial's countries, and the bank's accounts and transfers. */
export function appMigrations(sequelize: Sequelize): Migration[] {
  return [
    {
      name: '0001-countries',
      up: ({ context }) =>
        context.createTable('countries', {
          // The client chooses the id (a UUID), so an unknown outcome can be checked and a retry detected.
          id: { type: DataTypes.UUID, primaryKey: true },
          name: { type: DataTypes.STRING(200), allowNull: false },
          is_eu_member: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
          ...stampColumns(sequelize),
        }),
      down: ({ context }) => context.dropTable('countries'),
    },
    {
      // The bank workload: balances that only move between accounts, and every transfer, stamped.
      name: '0002-bank',
      up: async ({ context }) => {
        await context.createTable('accounts', {
          id: { type: DataTypes.STRING(200), primaryKey: true },
          balance: { type: DataTypes.INTEGER, allowNull: false },
        });
        await context.addConstraint('accounts', { type: 'check', name: 'accounts_balance_not_negative', fields: ['balance'], where: { balance: { [Op.gte]: 0 } } });
        await context.createTable('transfers', {
          id: { type: DataTypes.UUID, primaryKey: true },
          from_account: { type: DataTypes.STRING(200), allowNull: false },
          to_account: { type: DataTypes.STRING(200), allowNull: false },
          amount: { type: DataTypes.INTEGER, allowNull: false },
          ...stampColumns(sequelize),
        });
      },
      down: async ({ context }) => {
        await context.dropTable('transfers');
        await context.dropTable('accounts');
      },
    },
  ];
}

/** The analytics database: events, written next to the countries, in another database. */
export function analyticsMigrations(sequelize: Sequelize): Migration[] {
  return [
    {
      name: '0001-events',
      up: ({ context }) =>
        context.createTable('events', {
          id: { type: DataTypes.UUID, primaryKey: true },
          name: { type: DataTypes.STRING(200), allowNull: false },
          ...stampColumns(sequelize),
        }),
      down: ({ context }) => context.dropTable('events'),
    },
  ];
}

/** Apply what has not run yet; returns the names applied. */
export async function migrate(sequelize: Sequelize, migrations: Migration[]): Promise<string[]> {
  const umzug = new Umzug({
    migrations,
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize }),
    logger: undefined,
  });
  return (await umzug.up()).map((m) => m.name);
}
