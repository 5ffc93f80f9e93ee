import { describe, expect, it } from 'vitest';
import { formatHost, parseHostList, parsePostgresUrl, PostgresUrlError } from './postgres-url.ts';

const refusal = (raw: string) => {
  try {
    parsePostgresUrl(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(PostgresUrlError);
    return (error as Error).message;
  }
  throw new Error(`accepted: ${raw}`);
};

describe('a PostgreSQL URL', () => {
  it('with one host: user, password, host, port, database and parameters', () => {
    expect(parsePostgresUrl('postgres://app:secret@db.example.com:6432/orders?sslmode=verify-full&sslrootcert=/etc/ca.pem')).toEqual({
      user: 'app',
      password: 'secret',
      hosts: [{ host: 'db.example.com', port: 6432 }],
      database: 'orders',
      params: { sslmode: 'verify-full', sslrootcert: '/etc/ca.pem' },
    });
    expect(parsePostgresUrl('postgresql://h')).toEqual({ hosts: [{ host: 'h' }], params: {} });
  });

  it('with several hosts, in order, each with or without its port', () => {
    expect(parsePostgresUrl('postgres://u@node1:5432,node2,10.0.0.3:6432/app?target_session_attrs=read-write')).toEqual({
      user: 'u',
      hosts: [{ host: 'node1', port: 5432 }, { host: 'node2' }, { host: '10.0.0.3', port: 6432 }],
      database: 'app',
      params: { target_session_attrs: 'read-write' },
    });
  });

  it('with IPv6 addresses in brackets, with and without ports', () => {
    expect(parsePostgresUrl('postgres://[::1]:5433,[fe80::1%25eth0],[2001:db8::7]/d').hosts).toEqual([
      { host: '::1', port: 5433 },
      { host: 'fe80::1%eth0' },
      { host: '2001:db8::7' },
    ]);
  });

  it('decodes every part: user, password, host, database, parameter names and values', () => {
    expect(parsePostgresUrl('postgres://app%40corp:p%2Fss%3Aw%40rd@my%2Dhost:5432/my%20db?sslrootcert=%2Fetc%2Fca%20file.pem')).toEqual({
      user: 'app@corp',
      password: 'p/ss:w@rd',
      hosts: [{ host: 'my-host', port: 5432 }],
      database: 'my db',
      params: { sslrootcert: '/etc/ca file.pem' },
    });
  });

  it('reads an unencoded @ in a password as meant: the last @ ends the user part', () => {
    expect(parsePostgresUrl('postgres://u:p@ss@h/d')).toMatchObject({ user: 'u', password: 'p@ss', hosts: [{ host: 'h' }] });
  });

  it('leaves out what is not there: no user, an empty password, no database, an empty query', () => {
    expect(parsePostgresUrl('postgres://u:@h:1/?')).toEqual({ user: 'u', hosts: [{ host: 'h', port: 1 }], params: {} });
  });

  it('is refused in one line, naming the part and never the password', () => {
    const cases: [string, RegExp][] = [
      ['not a url', /^is not a URL \(postgres:\/\//],
      ['postgres:/h/d', /^is not a URL/],
      ['mysql://u:p@h/d', /^must start with postgres:\/\/ or postgresql:\/\/, not mysql:\/\/$/],
      ['db.example.com:5432', /not db\.example\.com:\/\/$/],
      ['postgres://u:p@/d', /^names no host$/],
      ['postgres:///d', /^names no host$/],
      ['postgres://h1,,h2/d', /^has an empty host in its host list$/],
      ['postgres://h1:5432,/d', /^has an empty host/],
      ['postgres://h1:x/d', /^has a port that is not a number from 1 to 65535 after h1: "x"$/],
      ['postgres://h1:70000/d', /not a number from 1 to 65535 after h1: "70000"/],
      ['postgres://h1:0/d', /not a number from 1 to 65535/],
      ['postgres://h1:/d', /^has an empty port after h1$/],
      ['postgres://:5432/d', /^has a port without a host: ":5432"$/],
      ['postgres://::1:5432/d', /^has an IPv6 address without brackets: "::1:5432"/],
      ['postgres://[::1/d', /^has an IPv6 address without its closing bracket/],
      ['postgres://[::1]x/d', /^has something other than a port after an IPv6 address/],
      ['postgres://[db]/d', /^has brackets around something that is not an IPv6 address/],
      ['postgres://u:s%ZZcret@h/d', /^has a malformed percent-encoding in its password$/],
      ['postgres://u@h/d%G1', /^has a malformed percent-encoding in its database name$/],
      ['postgres://u@h/d?sslmode', /^has a parameter that is not key=value: "sslmode"$/],
      ['postgres://u:my secret@h/d', /^has white space in it/],
    ];
    for (const [raw, expected] of cases) {
      const message = refusal(raw);
      expect(message, raw).toMatch(expected);
      expect(message, raw).not.toContain('\n');
    }
    expect(refusal('postgres://u:s%ZZcret@h/d')).not.toContain('s%ZZcret');
  });
});

describe('a host list (DB_WRITE_HOST, DB_READ_HOSTS)', () => {
  it('is the URL\'s host list on its own, spaces around items allowed', () => {
    expect(parseHostList(' node1:5432, [::1]:6432 ,node3 ')).toEqual([{ host: 'node1', port: 5432 }, { host: '::1', port: 6432 }, { host: 'node3' }]);
    expect(() => parseHostList('')).toThrow(/^names no host$/);
  });

  it('prints back as it reads', () => {
    const hosts = [{ host: 'node1', port: 5432 }, { host: '::1', port: 6432 }, { host: 'node3' }, { host: '::2' }];
    expect(hosts.map(formatHost).join(',')).toBe('node1:5432,[::1]:6432,node3,[::2]');
    expect(parseHostList(hosts.map(formatHost).join(','))).toEqual(hosts);
  });
});
