/**
 * The failover-aware data layer's configuration as users import it: its settings and defaults
 * (./settings.ts), and what each platform changes in them (its module in app/platforms/).
 */
export * from './settings.ts';
export { PLATFORM_DEFAULTS, type Platform } from '../platforms/index.ts';
