/**
 * The platforms the app runs on (DB_PLATFORM), one module each: a new platform is a module and a
 * line in PLATFORMS. What a platform is: ./platform.ts.
 */
import type { FailoverConfig } from '../failover/settings.ts';
import { dsql } from './dsql.ts';
import type { AppPlatform } from './platform.ts';
import { rds } from './rds.ts';
import { repmgr } from './repmgr.ts';

export const PLATFORMS = [repmgr, rds, dsql] as const;

/** A platform's name: DB_PLATFORM's value. */
export type Platform = (typeof PLATFORMS)[number]['name'];

/** The names as a sentence says them: "repmgr, rds or dsql". */
export const PLATFORM_NAMES = PLATFORMS.map((p) => p.name)
  .join(', ')
  .replace(/, ([^,]*)$/, ' or $1');

/** The platform of that name, if there is one. */
export function platformNamed(name: string): AppPlatform | undefined {
  return PLATFORMS.find((p) => p.name === name);
}

/** The platform a configuration is for; an unknown name is a mistake in the caller's configuration. */
export function platformOf(config: Pick<FailoverConfig, 'platform'>): AppPlatform {
  const platform = platformNamed(config.platform);
  if (!platform) throw new Error(`platform must be ${PLATFORM_NAMES}, not "${config.platform}"`);
  return platform;
}

/** What each platform changes in the failover layer's defaults (shared/reference/sequelize-failover.md §9.5). */
export const PLATFORM_DEFAULTS = Object.fromEntries(PLATFORMS.map((p) => [p.name, p.failover])) as Record<Platform, Partial<FailoverConfig>>;
