/**
 * What a platform is to the app: where its database runs (a repmgr cluster, RDS, Aurora DSQL) and
 * everything the app does differently there. One module per platform (app/platforms/), one line
 * in the registry (./index.ts); the rest of the app asks the platform and never its name.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Model, ModelAttributes, ModelStatic, Sequelize } from 'sequelize';
import type { NodeNames } from '../db/stamps.ts';
import type { FailoverConfig } from '../failover/settings.ts';
import type { FailoverSequelize } from '../failover/sequelize.ts';
import type { migrate, MigrationsRecord } from '../migrations.ts';

/** A database's migrations, as app/migrations.ts lists them. */
export type Migrations = Parameters<typeof migrate>[1];

/** The tables of one database: its models, and the migrations that make them. */
export interface Tables {
  database: string;
  models: ModelStatic<Model>[];
  migrations: Migrations;
  /** Where the migrations that ran are recorded; absent: SequelizeMeta, as sequelize-cli's. */
  record?: MigrationsRecord;
}

export interface AppPlatform<Name extends string = string> {
  /** DB_PLATFORM's value. */
  name: Name;
  /** What it changes in the failover layer's defaults (AWARE_DEFAULTS). */
  failover: Partial<FailoverConfig>;
  /** Whether its rows name the node that committed them (committed_by): false where nodes have no names. */
  nodeStamps: boolean;
  /** Its part of the configuration, beyond the common part app/config.ts reads. */
  env: {
    /** Each connection signs a token of its own, so no password is needed. */
    tokens(env: NodeJS.ProcessEnv): boolean;
    /** The TLS settings it takes unless the environment gives its own (DB_SSLMODE...). */
    tlsDefaults(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
    /** Whether it has read replicas (DB_READ_HOSTS); without, reads go to the write endpoint. */
    replicas: boolean;
    /** Settings of its own. */
    settings(env: NodeJS.ProcessEnv): Partial<FailoverConfig>;
  };
  /** The stamp columns every row carries: which node committed it (named as `nodeNames` says), on which timeline, when. */
  stamps(sequelize: Sequelize, nodeNames?: NodeNames): ModelAttributes;
  /** The pg module it needs, made once at start; undefined: pg itself. */
  driver(config: FailoverConfig, env: NodeJS.ProcessEnv): Promise<typeof pg | undefined>;
  /** Its Sequelize instance on the failover-aware data layer. */
  sequelize(config: FailoverConfig, options: { logger: Logger; driver?: typeof pg }): FailoverSequelize;
  /** Make a database's tables, through `db` (an instance without replicas), retried as a unit of work. */
  createTables(db: FailoverSequelize, tables: Tables): Promise<void>;
}
