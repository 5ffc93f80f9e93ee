/** sequelize-cli's config for the analytics database (app/db/environments.ts). */
import { cliConfig } from '../environments.ts';

export default cliConfig('analytics');
