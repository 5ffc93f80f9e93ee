/** PostgreSQL with repmgr (the clusters flipdrill makes): the failover layer's defaults as they are. */
import { POSTGRES } from './postgres.ts';
import type { AppPlatform } from './platform.ts';

export const repmgr: AppPlatform<'repmgr'> = { ...POSTGRES, name: 'repmgr', failover: {} };
