/**
 * The failover-aware Sequelize on a multi-host write endpoint, through its real connection seam
 * (Sequelize's pools, pg's Client), against fake servers that speak just enough of PostgreSQL's
 * protocol to be a primary or a standby, answer a write on a standby with 25006, and die.
 */
import net from 'node:net';
import pino from 'pino';
import { QueryTypes } from 'sequelize';
import { afterEach, describe, expect, it } from 'vitest';
import { AWARE_DEFAULTS, type FailoverConfig } from './config.ts';
import { createFailoverSequelize } from './sequelize.ts';

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

const cstring = (s: string) => Buffer.from(`${s}\0`, 'utf8');

function rowDescription(columns: [string, number][]): Buffer {
  const count = Buffer.alloc(2);
  count.writeInt16BE(columns.length);
  const fields = columns.map(([name, oid]) => {
    const rest = Buffer.alloc(18);
    rest.writeInt32BE(oid, 6); // table oid 0, column 0, then the type's oid
    rest.writeInt16BE(-1, 10);
    rest.writeInt32BE(-1, 12);
    return Buffer.concat([cstring(name), rest]);
  });
  return message('T', Buffer.concat([count, ...fields]));
}

function dataRow(values: string[]): Buffer {
  const count = Buffer.alloc(2);
  count.writeInt16BE(values.length);
  const cells = values.map((v) => {
    const len = Buffer.alloc(4);
    len.writeInt32BE(Buffer.byteLength(v));
    return Buffer.concat([len, Buffer.from(v)]);
  });
  return message('D', Buffer.concat([count, ...cells]));
}

const complete = (tag: string) => message('C', cstring(tag));
const ready = () => message('Z', Buffer.from('I'));
const readOnlyError = () =>
  message('E', Buffer.concat([cstring('SERROR'), cstring('VERROR'), cstring('C25006'), cstring('Mcannot execute INSERT in a read-only transaction'), Buffer.from([0])]));

type Role = 'primary' | 'standby';

/** Where a frozen node stops answering: at the role question, or only at the client's goodbye. */
type Freeze = 'role question' | 'goodbye';

/**
 * A node: lets anyone in, answers the role question as its role says, takes INSERTs as a primary.
 * A frozen one lets a session in and stops answering from where it froze; it never closes a
 * socket, as a frozen process does not (its kernel takes the client's goodbye and nothing follows).
 */
async function fakeNode(name: string, role: Role, freeze?: Freeze) {
  const node = { name, role, port: 0, inserts: 0, roleQuestions: 0, open: 0, accepted: 0, leftByClient: 0, sockets: new Set<net.Socket>() };
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    node.sockets.add(socket);
    node.open += 1;
    node.accepted += 1;
    let left = false;
    const clientLeft = () => {
      if (!left) node.leftByClient += 1;
      left = true;
    };
    socket.on('end', () => {
      clientLeft();
      if (!freeze) socket.end();
    });
    socket.on('close', () => {
      clientLeft();
      node.sockets.delete(socket);
      node.open -= 1;
    });
    socket.on('error', () => {});
    let buffer = Buffer.alloc(0);
    let started = false;
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          if (buffer.length < 4 || buffer.length < buffer.readInt32BE(0)) return;
          buffer = buffer.subarray(buffer.readInt32BE(0));
          started = true;
          socket.write(Buffer.concat([message('R', Buffer.alloc(4)), ready()]));
          continue;
        }
        if (buffer.length < 5 || buffer.length < 1 + buffer.readInt32BE(1)) return;
        const type = String.fromCharCode(buffer[0]!);
        const body = buffer.subarray(5, 1 + buffer.readInt32BE(1));
        buffer = buffer.subarray(1 + buffer.readInt32BE(1));
        const sql = body.toString('utf8').replace(/\0$/, '');
        if (freeze && type === 'X') continue;
        if (freeze === 'role question' && /pg_is_in_recovery/.test(sql)) continue;
        if (type === 'X') return void socket.end();
        if (type === 'Q') socket.write(answer(sql));
      }
    });
  });
  const answer = (sql: string): Buffer => {
    const out: Buffer[] = [];
    for (const statement of sql.split(';').map((s) => s.trim()).filter(Boolean)) {
      if (/pg_is_in_recovery/.test(statement)) {
        node.roleQuestions += 1;
        const standby = node.role === 'standby';
        out.push(rowDescription([['in_recovery', 16], ['read_only', 25]]), dataRow([standby ? 't' : 'f', standby ? 'on' : 'off']), complete('SELECT 1'));
      } else if (/^INSERT/i.test(statement)) {
        if (node.role === 'standby') return Buffer.concat([...out, readOnlyError(), ready()]);
        node.inserts += 1;
        out.push(rowDescription([['node', 25]]), dataRow([node.name]), complete('INSERT 0 1'));
      } else if (/^SET/i.test(statement)) {
        out.push(complete('SET'));
      } else {
        out.push(complete('SELECT 0'));
      }
    }
    return Buffer.concat([...out, ready()]);
  };
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  node.port = (server.address() as net.AddressInfo).port;
  return {
    node,
    /** The host dies: its connections drop, and new ones are refused. */
    kill: async () => {
      for (const s of node.sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('the failover-aware Sequelize on a multi-host write endpoint', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c().catch(() => {});
  });

  it('writes on the host that is primary, and after a failover and a switchover on the next one, in order and around, through the same instance', async () => {
    const s1 = await fakeNode('s1', 'standby');
    const p1 = await fakeNode('p1', 'primary');
    const x = await fakeNode('x', 'standby');
    cleanups.push(s1.kill, p1.kill, x.kill);
    const hosts = [{ host: '127.0.0.1', port: s1.node.port }, { host: '127.0.0.1', port: await closedPort() }, { host: '127.0.0.1', port: p1.node.port }, { host: '127.0.0.1', port: x.node.port }];
    const config: FailoverConfig = {
      ...AWARE_DEFAULTS,
      platform: 'repmgr',
      database: 'app',
      user: 'app',
      password: 'x',
      write: hosts[0]!,
      writeHosts: hosts,
      targetSessionAttrs: 'read-write',
      reads: [],
      connectTimeoutMs: 1000,
      failoverWindowMs: 5000,
    };
    const m = createFailoverSequelize(config, { logger: pino({ level: 'silent' }) });
    cleanups.push(() => m.close());
    const write = async () => {
      const rows = await m.unitOfWork('insert', () => m.sequelize.query<{ node: string }>('INSERT INTO t VALUES (1) RETURNING node', { type: QueryTypes.SELECT }), { idempotent: true });
      return rows[0]?.node;
    };

    // s1 is asked and left (its connection closed), the closed port refuses, p1 takes the write.
    expect(await write()).toBe('p1');
    expect([s1.node.roleQuestions, s1.node.inserts, p1.node.inserts]).toEqual([1, 0, 1]);
    // The next write goes straight to p1 on its pooled connection.
    expect(await write()).toBe('p1');
    expect(s1.node.roleQuestions).toBe(1);

    // A failover: p1 dies, x is promoted.
    await p1.kill();
    x.node.role = 'primary';
    expect(await write()).toBe('x');

    // A switchover: x is demoted (its pooled connection answers 25006), s1 is promoted; the walk
    // goes from x around to s1.
    x.node.role = 'standby';
    s1.node.role = 'primary';
    expect(await write()).toBe('s1');
    expect(x.node.inserts).toBe(1);

    // Nothing left open where it was not kept: the walks closed every connection they did not keep.
    await m.close();
    await expect.poll(() => [s1.node.open, x.node.open]).toEqual([0, 0]);
  });

  it('passes over hosts that freeze after letting a session in, at the role question or at the goodbye, dropping their connections', async () => {
    const atQuestion = await fakeNode('f1', 'primary', 'role question');
    const atGoodbye = await fakeNode('f2', 'standby', 'goodbye');
    const primary = await fakeNode('p', 'primary');
    cleanups.push(atQuestion.kill, atGoodbye.kill, primary.kill);
    const hosts = [atQuestion, atGoodbye, primary].map((f) => ({ host: '127.0.0.1', port: f.node.port }));
    const m = createFailoverSequelize(
      { ...AWARE_DEFAULTS, platform: 'repmgr', database: 'app', user: 'app', password: 'x', write: hosts[0]!, writeHosts: hosts, reads: [], queryTimeoutMs: 300, failoverWindowMs: 5000 },
      { logger: pino({ level: 'silent' }) },
    );
    cleanups.push(() => m.close());
    const rows = await m.unitOfWork('insert', () => m.sequelize.query<{ node: string }>('INSERT INTO t VALUES (1) RETURNING node', { type: QueryTypes.SELECT }), { idempotent: true });
    expect(rows[0]?.node).toBe('p');
    // The first did not answer within the query timeout; the second answered as a standby and then
    // never finished the goodbye. The layer left both anyway.
    expect(atGoodbye.node.roleQuestions).toBe(1);
    for (const f of [atQuestion, atGoodbye]) expect([f.node.accepted, f.node.leftByClient]).toEqual([1, 1]);
  });

  it('any: the first host that lets a session in, asked nothing', async () => {
    const standby = await fakeNode('s', 'standby');
    const primary = await fakeNode('p', 'primary');
    cleanups.push(standby.kill, primary.kill);
    const hosts = [{ host: '127.0.0.1', port: await closedPort() }, { host: '127.0.0.1', port: standby.node.port }, { host: '127.0.0.1', port: primary.node.port }];
    const m = createFailoverSequelize(
      { ...AWARE_DEFAULTS, platform: 'repmgr', database: 'app', user: 'app', password: 'x', write: hosts[0]!, writeHosts: hosts, targetSessionAttrs: 'any', reads: [] },
      { logger: pino({ level: 'silent' }) },
    );
    cleanups.push(() => m.close());
    await m.sequelize.query('SELECT 1');
    expect([standby.node.open, standby.node.roleQuestions, primary.node.open]).toEqual([1, 0, 0]);
  });
});
