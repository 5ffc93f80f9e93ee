import { describe, expect, it } from 'vitest';
import { APP_PROFILES, appProfileNamed, appProfileOf } from './index.ts';

const app = { host: 'pg-primary', user: 'flipdrill_app', password: 'secret', database: 'flipdrill', analyticsDatabase: 'flipdrill_analytics' };
const spec = { dsqlStandIn: { frontIp: '10.2.0.21', statsPort: 20102 } };

describe('app profiles', () => {
  it('--app offers aware, naive and dsql; config comes with a Sequelize config', () => {
    expect(APP_PROFILES).toEqual(['aware', 'naive', 'dsql']);
    expect(appProfileNamed('config')?.offered).toBe(false);
    expect(appProfileNamed('clever')).toBeUndefined();
  });

  it("knows a running app's profile from its environment: the dsql app is the aware one on the DSQL platform", () => {
    expect(appProfileOf({ APP_PROFILE: 'aware', DB_PLATFORM: 'dsql' })).toBe('dsql');
    expect(appProfileOf({ APP_PROFILE: 'naive' })).toBe('naive');
    expect(appProfileOf({})).toBe('aware');
  });

  it("makes the app's environment from the shared part, or the dsql app's own through its stand-in", () => {
    const shared = { DB_USER: app.user, DB_NAME: app.database, DB_WRITE_HOST: app.host };
    expect(appProfileNamed('naive')!.appEnv({ shared, app, spec })).toEqual({ APP_PROFILE: 'naive', ...shared });
    expect(appProfileNamed('config')!.appEnv({ shared, app, spec: { ...spec, sequelizeOptions: { dialect: 'postgres' } } })).toEqual({ APP_PROFILE: 'config', ...shared, SEQUELIZE_OPTIONS: '{"dialect":"postgres"}' });
    const dsql = appProfileNamed('dsql')!.appEnv({ shared, app, spec });
    expect(dsql).toMatchObject({ APP_PROFILE: 'aware', DB_PLATFORM: 'dsql', DB_WRITE_HOST: 'dsql', DB_USER: 'admin', DB_NAME: 'flipdrill', ANALYTICS_DB_NAME: 'flipdrill_analytics', DB_SSLMODE: 'disable' });
  });

  it("says whose rows name no node, and what the dsql app's stand-in counted between two readings", () => {
    expect(['aware', 'naive', 'config', 'dsql'].map((p) => appProfileNamed(p)!.nodeStamps)).toEqual([true, true, true, false]);
    const front = appProfileNamed('dsql')!.frontContainer!;
    expect(front.hostPorts(spec)).toEqual([20102]);
    const before = { refused: { truncate: 1 }, conflicts: 2, sessions: 5 };
    const after = { refused: { truncate: 1, 'for-update': 3 }, conflicts: 14, sessions: 45 };
    expect(front.event(after, before)).toEqual({ type: 'dsql-stand-in', refused: { 'for-update': 3 }, conflicts: 12, sessions: 40 });
    expect(front.event(after, undefined)).toEqual({ type: 'dsql-stand-in', refused: { truncate: 1, 'for-update': 3 }, conflicts: 14, sessions: 45 });
  });
});
