/** flipdrill's app on the failover-aware data layer (app/failover/): the default profile. */
import type { AppProfileKind } from './profile.ts';

export const aware: AppProfileKind<'aware'> = {
  name: 'aware',
  offered: true,
  nodeStamps: true,
  // Kept by WAL position (app/failover/session-positions.ts). Reads from a replaced timeline are
  // refused once the layer has seen the newer one, which can come a moment after the drill's
  // watcher saw it: reported, not promised.
  sessionGuarantees: ['read-your-writes', 'monotonic-reads'],
  appEnv: ({ shared }) => ({ APP_PROFILE: 'aware', ...shared }),
};
