/**
 * The host choice against an in-memory fake of "connect to host X": each host is a primary, a
 * standby, a read-only primary, refuses connections, or refuses the password, and the fake
 * records what was opened, asked and closed.
 */
import { describe, expect, it } from 'vitest';
import { classify, RoleMismatchError } from './classify.ts';
import { createHostChoice, fits, type SessionRole } from './host-choice.ts';
import type { Endpoint, TargetSessionAttrs } from './settings.ts';

type State = 'primary' | 'standby' | 'read-only primary' | 'refused' | 'bad password' | 'dies when asked';

const ROLES: Record<'primary' | 'standby' | 'read-only primary', SessionRole> = {
  primary: { readOnly: false, inRecovery: false },
  standby: { readOnly: true, inRecovery: true },
  'read-only primary': { readOnly: true, inRecovery: false },
};

interface Connection {
  host: string;
  closed: boolean;
}

function fakeCluster(states: Record<string, State>) {
  const log: string[] = [];
  const open: Connection[] = [];
  const hosts: Endpoint[] = Object.keys(states).map((host) => ({ host, port: 5432 }));
  const connector = {
    async role(c: Connection): Promise<SessionRole> {
      log.push(`ask ${c.host}`);
      const state = states[c.host]!;
      if (state === 'dies when asked') throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
      return ROLES[state as keyof typeof ROLES];
    },
    async close(c: Connection) {
      log.push(`close ${c.host}`);
      c.closed = true;
    },
    stops: (error: unknown) => classify(error).verdict === 'fatal',
  };
  const openHost = async (h: Endpoint): Promise<Connection> => {
    log.push(`open ${h.host}`);
    const state = states[h.host]!;
    if (state === 'refused') throw Object.assign(new Error(`connect ECONNREFUSED ${h.host}:5432`), { name: 'SequelizeConnectionRefusedError', parent: { code: 'ECONNREFUSED' } });
    if (state === 'bad password') throw Object.assign(new Error('password authentication failed'), { name: 'SequelizeConnectionError', parent: { code: '28P01' } });
    const c = { host: h.host, closed: false };
    open.push(c);
    return c;
  };
  const choice = (target: TargetSessionAttrs) => createHostChoice(hosts, target, connector);
  /** Connections opened and not closed, by host. */
  const leaked = (kept: Connection[]) => open.filter((c) => !c.closed && !kept.includes(c)).map((c) => c.host);
  return { states, log, choice, open: openHost, leaked };
}

describe('which host a new connection goes to', () => {
  it('read-write: tries the hosts in order, closes the standby it met, keeps the primary', async () => {
    const fake = fakeCluster({ node2: 'standby', node1: 'primary' });
    const { connection, host } = await fake.choice('read-write').connect(fake.open);
    expect(host.host).toBe('node1');
    expect(fake.log).toEqual(['open node2', 'ask node2', 'close node2', 'open node1', 'ask node1']);
    expect(fake.leaked([connection])).toEqual([]);
  });

  it('keeps to the host that fitted: the next connection starts there and asks no other', async () => {
    const fake = fakeCluster({ node2: 'standby', node1: 'primary' });
    const choice = fake.choice('read-write');
    await choice.connect(fake.open);
    fake.log.length = 0;
    await choice.connect(fake.open);
    expect(fake.log).toEqual(['open node1', 'ask node1']);
    expect(choice.current.host).toBe('node1');
  });

  it('moves on when that host stops being writable, in order and around: a failover', async () => {
    const fake = fakeCluster({ node1: 'standby', node2: 'primary', node3: 'standby' });
    const choice = fake.choice('read-write');
    expect((await choice.connect(fake.open)).host.host).toBe('node2');
    // node2 dies; node1 is promoted. The walk starts at node2, goes on to node3, and around to node1.
    Object.assign(fake.states, { node2: 'refused', node1: 'primary' });
    fake.log.length = 0;
    expect((await choice.connect(fake.open)).host.host).toBe('node1');
    expect(fake.log).toEqual(['open node2', 'open node3', 'ask node3', 'close node3', 'open node1', 'ask node1']);
    // node2 comes back as a standby: node1 stays the one.
    fake.states.node2 = 'standby';
    fake.log.length = 0;
    expect((await choice.connect(fake.open)).host.host).toBe('node1');
    expect(fake.log).toEqual(['open node1', 'ask node1']);
    // A switchover makes node3 primary and node1 a standby.
    Object.assign(fake.states, { node1: 'standby', node3: 'primary' });
    fake.log.length = 0;
    expect((await choice.connect(fake.open)).host.host).toBe('node3');
    expect(fake.log).toEqual(['open node1', 'ask node1', 'close node1', 'open node2', 'ask node2', 'close node2', 'open node3', 'ask node3']);
  });

  it('a read-only primary is not writable (libpq\'s read-write), but is a primary', async () => {
    const fake = fakeCluster({ node1: 'read-only primary', node2: 'primary' });
    expect((await fake.choice('read-write').connect(fake.open)).host.host).toBe('node2');
    expect((await fake.choice('primary').connect(fake.open)).host.host).toBe('node1');
  });

  it('while no host fits, fails as a role mismatch (retried, a failover signal) naming what each host was, and keeps its place', async () => {
    const fake = fakeCluster({ node1: 'refused', node2: 'standby' });
    const choice = fake.choice('read-write');
    const error = await choice.connect(fake.open).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RoleMismatchError);
    expect((error as Error).message).toBe('no host fits target_session_attrs=read-write: node1:5432 ECONNREFUSED, node2:5432 is a standby');
    expect(classify(error)).toMatchObject({ verdict: 'retry', failoverSignal: true, code: 'ROLE_MISMATCH' });
    expect(choice.current.host).toBe('node1');
    expect(fake.leaked([])).toEqual([]);
    // The standby is promoted: the next walk, from node1 again, finds it.
    fake.states.node2 = 'primary';
    expect((await choice.connect(fake.open)).host.host).toBe('node2');
  });

  it('with one host, says so as the single-host check always has', async () => {
    const fake = fakeCluster({ pg: 'standby' });
    await expect(fake.choice('read-write').connect(fake.open)).rejects.toThrow(/^the write endpoint pg:5432 leads to a read-only node$/);
  });

  it('when every host refuses the connection, fails with the last refusal, as a connection error', async () => {
    const fake = fakeCluster({ node1: 'refused', node2: 'refused' });
    const error = await fake.choice('read-write').connect(fake.open).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SequelizeConnectionRefusedError', message: 'connect ECONNREFUSED node2:5432' });
    expect(classify(error)).toMatchObject({ verdict: 'retry', code: 'ECONNREFUSED' });
  });

  it('a host whose connection dies while asked is passed over, its connection closed', async () => {
    const fake = fakeCluster({ node1: 'dies when asked', node2: 'primary' });
    const { connection, host } = await fake.choice('read-write').connect(fake.open);
    expect(host.host).toBe('node2');
    expect(fake.leaked([connection])).toEqual([]);
  });

  it('stops at a host that refuses the password, as libpq stops after a failed authentication', async () => {
    const fake = fakeCluster({ node1: 'standby', node2: 'bad password', node3: 'primary' });
    const error = await fake.choice('read-write').connect(fake.open).catch((e: unknown) => e);
    expect(classify(error)).toMatchObject({ verdict: 'fatal', code: '28P01' });
    expect(fake.log).not.toContain('open node3');
    expect(fake.leaked([])).toEqual([]);
  });

  it('any: the first host that lets a session in, asking nothing', async () => {
    const fake = fakeCluster({ node1: 'refused', node2: 'standby', node3: 'primary' });
    expect((await fake.choice('any').connect(fake.open)).host.host).toBe('node2');
    expect(fake.log).toEqual(['open node1', 'open node2']);
  });

  it('standby and read-only: the first standby, the first read-only session', async () => {
    const fake = fakeCluster({ node1: 'primary', node2: 'read-only primary', node3: 'standby' });
    expect((await fake.choice('standby').connect(fake.open)).host.host).toBe('node3');
    expect((await fake.choice('read-only').connect(fake.open)).host.host).toBe('node2');
  });

  it('prefer-standby: a standby when there is one; else the first host that answered, without connecting again', async () => {
    const fake = fakeCluster({ node1: 'refused', node2: 'primary', node3: 'standby' });
    const first = await fake.choice('prefer-standby').connect(fake.open);
    expect(first.host.host).toBe('node3');
    // The primary met on the way was kept in case, and closed once the standby fitted.
    expect(fake.leaked([first.connection])).toEqual([]);
    fake.states.node3 = 'refused';
    fake.log.length = 0;
    const second = await fake.choice('prefer-standby').connect(fake.open);
    expect(second.host.host).toBe('node2');
    expect(fake.log.filter((l) => l === 'open node2')).toHaveLength(1);
    expect(fake.leaked([first.connection, second.connection])).toEqual([]);
  });

  it('what fits each target', () => {
    const table = (Object.keys(ROLES) as (keyof typeof ROLES)[]).map((state) => [
      state,
      (['any', 'read-write', 'read-only', 'primary', 'standby'] as const).filter((t) => fits(t, ROLES[state])),
    ]);
    expect(table).toEqual([
      ['primary', ['any', 'read-write', 'primary']],
      ['standby', ['any', 'read-only', 'standby']],
      ['read-only primary', ['any', 'read-only', 'primary']],
    ]);
  });
});
