/**
 * The failover-aware data layer's configuration as users import it: its settings and defaults
 * (./settings.ts), and what each platform changes in them.
 */
export * from './settings.ts';
