/**
 * flipdrill's app profiles, one module each: a new profile is a module and a line in PROFILES.
 * What a profile is: ./profile.ts.
 */
import { aware } from './aware.ts';
import { config } from './config.ts';
import { dsql } from './dsql.ts';
import { naive } from './naive.ts';
import type { AppProfileKind } from './profile.ts';

export const PROFILES = [aware, naive, config, dsql] as const;

/**
 * A profile's name. flipdrill's app on the failover-aware layer, on the tutorial's Sequelize
 * setup, on a Sequelize config of yours, or on the aware layer's Aurora DSQL profile through a
 * local DSQL stand-in in front of the endpoint (cluster/dsql/stand-in.ts).
 */
export type AppProfile = (typeof PROFILES)[number]['name'];

/** What --app chooses from (`config` comes with a Sequelize config of yours). */
export const APP_PROFILES: AppProfile[] = PROFILES.filter((p) => p.offered).map((p) => p.name);

/** The profile of that name, if there is one. */
export function appProfileNamed(name: string): AppProfileKind | undefined {
  return PROFILES.find((p) => p.name === name);
}

/** The profile a running app's environment is: one that knows it by its environment, else APP_PROFILE's (none: aware). */
export function appProfileOf(env: Record<string, string | undefined>): AppProfile {
  return PROFILES.find((p) => p.recognise?.(env))?.name ?? (env.APP_PROFILE as AppProfile | undefined) ?? aware.name;
}
