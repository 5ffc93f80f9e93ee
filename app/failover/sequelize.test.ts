/**
 * The failover-aware Sequelize with read replication, against a server that lets a connection in
 * and then drops it in the middle of Sequelize's own connection setup: the moment Sequelize's
 * replication pool cannot name the connection's pool and throws from an 'error' listener, which
 * ends the process (sequelize#18232). The server speaks just enough of PostgreSQL's protocol.
 */
import net from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AWARE_DEFAULTS, type FailoverConfig } from './config.ts';
import { createFailoverSequelize, type FailoverSequelize } from './sequelize.ts';

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/** Accepts the startup, says AuthenticationOk and ReadyForQuery, then closes the socket at the first query. */
async function serverThatDropsTheFirstQuery(): Promise<{ port: number; queries: () => number; close: () => Promise<void> }> {
  let queries = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let started = false;
    socket.on('error', () => {});
    socket.on('data', (data) => {
      if (!started) {
        started = true;
        const auth = Buffer.alloc(4); // AuthenticationOk
        socket.write(Buffer.concat([message('R', auth), message('Z', Buffer.from('I'))]));
        return;
      }
      if (data[0] === 'Q'.charCodeAt(0)) {
        queries += 1;
        socket.destroy();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    queries: () => queries,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('the failover-aware Sequelize with read replication', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('survives connections dropped while Sequelize sets them up: the query fails, the process goes on', async () => {
    const write = await serverThatDropsTheFirstQuery();
    const read = await serverThatDropsTheFirstQuery();
    cleanups.push(write.close, read.close);
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    cleanups.push(async () => void process.off('uncaughtException', onUncaught));
    const config: FailoverConfig = {
      ...AWARE_DEFAULTS,
      platform: 'repmgr',
      database: 'app',
      user: 'app',
      password: 'x',
      write: { host: '127.0.0.1', port: write.port },
      reads: [{ host: '127.0.0.1', port: read.port }],
    };
    const m: FailoverSequelize = createFailoverSequelize(config, { logger: pino({ level: 'silent' }) });
    cleanups.push(() => m.close().catch(() => {}));

    await expect(m.sequelize.query('SELECT 1', { useMaster: true })).rejects.toThrow();
    await expect(m.sequelize.query('SELECT 1', { type: 'SELECT' })).rejects.toThrow();
    // Both servers saw Sequelize's setup statement and dropped it; nothing escaped to the process.
    expect([write.queries(), read.queries()]).toEqual([1, 1]);
    await new Promise((r) => setImmediate(r));
    expect(uncaught).toEqual([]);
  });
});
