/**
 * The few pieces of PostgreSQL's wire protocol (version 3) the DSQL stand-in needs: framing,
 * reading a message's strings, writing the server's answers, and SCRAM-SHA-256 as a client
 * (the stand-in logs in to the real server with the password it holds).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;
export const PROTOCOL_3 = 196608;

/** One message: its type byte ('' for the untyped startup-phase messages) and its payload. */
export interface Message {
  type: string;
  body: Buffer;
}

/**
 * Bytes that break the protocol (a length out of range, a string without its end, a message too
 * short for what it must hold): that connection gets a FATAL 08P01 (protocol_violation) and is
 * closed; nothing else is touched.
 */
export class FrameError extends Error {
  override readonly name = 'FrameError';
  readonly code = '08P01';
}

/** The most a startup packet may hold after its length word: PostgreSQL's MAX_STARTUP_PACKET_LENGTH. */
export const MAX_STARTUP_LENGTH = 10_000;
/**
 * The longest message the stand-in takes from a client: 64 MiB. It holds a whole message before
 * passing it on, so this bounds what one session can make it hold; it is far over any statement
 * or row a drill's app sends (DSQL itself takes far less), and under PostgreSQL's own 1 GiB.
 */
export const MAX_MESSAGE_LENGTH = 64 * 1024 * 1024;
/** PostgreSQL's largest message (MaxAllocSize - 1): the limit for what the server behind sends. */
export const MAX_SERVER_MESSAGE_LENGTH = 0x3fffffff;

/**
 * Cuts a byte stream into messages. `startup`: the next message has no type byte (the client's
 * first messages); switch it off once the startup message has been read.
 *
 * Length words are checked before anything is buffered for them: a typed message's length must be
 * at least 4 (itself) and at most `maxLength`; a startup packet's at least 8 and at most
 * MAX_STARTUP_LENGTH + 4. A refused stream stays refused: `next()` throws its FrameError again and
 * `push()` keeps nothing more. Chunks are kept as they came and joined once per message.
 */
export class Framer {
  /** Chunks as they came; those before #head are taken. */
  #chunks: Buffer[] = [];
  #head = 0;
  #buffered = 0;
  #refused: FrameError | undefined;
  readonly #maxLength: number;
  startup: boolean;

  constructor(startup = false, options: { maxLength?: number } = {}) {
    this.startup = startup;
    this.#maxLength = options.maxLength ?? MAX_MESSAGE_LENGTH;
  }

  /** Bytes held, not yet handed out as messages. */
  get buffered(): number {
    return this.#buffered;
  }

  push(chunk: Buffer): void {
    if (this.#refused || chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** The next whole message; undefined until one is there; throws FrameError for one it refuses. */
  next(): Message | undefined {
    if (this.#refused) throw this.#refused;
    const header = this.startup ? 4 : 5;
    if (this.#buffered < header) return undefined;
    const length = this.#peek(header).readInt32BE(header - 4);
    const [min, max] = this.startup ? [8, MAX_STARTUP_LENGTH + 4] : [4, this.#maxLength];
    if (length < min || length > max) {
      this.#refused = new FrameError(this.startup ? 'invalid length of startup packet' : 'invalid message length');
      this.#chunks = [];
      this.#head = 0;
      this.#buffered = 0;
      throw this.#refused;
    }
    const total = header - 4 + length;
    if (this.#buffered < total) return undefined;
    const bytes = this.#take(total);
    return { type: this.startup ? '' : String.fromCharCode(bytes[0]!), body: bytes.subarray(header) };
  }

  /** The first `n` bytes held (n ≤ 5: the header), without taking them. */
  #peek(n: number): Buffer {
    const first = this.#chunks[this.#head]!;
    if (first.length >= n) return first;
    const out = Buffer.alloc(n);
    for (let i = this.#head, at = 0; at < n; i++) at += this.#chunks[i]!.copy(out, at, 0, n - at);
    return out;
  }

  /** Takes the first `n` bytes held: a view when one chunk has them, else one copy. */
  #take(n: number): Buffer {
    this.#buffered -= n;
    const first = this.#chunks[this.#head]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#head += 1;
      else this.#chunks[this.#head] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      for (let at = 0; at < n; ) {
        const chunk = this.#chunks[this.#head]!;
        const copied = chunk.copy(out, at, 0, n - at);
        at += copied;
        if (copied === chunk.length) this.#head += 1;
        else this.#chunks[this.#head] = chunk.subarray(copied);
      }
    }
    // Chunks taken are dropped in one go, not one shift each.
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
    return out;
  }
}

/** A message's bytes: type, length, body. */
export function frame(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

export const cstring = (s: string) => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};

/** Reads NUL-terminated strings and integers from a message body, in order; throws FrameError past its end. */
export class Reader {
  #at = 0;
  constructor(private readonly body: Buffer) {}
  string(): string {
    const end = this.body.indexOf(0, this.#at);
    if (end === -1) throw new FrameError('a string in a message has no end');
    const s = this.body.toString('utf8', this.#at, end);
    this.#at = end + 1;
    return s;
  }
  int32(): number {
    this.#need(4);
    const n = this.body.readInt32BE(this.#at);
    this.#at += 4;
    return n;
  }
  int16(): number {
    this.#need(2);
    const n = this.body.readInt16BE(this.#at);
    this.#at += 2;
    return n;
  }
  rest(): Buffer {
    return this.body.subarray(this.#at);
  }
  #need(n: number): void {
    if (this.#at + n > this.body.length) throw new FrameError('a message is too short for what it must hold');
  }
}

/** The startup message's parameters (user, database, application_name, settings); throws FrameError for a malformed one. */
export function startupParameters(body: Buffer): Record<string, string> {
  const r = new Reader(body.subarray(4));
  const params: Record<string, string> = {};
  for (let key = r.string(); key; key = r.string()) params[key] = r.string();
  return params;
}

export function startupMessage(params: Record<string, string>): Buffer {
  const body = Buffer.concat([int32(PROTOCOL_3), ...Object.entries(params).flatMap(([k, v]) => [cstring(k), cstring(v)]), Buffer.from([0])]);
  return Buffer.concat([int32(body.length + 4), body]);
}

export const authenticationCleartextPassword = () => frame('R', int32(3));
export const authenticationOk = () => frame('R', int32(0));

/** An ErrorResponse as the server sends it. */
export function errorResponse(severity: 'ERROR' | 'FATAL', code: string, message: string): Buffer {
  const field = (t: string, v: string) => Buffer.concat([Buffer.from(t, 'latin1'), cstring(v)]);
  return frame('E', Buffer.concat([field('S', severity), field('V', severity), field('C', code), field('M', message), Buffer.from([0])]));
}

/** An ErrorResponse's fields by their type letter (C: SQLSTATE, M: message, S: severity...). */
export function errorFields(body: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const type = String.fromCharCode(body[at]!);
    const end = body.indexOf(0, at + 1);
    fields[type] = body.toString('utf8', at + 1, end);
    at = end + 1;
  }
  return fields;
}

/** The same ErrorResponse with some fields replaced (the others, such as the severity, kept). */
export function withErrorFields(body: Buffer, replace: Record<string, string>): Buffer {
  const fields = { ...errorFields(body), ...replace };
  return frame('E', Buffer.concat([...Object.entries(fields).map(([t, v]) => Buffer.concat([Buffer.from(t, 'latin1'), cstring(v)])), Buffer.from([0])]));
}

/** A simple Query message. */
export const query = (sql: string) => frame('Q', cstring(sql));

/** A Parse message: statement name, query, declared parameter types. */
export function parseMessage(name: string, sql: string, types: number[]): Buffer {
  return frame('P', Buffer.concat([cstring(name), cstring(sql), int16(types.length), ...types.map(int32)]));
}

export function readParse(body: Buffer): { name: string; sql: string; types: number[] } {
  const r = new Reader(body);
  const name = r.string();
  const sql = r.string();
  const n = r.int16();
  const types = Array.from({ length: n }, () => r.int32());
  return { name, sql, types };
}

/** SCRAM-SHA-256 (RFC 5802/7677), the client's side, without channel binding. */
export class ScramClient {
  readonly #nonce = randomBytes(18).toString('base64');
  #firstBare = '';
  #serverSignature = '';

  /** The SASLInitialResponse message. */
  first(): Buffer {
    this.#firstBare = `n=,r=${this.#nonce}`;
    const data = Buffer.from(`n,,${this.#firstBare}`, 'utf8');
    return frame('p', Buffer.concat([cstring('SCRAM-SHA-256'), int32(data.length), data]));
  }

  /** The SASLResponse to the server's first message. */
  final(serverFirst: string, password: string): Buffer {
    const attrs = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
    const nonce = attrs.r!;
    if (!nonce.startsWith(this.#nonce)) throw new Error('SCRAM: the server nonce does not extend ours');
    const salted = pbkdf2Sync(password.normalize('NFKC'), Buffer.from(attrs.s!, 'base64'), Number(attrs.i), 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const storedKey = createHash('sha256').update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.#firstBare},${serverFirst},${withoutProof}`;
    const signature = createHmac('sha256', storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    const serverKey = createHmac('sha256', salted).update('Server Key').digest();
    this.#serverSignature = createHmac('sha256', serverKey).update(authMessage).digest('base64');
    return frame('p', Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8'));
  }

  /** Does the server's final message prove it knew the password too? */
  verify(serverFinal: string): boolean {
    return serverFinal.split(',').some((kv) => kv === `v=${this.#serverSignature}`);
  }
}

/** md5 password authentication's answer. */
export function md5Password(user: string, password: string, salt: Buffer): Buffer {
  const inner = createHash('md5').update(password + user).digest('hex');
  const outer = createHash('md5').update(Buffer.concat([Buffer.from(inner), salt])).digest('hex');
  return frame('p', cstring(`md5${outer}`));
}
