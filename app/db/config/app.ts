/** sequelize-cli's config for the app database (app/db/environments.ts). */
import { cliConfig } from '../environments.ts';

export default cliConfig('app');
