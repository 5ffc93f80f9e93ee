/** flipdrill's app on the tutorial's Sequelize setup (app/failover/naive.ts). */
import type { AppProfileKind } from './profile.ts';

export const naive: AppProfileKind<'naive'> = {
  name: 'naive',
  offered: true,
  nodeStamps: true,
  appEnv: ({ shared }) => ({ APP_PROFILE: 'naive', ...shared }),
};
