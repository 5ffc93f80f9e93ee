import { describe, expect, it } from 'vitest';
import { dbPortOf, urlHost } from './attach.ts';

describe("a node's URL", () => {
  it('names its host (a name, an address, an IPv6 address in brackets)', () => {
    expect(urlHost('postgres://flipdrill:pw@pg1:5432/app')).toBe('pg1');
    expect(urlHost('postgresql://10.0.0.11/app')).toBe('10.0.0.11');
    expect(urlHost('postgres://u@[fd00::11]:6432/app')).toBe('fd00::11');
  });

  it("gives the database's port where the node runs: the URL's, but PostgreSQL's default through this host's loopback (a published port)", () => {
    expect(dbPortOf('postgres://flipdrill@10.0.0.11:6432/app')).toBe(6432);
    expect(dbPortOf('postgres://flipdrill@pg1/app')).toBe(5432);
    expect(dbPortOf('postgres://flipdrill@127.0.0.1:25432/app')).toBe(5432);
    expect(dbPortOf('postgres://flipdrill@localhost:25432/app')).toBe(5432);
    expect(dbPortOf('postgres://u@[fd00::11]:6432/app')).toBe(6432);
  });
});
