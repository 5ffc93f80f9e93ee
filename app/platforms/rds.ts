/** Amazon RDS for PostgreSQL, Multi-AZ: a PostgreSQL server whose failover takes longer. */
import { POSTGRES } from './postgres.ts';
import type { AppPlatform } from './platform.ts';

export const rds: AppPlatform<'rds'> = {
  ...POSTGRES,
  name: 'rds',
  // RDS Multi-AZ fails over in 60 to 120 s; the writer endpoint's DNS follows.
  failover: { failoverWindowMs: 120_000 },
};
