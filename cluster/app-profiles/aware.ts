/** flipdrill's app on the failover-aware data layer (app/failover/): the default profile. */
import type { AppProfileKind } from './profile.ts';

export const aware: AppProfileKind<'aware'> = {
  name: 'aware',
  offered: true,
  nodeStamps: true,
  // Not yet: its read-your-writes is a time window, off by default (readYourWritesMs).
  sessionGuarantees: [],
  appEnv: ({ shared }) => ({ APP_PROFILE: 'aware', ...shared }),
};
