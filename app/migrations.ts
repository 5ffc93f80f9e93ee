/**
 * Each database's schema. The migrations are files in app/db/migrations/<database>/, in
 * sequelize-cli's form (`up(queryInterface)`, `down(queryInterface)`), so `npm run db:migrate` runs
 * the very same ones (app/db/cli.ts). The app is bundled into one file, so they are listed here
 * rather than found on disk, under the names sequelize-cli records (the file's name): the app at
 * start and the CLI share each database's SequelizeMeta table, and neither runs a migration twice.
 * An analytics database that is the app database (same database, same schema) records its own in
 * SequelizeMetaAnalytics.
 * Applied at start through the data layer's unit of work, so a primary that is down or moving only
 * delays them.
 */
import type { QueryInterface, Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug, type RunnableMigration } from 'umzug';
import * as countries from './db/migrations/app/0001-countries.ts';
import * as bank from './db/migrations/app/0002-bank.ts';
import * as events from './db/migrations/analytics/0001-events.ts';

type Migration = RunnableMigration<QueryInterface>;

interface MigrationFile {
  up(queryInterface: QueryInterface): Promise<void>;
  down(queryInterface: QueryInterface): Promise<void>;
}

const listed = (files: Record<string, MigrationFile>): Migration[] =>
  Object.entries(files).map(([name, file]) => ({ name, up: ({ context }) => file.up(context), down: ({ context }) => file.down(context) }));

/** The app database: the tutorial's countries, and the bank's accounts and transfers. */
export const appMigrations: Migration[] = listed({ '0001-countries.ts': countries, '0002-bank.ts': bank });

/** The analytics database: events, written next to the countries, in another database. */
export const analyticsMigrations: Migration[] = listed({ '0001-events.ts': events });

/**
 * The table that records the analytics migrations when the analytics database is the app database,
 * in the same schema: each set of migrations keeps its own record, so neither reads the other's
 * names as its own (a name both sets use would be skipped) nor undoes the other's.
 */
export const ANALYTICS_MIGRATIONS_TABLE = 'SequelizeMetaAnalytics';

/** Where the app and analytics databases are one: the same database, and the same schema (unset: public). */
export function sharesMigrationsTable(app: { database: string; searchPath?: string }, analytics: { database: string; searchPath?: string }): boolean {
  return app.database === analytics.database && (app.searchPath ?? 'public') === (analytics.searchPath ?? 'public');
}

/** Where the migrations that ran are recorded. */
export interface MigrationsRecord {
  /** Absent: SequelizeMeta, as sequelize-cli's. */
  table?: string;
  /**
   * The schema the connections' search_path names (DB_SCHEMA), said again: Sequelize asks whether
   * the table exists in public unless told a schema, and would then not make it where it is used.
   */
  schema?: string;
}

/** Apply what has not run yet; returns the names applied. */
export async function migrate(sequelize: Sequelize, migrations: Migration[], record: MigrationsRecord = {}): Promise<string[]> {
  const umzug = new Umzug({
    migrations,
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, ...(record.table ? { modelName: record.table, tableName: record.table } : {}), ...(record.schema ? { schema: record.schema } : {}) }),
    logger: undefined,
  });
  return (await umzug.up()).map((m) => m.name);
}
