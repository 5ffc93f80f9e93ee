/**
 * What every PostgreSQL server the app runs on does alike (a repmgr cluster's nodes, RDS): a
 * password, TLS as configured, read replicas, stamps from cluster_name and the WAL, pg itself as
 * the driver, and the tables made by the migrations. A platform module adds its name and defaults.
 */
import { stampColumns } from '../db/stamps.ts';
import { createFailoverSequelize } from '../failover/sequelize.ts';
import { migrate } from '../migrations.ts';
import type { AppPlatform } from './platform.ts';

export const POSTGRES: Omit<AppPlatform, 'name' | 'failover'> = {
  nodeStamps: true,
  env: {
    tokens: () => false,
    tlsDefaults: () => ({}),
    replicas: true,
    settings: () => ({}),
  },
  stamps: stampColumns,
  driver: async () => undefined,
  sequelize: (config, options) => createFailoverSequelize(config, { logger: options.logger, driver: options.driver }),
  async createTables(db, { database, migrations, record }) {
    await db.unitOfWork(`migrate ${database}`, async () => void (await migrate(db.sequelize, migrations, record)), { idempotent: true });
  },
};
