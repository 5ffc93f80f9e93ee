/**
 * A sequelize-cli config of yours (config.json, or config.js / .cjs / .mjs exporting the same
 * object), read on this machine: one environment of it (`--sequelize-env`, default production),
 * made JSON-safe for the app container. Regular expressions (retry.match) are carried as
 * { "$regexp": source, "flags": flags }; functions cannot be carried, and are named in the error.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../cluster/index.ts';

function jsonSafe(value: unknown, at: string, functions: string[]): unknown {
  if (value instanceof RegExp) return { $regexp: value.source, flags: value.flags };
  if (typeof value === 'function') {
    functions.push(at);
    return undefined;
  }
  if (Array.isArray(value)) return value.map((v, i) => jsonSafe(v, `${at}[${i}]`, functions));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v, at ? `${at}.${k}` : k, functions)]));
  return value;
}

export async function loadSequelizeConfig(file: string, env = 'production'): Promise<Record<string, unknown>> {
  const full = path.resolve(file);
  const where = `--sequelize-config ${file}`;
  if (!existsSync(full)) throw new ConfigError(`${where}: no such file`);
  let config: unknown;
  try {
    if (full.endsWith('.json')) config = JSON.parse(readFileSync(full, 'utf8'));
    else if (/\.(c|m)?js$/.test(full)) {
      const mod = (await import(pathToFileURL(full).href)) as { default?: unknown };
      config = mod.default ?? mod;
    } else throw new ConfigError(`${where}: a sequelize-cli config is a .json, .js, .cjs or .mjs file`);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${where} cannot be read: ${String((error as Error).message).split('\n')[0]}`);
  }
  if (!config || typeof config !== 'object' || Array.isArray(config)) throw new ConfigError(`${where}: not an object of environments`);
  const environments = config as Record<string, unknown>;
  const chosen = environments[env];
  if (!Object.hasOwn(environments, env) || !chosen || typeof chosen !== 'object') {
    throw new ConfigError(`${where} has no "${env}" environment (it has: ${Object.keys(environments).join(', ') || 'none'})`, { hint: 'choose one with --sequelize-env' });
  }
  const dialect = (chosen as { dialect?: unknown }).dialect;
  if (dialect !== undefined && dialect !== 'postgres') throw new ConfigError(`${where}: the "${env}" environment's dialect is ${String(dialect)}; flipdrill drills PostgreSQL`);
  const functions: string[] = [];
  const safe = jsonSafe(chosen, '', functions) as Record<string, unknown>;
  if (functions.length) throw new ConfigError(`${where}: the "${env}" environment has functions (${functions.join(', ')}), which cannot be carried into the app's container`, { hint: 'give their values instead, or drill your own client (--client)' });
  return safe;
}
