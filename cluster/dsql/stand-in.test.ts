/**
 * The DSQL stand-in as its own process, in front of a small fake PostgreSQL on 127.0.0.1: a frame
 * it refuses closes that connection with a protocol-violation error, and the process goes on
 * serving (it used to spin on a message of length -1, and on a startup packet whose last value had
 * no end, and to wait for 2 GiB of a startup packet that said it had them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cstring, errorFields, frame, PROTOCOL_3, SSL_REQUEST, startupMessage } from './wire.ts';

const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

/**
 * Just enough of PostgreSQL for the stand-in: any login is taken (AuthenticationOk,
 * ReadyForQuery), any simple query answered with CommandComplete and ReadyForQuery. What the
 * stand-in sends it is well formed; this reads it without checks.
 */
function fakePostgres(): net.Server {
  return net.createServer((socket) => {
    let buffer = Buffer.alloc(0);
    let startup = true;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const typed = startup ? 0 : 1;
        if (buffer.length < typed + 4) return;
        const total = typed + buffer.readInt32BE(typed);
        if (buffer.length < total) return;
        const type = startup ? '' : String.fromCharCode(buffer[0]!);
        buffer = buffer.subarray(total);
        if (startup) {
          startup = false;
          socket.write(Buffer.concat([frame('R', int32(0)), frame('Z', Buffer.from('I'))]));
        } else if (type === 'Q') socket.write(Buffer.concat([frame('C', cstring('SELECT 1')), frame('Z', Buffer.from('I'))]));
        else if (type === 'X') return void socket.end();
      }
    });
  });
}

/** A client connection that keeps what it is sent, and can wait for it (or the close) with a deadline. */
async function connect(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let received = Buffer.alloc(0);
  let closed = false;
  const changed: (() => void)[] = [];
  const wake = () => changed.splice(0).forEach((f) => f());
  socket.on('data', (c: Buffer) => {
    received = Buffer.concat([received, c]);
    wake();
  });
  socket.on('close', () => {
    closed = true;
    wake();
  });
  socket.on('error', () => {});
  const until = async (what: string, holds: () => boolean, timeoutMs = 3000) => {
    const deadline = Date.now() + timeoutMs;
    while (!holds()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(received.toString('latin1'))}, closed: ${closed}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        changed.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  return {
    socket,
    received: () => received,
    closed: () => closed,
    until,
    /** The fields of the first ErrorResponse received, once the connection is closed. */
    async refusal(): Promise<Record<string, string>> {
      await until('an error and the close', () => closed);
      const at = received.indexOf('E');
      expect(at, `no ErrorResponse in ${JSON.stringify(received.toString('latin1'))}`).toBeGreaterThanOrEqual(0);
      return errorFields(received.subarray(at + 5, at + 1 + received.readInt32BE(at + 1)));
    },
  };
}

let upstream: net.Server;
let child: ChildProcess | undefined;
let port = 0;

beforeAll(async () => {
  upstream = fakePostgres();
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamPort = (upstream.address() as net.AddressInfo).port;
  const standIn = path.join(import.meta.dirname, 'stand-in.ts');
  const script = `
    import { startDsqlStandIn } from ${JSON.stringify(standIn)};
    const s = await startDsqlStandIn({ upstream: { host: '127.0.0.1', port: ${upstreamPort}, database: 'flipdrill', user: 'owner', password: 'not-a-secret' } });
    process.stdout.write('listening ' + s.port + '\\n');
  `;
  child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
  const proc = child;
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the stand-in did not start within 15 s: ${stderr}`)), 15_000);
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.on('exit', (code) => reject(new Error(`the stand-in exited (${code}): ${stderr}`)));
  });
}, 30_000);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

/** The process is up and not spinning: a new connection's SSLRequest is answered 'N' at once. */
async function stillServing(): Promise<void> {
  const c = await connect(port);
  c.socket.write(Buffer.concat([int32(8), int32(SSL_REQUEST)]));
  await c.until("'N' to an SSLRequest", () => c.received().toString('latin1') === 'N', 2000);
  c.socket.destroy();
  expect(child!.exitCode).toBeNull();
}

/** A session logged in through the stand-in (the fake server behind it takes anyone). */
async function loggedIn() {
  const c = await connect(port);
  c.socket.write(startupMessage({ user: 'admin', database: 'postgres' }));
  await c.until('the password request', () => c.received().length >= 9);
  c.socket.write(frame('p', cstring('a-token')));
  await c.until('ReadyForQuery', () => c.received().includes(frame('Z', Buffer.from('I'))));
  return c;
}

describe('the DSQL stand-in refuses a frame it cannot take, and serves on', { timeout: 15_000 }, () => {
  it('a session whose messages are well formed works through it', async () => {
    const c = await loggedIn();
    c.socket.write(frame('Q', cstring('SELECT 1')));
    await c.until('CommandComplete', () => c.received().includes(frame('C', cstring('SELECT 1'))));
    c.socket.destroy();
  });

  it('a startup packet that says it has 2^31-1 bytes: refused at once, not waited for', async () => {
    const c = await connect(port);
    c.socket.write(Buffer.concat([int32(2 ** 31 - 1), int32(PROTOCOL_3), Buffer.from('user\0')]));
    expect(await c.refusal()).toMatchObject({ S: 'FATAL', C: '08P01', M: 'invalid length of startup packet' });
    await stillServing();
  });

  it('a startup packet whose last value has no end: refused', async () => {
    const c = await connect(port);
    const body = Buffer.concat([int32(PROTOCOL_3), Buffer.from('user\0bob')]);
    c.socket.write(Buffer.concat([int32(body.length + 4), body]));
    expect(await c.refusal()).toMatchObject({ S: 'FATAL', C: '08P01' });
    await stillServing();
  });

  it('a message of length -1 after login: refused, that connection closed, the process still serving', async () => {
    const c = await loggedIn();
    c.socket.write(Buffer.concat([Buffer.from('Q'), int32(-1), Buffer.from('SELECT 1\0')]));
    expect(await c.refusal()).toMatchObject({ S: 'FATAL', C: '08P01', M: 'invalid message length' });
    await stillServing();
    // And a session after it works.
    const next = await loggedIn();
    next.socket.write(frame('Q', cstring('SELECT 1')));
    await next.until('CommandComplete', () => next.received().includes(frame('C', cstring('SELECT 1'))));
    next.socket.destroy();
  });

  it('a password message of length 2: refused', async () => {
    const c = await connect(port);
    c.socket.write(startupMessage({ user: 'admin', database: 'postgres' }));
    await c.until('the password request', () => c.received().length >= 9);
    c.socket.write(Buffer.concat([Buffer.from('p'), int32(2)]));
    expect(await c.refusal()).toMatchObject({ C: '08P01', M: 'invalid message length' });
    await stillServing();
  });
});
