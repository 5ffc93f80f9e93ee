/** flipdrill's app on the tutorial's Sequelize setup (app/failover/naive.ts). */
import type { AppProfileKind } from './profile.ts';

export const naive: AppProfileKind<'naive'> = {
  name: 'naive',
  offered: true,
  nodeStamps: true,
  // Sequelize's own replica choice: no session guarantee.
  sessionGuarantees: [],
  appEnv: ({ shared }) => ({ APP_PROFILE: 'naive', ...shared }),
};
