import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createConfiguredSequelize, reviveOptions } from '../app/failover/configured.ts';
import { loadSequelizeConfig } from './sequelize-config.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-sequelize-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TUTORIAL = path.join(import.meta.dirname, 'fixtures', 'sequelize', 'tutorial.json');

describe('a sequelize-cli config of yours', () => {
  it('reads one environment (production by default), regular expressions carried, and builds a Sequelize with only the hosts and credentials changed', async () => {
    const file = path.join(dir, 'config.cjs');
    writeFileSync(file, `module.exports = { production: { dialect: 'postgres', host: 'db.example', pool: { max: 3 }, retry: { max: 4, match: [/ETIMEDOUT/i, 'SequelizeConnectionError'] }, dialectOptions: { statement_timeout: 2000 } } };`);
    const options = await loadSequelizeConfig(file);
    expect(options).toEqual({ dialect: 'postgres', host: 'db.example', pool: { max: 3 }, retry: { max: 4, match: [{ $regexp: 'ETIMEDOUT', flags: 'i' }, 'SequelizeConnectionError'] }, dialectOptions: { statement_timeout: 2000 } });
    expect((reviveOptions(JSON.parse(JSON.stringify(options))) as { retry: { match: unknown[] } }).retry.match[0]).toEqual(/ETIMEDOUT/i);

    const sequelize = createConfiguredSequelize({ database: 'flipdrill', user: 'flipdrill_app', password: 'pw', write: { host: 'pg-primary', port: 5432 }, reads: [{ host: 'node2', port: 5432 }] }, options);
    const o = (sequelize as unknown as { options: Record<string, unknown> }).options;
    expect(sequelize.config).toMatchObject({ database: 'flipdrill', username: 'flipdrill_app', host: 'pg-primary', port: 5432 });
    expect(o.pool).toMatchObject({ max: 3 });
    expect((o.retry as { max: number; match: unknown[] }).max).toBe(4);
    expect((o.retry as { match: unknown[] }).match[0]).toEqual(/ETIMEDOUT/i);
    expect(o.dialectOptions).toEqual({ statement_timeout: 2000 });
    await sequelize.close();
  });

  it("the tutorial's config: its replication pointed at the cluster's endpoint and replica", async () => {
    const options = await loadSequelizeConfig(TUTORIAL);
    const sequelize = createConfiguredSequelize({ database: 'flipdrill', user: 'flipdrill_app', password: 'pw', write: { host: 'pg-primary', port: 5432 }, reads: [{ host: 'node2', port: 5432 }] }, options);
    expect(((sequelize as unknown as { options: unknown }).options as unknown as { replication: unknown }).replication).toMatchObject({ write: { host: 'pg-primary', port: 5432 }, read: [{ host: 'node2', port: 5432 }] });
    expect(((sequelize as unknown as { options: unknown }).options as unknown as { pool: unknown }).pool).toMatchObject({ max: 10, idle: 30000 });
    await sequelize.close();
    // With no replicas (migrations): one host, the endpoint.
    const direct = createConfiguredSequelize({ database: 'flipdrill', user: 'flipdrill_app', password: 'pw', write: { host: 'pg-primary', port: 5432 }, reads: [] }, options);
    expect((direct as unknown as { options: { replication: unknown } }).options.replication).toBeFalsy();
    expect(direct.config).toMatchObject({ host: 'pg-primary', port: 5432 });
    await direct.close();
  });

  it.each([
    ['missing.json', null, 'no such file'],
    ['config.json', '{"development": {}}', 'has no "production" environment (it has: development)'],
    ['mysql.json', '{"production": {"dialect": "mysql"}}', 'the "production" environment\'s dialect is mysql; flipdrill drills PostgreSQL'],
    ['hooks.cjs', 'module.exports = { production: { hooks: { beforeConnect() {} } } };', 'the "production" environment has functions (hooks.beforeConnect)'],
    ['broken.json', '{"production": ', 'cannot be read'],
  ])('%s: one line', async (name, content, message) => {
    const file = path.join(dir, name);
    if (content !== null) writeFileSync(file, content);
    await expect(loadSequelizeConfig(file)).rejects.toThrow(message);
  });
});
