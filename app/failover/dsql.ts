/**
 * Aurora DSQL, the way AWS documents it for Sequelize (aws-samples/aurora-dsql-samples,
 * typescript/sequelize; shared/reference/sequelize-failover.md §8):
 *
 *   - AWS's connector client through `dialectModule`: `{ ...pg, Client: AuroraDSQLClient }` mints
 *     an IAM token for every new connection (a token fixed at start-up breaks once the pool
 *     reconnects after it expired)
 *   - `clientMinMessages: 'ignore'`: Sequelize otherwise sends `SET client_min_messages`, which
 *     DSQL does not accept
 *   - tables made with `queryInterface.createTable`, not `sync()` (DSQL's index metadata breaks
 *     Sequelize's introspection); UUID keys; associations with `constraints: false`; no
 *     `findOrCreate` (it needs PL/pgSQL)
 *   - optimistic concurrency: conflicts come back as 40001 with OC000 or OC001 in the message and
 *     abort the transaction; the classifier calls them retry-transaction, and a unit of work runs
 *     the whole transaction again, quickly (1 to 100 ms). The connector's own statement-level
 *     retry stays off: under a Sequelize transaction it would re-send a COMMIT whose transaction is
 *     already gone, and a re-sent COMMIT answers a false success
 *   - no replicas, no role change; sessions end after an hour, so connections retire at 55 minutes
 *   - admin works in public with an admin token; any other role in a schema of its own (myschema
 *     unless DB_DSQL_SCHEMA says otherwise), set as every connection's search_path in afterConnect
 *
 * Without AWS, `tokenDriver` puts the same seam (a Client subclass in `dialectModule`, the
 * password asked for on every connect) in front of the local cluster, so these code paths run in
 * tests. What that cannot show is listed in docs/guides/deployments.md.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { FailoverConfig } from './settings.ts';
import { createFailoverSequelize, type FailoverSequelize } from './sequelize.ts';

export type TokenProvider = () => Promise<string>;

/** pg with AWS's AuroraDSQLClient, which mints an IAM token (DsqlSigner) for every new connection. */
export async function awsDsqlDriver(): Promise<typeof pg> {
  const { AuroraDSQLClient } = await import('@aws/aurora-dsql-node-postgres-connector');
  return { ...pg, Client: AuroraDSQLClient as unknown as typeof pg.Client };
}

/**
 * pg with a Client that asks `tokens` for its password on every connect: the connector's seam,
 * without AWS. `onQuery` sees every statement the client sends (tests use it to see what
 * Sequelize says on connect).
 */
export function tokenDriver(tokens: TokenProvider, onQuery?: (sql: string) => void): typeof pg {
  class TokenClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super({ ...(typeof config === 'string' ? { connectionString: config } : config), password: tokens });
    }

    override query(...args: unknown[]): never {
      const first = args[0] as string | { text?: string } | undefined;
      if (onQuery) onQuery(typeof first === 'string' ? first : (first?.text ?? ''));
      return (super.query as (...a: unknown[]) => never)(...args);
    }
  }
  return { ...pg, Client: TokenClient as typeof pg.Client };
}

/** DSQL's admin role: the public schema and an admin token; any other role its own schema. */
export const DSQL_ADMIN = 'admin';

export function createDsqlSequelize(config: FailoverConfig, options: { logger: Logger; driver: typeof pg }): FailoverSequelize {
  return createFailoverSequelize(
    { ...config, reads: [], verifyRoleOnConnect: false },
    {
      logger: options.logger,
      driver: options.driver,
      // As AWS's samples: a role other than admin cannot use public, so every connection sets the
      // search_path to the role's schema.
      ...(config.user === DSQL_ADMIN ? {} : { searchPath: config.schema ?? 'myschema' }),
      // AWS's connector turns TLS on unless told: without a TLS setting (sslmode=disable, a local
      // stand-in) say so, rather than let its default decide.
      dialectOptions: { clientMinMessages: 'ignore', ...(config.tls ? {} : { ssl: false }) },
    },
  );
}
