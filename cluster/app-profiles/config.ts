/**
 * flipdrill's app on a Sequelize config of yours (--sequelize-config, harness/sequelize-config.ts):
 * the app builds its Sequelize from exactly your options, with only the hosts, port and
 * credentials pointed at the cluster.
 */
import { ClusterError, ConfigError } from '../errors.ts';
import type { AppProfileKind } from './profile.ts';

export const config: AppProfileKind<'config'> = {
  name: 'config',
  // It comes with the Sequelize config, not with --app.
  offered: false,
  nodeStamps: true,
  // Your Sequelize config: whatever it keeps, it does not say.
  sessionGuarantees: [],
  checkOptions({ options }) {
    if (!options.sequelizeOptions) throw new ConfigError('the config app profile needs a Sequelize config (--sequelize-config)');
  },
  appEnv: ({ shared, spec }) => ({
    APP_PROFILE: 'config',
    ...shared,
    ...(spec.sequelizeOptions ? { SEQUELIZE_OPTIONS: JSON.stringify(spec.sequelizeOptions) } : {}),
  }),
  checkReplacing(env, cluster) {
    if (!env.SEQUELIZE_OPTIONS) throw new ClusterError(`the running cluster ${cluster} was started without a Sequelize config`, { hint: 'remove it (flipdrill down), then drill with --sequelize-config' });
  },
};
