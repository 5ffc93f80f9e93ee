/**
 * DB_SCHEMA on every way the app builds Sequelize: each runs the same statement in its afterConnect
 * hook, which Sequelize runs on every new connection of every pool. Nothing connects here.
 */
import pino from 'pino';
import type { Sequelize } from 'sequelize';
import { afterAll, describe, expect, it } from 'vitest';
import { AWARE_DEFAULTS, type FailoverConfig } from './config.ts';
import { createConfiguredSequelize } from './configured.ts';
import { createTutorialSequelize } from './naive.ts';
import { createFailoverSequelize } from './sequelize.ts';

const config = (extra: Partial<FailoverConfig> = {}): FailoverConfig => ({
  ...AWARE_DEFAULTS,
  platform: 'repmgr',
  database: 'flipdrill',
  user: 'u',
  password: 'p',
  write: { host: '127.0.0.1', port: 1 },
  reads: [{ host: '127.0.0.1', port: 2 }],
  ...extra,
});

const made: Sequelize[] = [];
afterAll(async () => {
  for (const s of made) await s.close();
});

/** What the instance's afterConnect hooks send on a new connection. */
async function sentOnConnect(sequelize: Sequelize): Promise<string[]> {
  made.push(sequelize);
  const sent: string[] = [];
  const connection = { query: async (sql: string) => (sent.push(sql), { rows: [] }) };
  await (sequelize as unknown as { runHooks(name: string, ...args: unknown[]): Promise<void> }).runHooks('afterConnect', connection, {});
  return sent;
}

describe('the search_path of every new connection (DB_SCHEMA)', () => {
  const profiles = {
    aware: (c: FailoverConfig) => createFailoverSequelize(c, { logger: pino({ level: 'silent' }) }).sequelize,
    naive: (c: FailoverConfig) => createTutorialSequelize(c),
    config: (c: FailoverConfig) => createConfiguredSequelize(c, { pool: { max: 3 }, replication: { read: [], write: {} }, dialectOptions: { application_name: 'yours' } }),
  };

  for (const [profile, make] of Object.entries(profiles)) {
    it(`${profile}: set when a schema is given, nothing sent when not`, async () => {
      expect(await sentOnConnect(make(config({ searchPath: 'flipdrill' })))).toEqual(['SET search_path TO "flipdrill"']);
      expect(await sentOnConnect(make(config()))).toEqual([]);
    });
  }

  it("the aware layer's own search_path (Aurora DSQL's) wins over the config's", async () => {
    const { sequelize } = createFailoverSequelize(config({ searchPath: 'flipdrill' }), { logger: pino({ level: 'silent' }), searchPath: 'myschema' });
    expect(await sentOnConnect(sequelize)).toEqual(['SET search_path TO "myschema"']);
  });
});
