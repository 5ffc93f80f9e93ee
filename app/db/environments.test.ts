import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliConfig, cliOptions } from './environments.ts';

const dirWith = (files: Record<string, string>) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-env-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
};

describe("sequelize-cli's environments", () => {
  it('development and test default to the local cluster; each database has its name', () => {
    const dir = dirWith({});
    expect(cliOptions('app', 'development', { DB_PASSWORD: 'p' }, dir)).toMatchObject({ host: '127.0.0.1', port: 15432, database: 'flipdrill', username: 'flipdrill_app', password: 'p' });
    expect(cliOptions('analytics', 'test', { DB_PASSWORD: 'p', ANALYTICS_DB_NAME: 'stats' }, dir)).toMatchObject({ host: '127.0.0.1', database: 'stats' });
  });

  it('reads .env.<environment>, then .env; a variable already set wins over both', () => {
    const dir = dirWith({ '.env.test': 'DB_PASSWORD=from-test-file\nDB_PORT=25432\n', '.env': 'DB_PASSWORD=from-env-file\nDB_USER=fileuser\nDB_PORT=1\n' });
    expect(cliOptions('app', 'test', {}, dir)).toMatchObject({ password: 'from-test-file', port: 25432, username: 'fileuser' });
    expect(cliOptions('app', 'development', {}, dir)).toMatchObject({ password: 'from-env-file', port: 1 });
    expect(cliOptions('app', 'test', { DB_PASSWORD: 'set' }, dir)).toMatchObject({ password: 'set' });
  });

  it('production assumes nothing: it needs DATABASE_URL or DB_WRITE_HOST, and takes sslmode from the URL', () => {
    const dir = dirWith({});
    expect(() => cliOptions('app', 'production', { DB_PASSWORD: 'p' }, dir)).toThrow(/production environment needs DATABASE_URL or DB_WRITE_HOST/);
    const options = cliOptions('app', 'production', { DATABASE_URL: 'postgres://u:p@db.example.com:6432/orders?sslmode=require', DB_SSL_ACCEPT_UNVERIFIED: 'true' }, dir);
    expect(options).toMatchObject({ host: 'db.example.com', port: 6432, database: 'orders', dialectOptions: { ssl: { rejectUnauthorized: false } } });
  });

  it("keeps the analytics migrations' record apart where the two databases are one, as the app does; refuses the app's own schema", () => {
    const dir = dirWith({});
    const options = (database: 'app' | 'analytics', extra: Record<string, string>) => cliOptions(database, 'test', { DB_PASSWORD: 'p', ...extra }, dir);
    const same = { DB_NAME: 'flipdrill', ANALYTICS_DB_NAME: 'flipdrill' };
    expect(options('analytics', same)).toMatchObject({ database: 'flipdrill', migrationStorageTableName: 'SequelizeMetaAnalytics' });
    // sequelize-cli's SequelizeMeta wherever the two are apart, and always for the app database.
    expect(options('app', same)).not.toHaveProperty('migrationStorageTableName');
    expect(options('analytics', { ANALYTICS_DB_NAME: 'stats' })).not.toHaveProperty('migrationStorageTableName');
    expect(options('analytics', {})).toMatchObject({ database: 'flipdrill_analytics' });
    expect(() => options('app', { DB_SCHEMA: 'flipdrill' })).toThrow(/^the db:\* commands do not take DB_SCHEMA: the app migrates its own schema when it starts$/);
    expect(() => options('analytics', { ANALYTICS_DB_SCHEMA: 'stats' })).toThrow(/^the db:\* commands do not take ANALYTICS_DB_SCHEMA/);
    expect(() => options('analytics', { DB_SCHEMA: 'flipdrill' })).toThrow(/^the db:\* commands do not take DB_SCHEMA/);
  });

  it('builds only the environment asked for', () => {
    // No DB_PASSWORD anywhere: reading an environment fails, listing them does not.
    const config = cliConfig('app');
    expect(Object.keys(config)).toEqual(['development', 'test', 'production']);
  });
});
