import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppConfigError, loadConfig, parseDatabaseUrl } from './config.ts';
import { sslOptions } from './failover/config.ts';

const caFile = (() => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-config-'));
  const file = path.join(dir, 'ca.pem');
  writeFileSync(file, '-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n');
  return file;
})();

describe('DATABASE_URL', () => {
  it('gives user, password, database, host, port, sslmode and the CA file, decoded', () => {
    expect(parseDatabaseUrl('postgres://app%40corp:p%2Fss%3Aw@db.example.com:6432/orders?sslmode=verify-ca&sslrootcert=/etc/ca.pem')).toEqual({
      DB_USER: 'app@corp',
      DB_PASSWORD: 'p/ss:w',
      DB_NAME: 'orders',
      DB_WRITE_HOST: 'db.example.com',
      DB_PORT: '6432',
      DB_SSLMODE: 'verify-ca',
      DB_SSL_CA_FILE: '/etc/ca.pem',
    });
    expect(parseDatabaseUrl('postgresql://u:p@h/d')).toEqual({ DB_USER: 'u', DB_PASSWORD: 'p', DB_NAME: 'd', DB_WRITE_HOST: 'h' });
  });

  it('is the default for each DB_* variable; a variable that is set wins', () => {
    const config = loadConfig({ DATABASE_URL: `postgres://u:secret@db.example.com:6432/orders?sslrootcert=${caFile}`, DB_NAME: 'billing', DB_READ_HOSTS: '' });
    expect(config.failover).toMatchObject({ user: 'u', password: 'secret', database: 'billing', write: { host: 'db.example.com', port: 6432 }, reads: [] });
    // A CA and no sslmode: verified in full, as without the URL.
    expect(config.failover.tls).toMatchObject({ mode: 'verify-full', caSource: caFile });
  });

  it('is refused, in one line, when it is not what the app can use', () => {
    const refused = (url: string) => {
      try {
        loadConfig({ DATABASE_URL: url });
      } catch (error) {
        expect(error).toBeInstanceOf(AppConfigError);
        return (error as Error).message;
      }
      throw new Error(`accepted: ${url}`);
    };
    expect(refused('db.example.com:5432')).toMatch(/must start with postgres:\/\//);
    expect(refused('not a url')).toMatch(/not a URL/);
    expect(refused('mysql://u:p@h/d')).toMatch(/must start with postgres:\/\//);
    expect(refused('postgres://u:p@h/d?application_name=x')).toMatch(/parameter the app does not use: application_name \(it knows sslmode, sslrootcert, target_session_attrs\)/);
    expect(refused('postgres://u@h/d')).toMatch(/DB_PASSWORD is required/);
    expect(refused('postgres://u:p@h1:5432,h2:x/d')).toBe('DATABASE_URL has a port that is not a number from 1 to 65535 after h2: "x"');
    expect(refused('postgres://u:p@h1,h2/d?target_session_attrs=readwrite')).toBe('target_session_attrs must be one of any, read-write, read-only, primary, standby, prefer-standby, not "readwrite"');
  });
});

describe('a multi-host endpoint', () => {
  it('from DATABASE_URL: every host in order, each with its port or DB_PORT\'s, and target_session_attrs', () => {
    const url = 'postgres://u:p@node2:6433,[::1],node1:6432/app?target_session_attrs=read-write';
    expect(parseDatabaseUrl(url)).toMatchObject({ DB_WRITE_HOST: 'node2:6433,[::1],node1:6432', DB_TARGET_SESSION_ATTRS: 'read-write' });
    expect(parseDatabaseUrl(url)).not.toHaveProperty('DB_PORT');
    const { failover } = loadConfig({ DATABASE_URL: url, DB_PORT: '7000', DB_READ_HOSTS: '' });
    expect(failover).toMatchObject({
      write: { host: 'node2', port: 6433 },
      writeHosts: [
        { host: 'node2', port: 6433 },
        { host: '::1', port: 7000 },
        { host: 'node1', port: 6432 },
      ],
      targetSessionAttrs: 'read-write',
    });
  });

  it('from DB_WRITE_HOST, comma-separated; DB_TARGET_SESSION_ATTRS wins over the URL\'s', () => {
    const { failover } = loadConfig({ DATABASE_URL: 'postgres://u:p@h/d?target_session_attrs=read-write', DB_WRITE_HOST: 'a:1, b', DB_TARGET_SESSION_ATTRS: 'any', DB_READ_HOSTS: '' });
    expect(failover).toMatchObject({ writeHosts: [{ host: 'a', port: 1 }, { host: 'b', port: 5432 }], targetSessionAttrs: 'any' });
  });

  it('one host is the plain write endpoint, as before; an IPv6 one included', () => {
    const { failover } = loadConfig({ DATABASE_URL: 'postgres://u:p@[::1]:6432/d', DB_READ_HOSTS: '[::1]:6433' });
    expect(failover.write).toEqual({ host: '::1', port: 6432 });
    expect(failover.reads).toEqual([{ host: '::1', port: 6433 }]);
    expect(failover).not.toHaveProperty('writeHosts');
    expect(failover).not.toHaveProperty('targetSessionAttrs');
  });

  it('is refused for the profiles whose Sequelize connects to one host, and bad host lists in one line', () => {
    const env = { DB_PASSWORD: 'p', DB_WRITE_HOST: 'a,b' };
    expect(() => loadConfig({ ...env, APP_PROFILE: 'naive' })).toThrow(/^the write endpoint names 2 hosts: only APP_PROFILE=aware chooses among several; the naive profile's Sequelize connects to one$/);
    expect(() => loadConfig({ ...env, APP_PROFILE: 'config', SEQUELIZE_OPTIONS: '{}' })).toThrow(/the config profile's Sequelize connects to one/);
    expect(() => loadConfig({ DB_PASSWORD: 'p', DB_WRITE_HOST: 'a:5432:1' })).toThrow(/^DB_WRITE_HOST has an IPv6 address without brackets: "a:5432:1"/);
    expect(() => loadConfig({ DB_PASSWORD: 'p', DB_WRITE_HOST: ',' })).toThrow(/^DB_WRITE_HOST names no host$/);
    expect(() => loadConfig({ DB_PASSWORD: 'p', DB_READ_HOSTS: 'node2:x' })).toThrow(/^DB_READ_HOSTS has a port that is not a number/);
  });
});

describe('sslmode, with libpq meanings', () => {
  const env = (extra: Record<string, string>) => ({ DB_PASSWORD: 'p', ...extra });

  it('disable (or nothing and no CA): no TLS', () => {
    expect(loadConfig(env({})).failover.tls).toBeUndefined();
    expect(loadConfig(env({ DB_SSLMODE: 'disable' })).failover.tls).toBeUndefined();
  });

  it('verify-full checks the chain and the name; verify-ca the chain only', () => {
    const full = loadConfig(env({ DB_SSLMODE: 'verify-full', DB_SSL_CA_FILE: caFile })).failover.tls!;
    expect(sslOptions(full)).toMatchObject({ rejectUnauthorized: true, ca: expect.stringContaining('BEGIN CERTIFICATE') });
    expect(sslOptions(full)).not.toHaveProperty('checkServerIdentity');
    const ca = loadConfig(env({ DB_SSLMODE: 'verify-ca', DB_SSL_CA_FILE: caFile })).failover.tls!;
    const options = sslOptions(ca);
    expect(options).toMatchObject({ rejectUnauthorized: true });
    expect((options.checkServerIdentity as () => unknown)()).toBeUndefined();
  });

  it('require with a CA checks the chain, as libpq does when it has a root certificate', () => {
    const tls = loadConfig(env({ DB_SSLMODE: 'require', DB_SSL_CA_FILE: caFile })).failover.tls!;
    expect(sslOptions(tls)).toMatchObject({ rejectUnauthorized: true, checkServerIdentity: expect.any(Function) });
  });

  it('require without a CA is refused unless accepted explicitly, and then proves nothing', () => {
    expect(() => loadConfig(env({ DB_SSLMODE: 'require' }))).toThrow(/proves nothing about the server.*DB_SSL_ACCEPT_UNVERIFIED=true/);
    const tls = loadConfig(env({ DB_SSLMODE: 'require', DB_SSL_ACCEPT_UNVERIFIED: 'true' })).failover.tls!;
    expect(sslOptions(tls)).toEqual({ rejectUnauthorized: false });
    // The same rule where the options are made, for a TlsConfig built by hand.
    expect(() => sslOptions({ mode: 'require' })).toThrow(/proves nothing/);
  });

  it('refuses the modes that fall back to plaintext, unknown modes, verification without a CA, and a CA with disable', () => {
    expect(() => loadConfig(env({ DB_SSLMODE: 'prefer' }))).toThrow(/falls back to plaintext/);
    expect(() => loadConfig(env({ DB_SSLMODE: 'allow' }))).toThrow(/falls back to plaintext/);
    expect(() => loadConfig(env({ DB_SSLMODE: 'verify_full' }))).toThrow(/must be one of disable, require, verify-ca, verify-full/);
    expect(() => loadConfig(env({ DB_SSLMODE: 'verify-full' }))).toThrow(/needs the CA/);
    expect(() => loadConfig(env({ DB_SSLMODE: 'disable', DB_SSL_CA_FILE: caFile }))).toThrow(/say which you mean/);
  });

  it('sslrootcert=system verifies against the system CAs', () => {
    const tls = loadConfig({ DATABASE_URL: 'postgres://u:p@db.example.com/d?sslmode=verify-full&sslrootcert=system' }).failover.tls!;
    expect(sslOptions(tls)).toEqual({ require: true, rejectUnauthorized: true });
  });
});

describe('platform defaults', () => {
  it('rds waits out a Multi-AZ failover (120 s) unless told otherwise', () => {
    expect(loadConfig({ DB_PASSWORD: 'p', DB_PLATFORM: 'rds' }).failover.failoverWindowMs).toBe(120_000);
    expect(loadConfig({ DB_PASSWORD: 'p', DB_PLATFORM: 'rds', DB_FAILOVER_WINDOW_MS: '30000' }).failover.failoverWindowMs).toBe(30_000);
    expect(loadConfig({ DB_PASSWORD: 'p' }).failover.failoverWindowMs).toBe(4000);
  });
});

describe('a schema of its own, and node names from a table', () => {
  const env = (extra: Record<string, string>) => ({ DB_PASSWORD: 'p', ...extra });

  it('DB_SCHEMA is the search_path of both databases; ANALYTICS_DB_SCHEMA gives the analytics database its own', () => {
    const both = loadConfig(env({ DB_SCHEMA: 'flipdrill', ANALYTICS_DB_NAME: 'stats' }));
    expect(both.failover.searchPath).toBe('flipdrill');
    expect(both.analytics).toMatchObject({ database: 'stats', searchPath: 'flipdrill' });
    const own = loadConfig(env({ DB_SCHEMA: 'flipdrill', ANALYTICS_DB_NAME: 'stats', ANALYTICS_DB_SCHEMA: 'stats_2' }));
    expect(own.failover.searchPath).toBe('flipdrill');
    expect(own.analytics!.searchPath).toBe('stats_2');
    const analyticsOnly = loadConfig(env({ ANALYTICS_DB_NAME: 'stats', ANALYTICS_DB_SCHEMA: '_a' }));
    expect(analyticsOnly.failover).not.toHaveProperty('searchPath');
    expect(analyticsOnly.analytics!.searchPath).toBe('_a');
    // Unset or empty: the server's own search_path, as before.
    expect(loadConfig(env({})).failover).not.toHaveProperty('searchPath');
    expect(loadConfig(env({ DB_SCHEMA: '' })).failover).not.toHaveProperty('searchPath');
  });

  it('a schema name that is not plain is refused in one line', () => {
    for (const bad of ['Flipdrill', '1drill', 'flip-drill', 'a.b', 'a"b', ' flipdrill', 'x'.repeat(64)]) {
      expect(() => loadConfig(env({ DB_SCHEMA: bad }))).toThrow(new AppConfigError(`DB_SCHEMA must be a plain schema name (a-z, 0-9 and _, not starting with a digit, at most 63), not "${bad}"`));
    }
    expect(() => loadConfig(env({ ANALYTICS_DB_NAME: 's', ANALYTICS_DB_SCHEMA: 'Stats' }))).toThrow(/^ANALYTICS_DB_SCHEMA must be a plain schema name/);
    expect(() => loadConfig(env({ DB_PLATFORM: 'dsql', DB_DSQL_AUTH: 'password', DB_SCHEMA: 'flipdrill' }))).toThrow(/^DB_SCHEMA is not for DB_PLATFORM=dsql, which sets the schema its own way$/);
  });

  it('DB_NODE_NAMES: cluster_name by default, or table; anything else refused in one line', () => {
    expect(loadConfig(env({})).nodeNames).toBe('cluster_name');
    expect(loadConfig(env({ DB_NODE_NAMES: 'cluster_name' })).nodeNames).toBe('cluster_name');
    expect(loadConfig(env({ DB_NODE_NAMES: 'table' })).nodeNames).toBe('table');
    expect(() => loadConfig(env({ DB_NODE_NAMES: 'tables' }))).toThrow(new AppConfigError('DB_NODE_NAMES must be cluster_name or table, not "tables"'));
    expect(() => loadConfig(env({ DB_NODE_NAMES: 'Table' }))).toThrow(/^DB_NODE_NAMES must be cluster_name or table, not "Table"$/);
    expect(() => loadConfig(env({ DB_PLATFORM: 'dsql', DB_DSQL_AUTH: 'password', DB_NODE_NAMES: 'table' }))).toThrow(/^DB_NODE_NAMES=table is not for DB_PLATFORM=dsql, whose rows name no node$/);
  });
});

describe('DB_PASSWORD_FILE', () => {
  const passwordFile = path.join(path.dirname(caFile), 'password');
  writeFileSync(passwordFile, 'from-a-file\n');
  it('gives the password from a file (how flipdrill starts its app: no password in the environment), winning over DATABASE_URL\'s', () => {
    expect(loadConfig({ DB_PASSWORD_FILE: passwordFile, DB_WRITE_HOST: 'h', DB_READ_HOSTS: '', DB_SSLMODE: 'disable' }).failover.password).toBe('from-a-file');
    expect(loadConfig({ DATABASE_URL: 'postgres://u:in-the-url@h/d?sslmode=disable', DB_PASSWORD_FILE: passwordFile, DB_READ_HOSTS: '' }).failover.password).toBe('from-a-file');
  });
  it('is refused beside DB_PASSWORD, and when it cannot be read', () => {
    expect(() => loadConfig({ DB_PASSWORD: 'p', DB_PASSWORD_FILE: passwordFile, DB_READ_HOSTS: '' })).toThrow(new AppConfigError('both DB_PASSWORD and DB_PASSWORD_FILE are set; use one'));
    expect(() => loadConfig({ DB_PASSWORD_FILE: '/nonexistent/flipdrill/password', DB_READ_HOSTS: '' })).toThrow(/DB_PASSWORD_FILE \/nonexistent\/flipdrill\/password cannot be read \(ENOENT\)/);
  });
});

describe("a session's reads, and staggered write connections", () => {
  const base = { DB_PASSWORD: 'p', DB_WRITE_HOST: 'db.example.com' };

  it('keeps sessions by WAL position and staggers write connections at 250 ms by default; either can be changed or turned off', () => {
    expect(loadConfig(base).failover).toMatchObject({ sessionConsistency: 'position', connectStaggerMs: 250 });
    expect(loadConfig({ ...base, DB_SESSION_CONSISTENCY: 'off', DB_CONNECT_STAGGER_MS: '0' }).failover).toMatchObject({ sessionConsistency: 'off', connectStaggerMs: 0 });
  });

  it('refuses what it cannot use, in one line', () => {
    expect(() => loadConfig({ ...base, DB_SESSION_CONSISTENCY: 'strong' })).toThrow('DB_SESSION_CONSISTENCY must be position or off, not "strong"');
    expect(() => loadConfig({ ...base, DB_CONNECT_STAGGER_MS: '-1' })).toThrow('DB_CONNECT_STAGGER_MS must be a non-negative integer, not "-1"');
  });
});
