/**
 * The stand-in's framing as a pure function: length fields checked (under 4 refused, a startup
 * packet over PostgreSQL's 10,000 bytes refused, other messages over 64 MiB refused), chunks
 * collected and joined once per message, and strings that do not end refused; then a seeded fuzz
 * of the framer and the parsers of what a client sends.
 */
import { describe, expect, it } from 'vitest';
import { cstring, frame, Framer, parseMessage, PROTOCOL_3, readParse, Reader, SSL_REQUEST, startupMessage, startupParameters } from './wire.ts';
import { seededRandom } from '../lib/seeded-random.ts';

const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
/** A typed message's header with any length, true or not. */
const header = (type: string, length: number) => Buffer.concat([Buffer.from(type, 'latin1'), int32(length)]);

describe('the framer', () => {
  it.each([-1, 0, 3, -2147483648])('refuses a typed message whose length is %i, and does not hand out the same message again and again', (length) => {
    const framer = new Framer();
    framer.push(Buffer.concat([header('Q', length), Buffer.from('SELECT 1\0')]));
    const handed: unknown[] = [];
    expect(() => {
      for (let i = 0; i < 3; i++) handed.push(framer.next());
    }).toThrow(/invalid message length/);
    expect(handed).toEqual([]);
    // Refused for good: what comes after is not read as a new start.
    framer.push(frame('Q', cstring('SELECT 2')));
    expect(() => framer.next()).toThrow(/invalid message length/);
  });

  it.each([2 ** 31 - 1, 10_005, 7, 4, 0, -1])('refuses a startup packet whose length is %i from its length alone', (length) => {
    const framer = new Framer(true);
    framer.push(int32(length));
    expect(() => framer.next()).toThrow(/invalid length of startup packet/);
  });

  it("takes a startup packet of PostgreSQL's largest size, 10,000 bytes after the length", () => {
    const framer = new Framer(true);
    const body = Buffer.concat([int32(PROTOCOL_3), Buffer.alloc(9_996, 0x61)]);
    framer.push(Buffer.concat([int32(10_004), body]));
    expect(framer.next()).toEqual({ type: '', body });
  });

  it('refuses a message over 64 MiB from its header, before any of it is buffered', () => {
    const framer = new Framer();
    framer.push(header('Q', 64 * 1024 * 1024 + 1));
    expect(() => framer.next()).toThrow(/invalid message length/);
    const fits = new Framer();
    fits.push(header('Q', 64 * 1024 * 1024));
    expect(fits.next()).toBeUndefined();
  });

  it('joins a large message that arrives in small chunks once, not on every chunk', () => {
    const body = Buffer.alloc(8 * 1024 * 1024, 0x78);
    const bytes = frame('d', body);
    const framer = new Framer();
    const started = performance.now();
    let message;
    for (let at = 0; at < bytes.length; at += 4096) {
      framer.push(bytes.subarray(at, at + 4096));
      message = framer.next();
    }
    const elapsed = performance.now() - started;
    expect(message?.type).toBe('d');
    expect(message?.body.equals(body)).toBe(true);
    // Concatenated on every chunk, this copies about 8 GB (seconds); joined once, 8 MiB.
    expect(elapsed).toBeLessThan(1000);
  });

  it('cuts messages split anywhere, and several in one chunk, exactly', () => {
    const messages = [frame('Q', cstring('SELECT 1')), frame('P', Buffer.alloc(0)), frame('S', Buffer.alloc(0)), frame('d', Buffer.alloc(70_000, 1))];
    const stream = Buffer.concat(messages);
    for (const step of [1, 2, 3, 5, 4096, stream.length]) {
      const framer = new Framer();
      const out: Buffer[] = [];
      for (let at = 0; at < stream.length; at += step) {
        framer.push(stream.subarray(at, at + step));
        for (let m = framer.next(); m; m = framer.next()) out.push(frame(m.type, m.body));
      }
      expect(Buffer.concat(out).equals(stream)).toBe(true);
      expect(framer.buffered).toBe(0);
    }
  });
});

describe('reading a message', () => {
  it('refuses a string without its NUL, instead of reading from the start again', () => {
    expect(() => new Reader(Buffer.from('abc')).string()).toThrow(/no end/);
    const r = new Reader(Buffer.from('user\0bob'));
    expect(r.string()).toBe('user');
    expect(() => r.string()).toThrow(/no end/);
  });

  it("refuses a startup packet whose last value has no end (it used to read the first key again, for ever)", () => {
    const body = Buffer.concat([int32(PROTOCOL_3), Buffer.from('user\0bob')]);
    expect(() => startupParameters(body)).toThrow(/no end/);
    expect(startupParameters(startupMessage({ user: 'admin', database: 'postgres' }).subarray(4))).toEqual({ user: 'admin', database: 'postgres' });
  });

  it('refuses integers past the end of a message', () => {
    expect(() => new Reader(Buffer.from([0, 1])).int32()).toThrow(/too short/);
    expect(() => readParse(Buffer.concat([cstring(''), cstring('SELECT $1'), Buffer.from([0, 5])]))).toThrow(/too short/);
  });
});

describe('the framing fuzzed', () => {
  it('cuts or refuses 4,000 random and damaged client streams, each within a deadline, never the same message twice', { timeout: 60_000 }, () => {
    const SEED = 31_5;
    const rnd = seededRandom(SEED);
    const int = (n: number) => Math.floor(rnd() * n);
    const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
    const text = () => Array.from({ length: int(12) }, () => pick(['a', 'b', '\0', 'é', ' ', '$1', ';'])).join('');
    const typed = () =>
      pick([
        () => frame('p', cstring(text())),
        () => frame('Q', cstring(text())),
        () => parseMessage(text().replace(/\0/g, ''), text().replace(/\0/g, ''), Array.from({ length: int(3) }, () => int(3000))),
        () => frame(pick(['B', 'E', 'S', 'D', 'C', 'H', 'X', 'd', 'c']), Buffer.from(text(), 'utf8')),
        () => header(pick(['Q', 'P', '\0', '\xff']), pick([-1, 0, 3, 4, 5, 2 ** 31 - 1, 64 * 1024 * 1024 + 1, int(64)])),
      ])();
    const startup = () =>
      pick([
        () => startupMessage({ user: text().replace(/\0/g, '') || 'u', database: text().replace(/\0/g, '') || 'd' }),
        () => Buffer.concat([int32(8), int32(SSL_REQUEST)]),
        () => Buffer.concat([int32(pick([-1, 0, 7, 8, 10_004, 10_005, 2 ** 31 - 1])), int32(PROTOCOL_3), Buffer.from(text())]),
        () => Buffer.concat([int32(8 + 9), int32(PROTOCOL_3), Buffer.from('user\0bob\0')]),
        () => Buffer.concat([int32(8 + 8), int32(PROTOCOL_3), Buffer.from('user\0bob')]),
      ])();
    /** A stream as a client might send it, then damaged: bytes flipped, cut short, or noise. */
    const stream = (): Buffer => {
      const parts = [startup(), ...Array.from({ length: int(6) }, typed)];
      let bytes = Buffer.concat(parts);
      const damage = rnd();
      if (damage < 0.3) {
        bytes = Buffer.from(bytes);
        for (let i = int(4); i >= 0; i--) if (bytes.length) bytes[int(bytes.length)] = int(256);
      } else if (damage < 0.4) bytes = bytes.subarray(0, int(bytes.length + 1));
      else if (damage < 0.5) bytes = Buffer.from(Array.from({ length: int(64) }, () => int(256)));
      return bytes;
    };
    /** What the stand-in does with a client's message: the parsers of client input, each of which must end. */
    const parse = (type: string, body: Buffer) => {
      if (type === '') {
        if (body.readInt32BE(0) === PROTOCOL_3) startupParameters(body);
      } else if (type === 'p' || type === 'Q') new Reader(body).string();
      else if (type === 'P') readParse(body);
    };

    const started = performance.now();
    let cut = 0;
    let refused = 0;
    for (let n = 0; n < 4000; n++) {
      const bytes = stream();
      const framer = new Framer(true);
      const streamStarted = performance.now();
      let calls = 0;
      try {
        for (let at = 0; at < bytes.length; ) {
          const size = 1 + int(pick([3, 16, 300, bytes.length]));
          framer.push(bytes.subarray(at, at + size));
          at += size;
          for (let m = framer.next(); m; m = framer.next()) {
            calls += 1;
            // Every message takes at least its header from the stream: no spin in place.
            expect(calls).toBeLessThanOrEqual(bytes.length / 4 + 1);
            if (framer.startup) {
              const code = m.body.readInt32BE(0);
              if (code !== SSL_REQUEST) framer.startup = false;
            }
            parse(m.type, m.body);
            cut += 1;
          }
        }
      } catch (error) {
        // Refused, as a protocol violation and nothing else (no RangeError, no TypeError).
        expect((error as Error).name, (error as Error).stack).toBe('FrameError');
        refused += 1;
      }
      expect(performance.now() - streamStarted).toBeLessThan(250);
    }
    expect(cut).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(100);
    expect(performance.now() - started).toBeLessThan(30_000);
  });
});
