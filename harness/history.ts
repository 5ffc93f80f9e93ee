/**
 * The history is written as it happens, one JSON object per line, so a drill that dies halfway
 * still leaves everything it saw. Reading it back validates every line.
 */
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { ClusterEvent, Op } from './op.ts';

export class JsonLinesFileError extends Error {
  override name = 'JsonLinesFileError';
}

/**
 * A run folder's history.jsonl or events.jsonl, appended to as the drill goes. The file is made
 * new (O_CREAT|O_EXCL: a run folder is new, and so are its files) and never through a link
 * (O_NOFOLLOW; with O_EXCL a link there, even one leading nowhere, is refused), as every file of
 * a run folder is written (cluster/lib/safe-write.ts).
 */
export class JsonLinesWriter<T> {
  readonly #fd: number;
  #closed = false;

  constructor(readonly file: string) {
    try {
      this.#fd = openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'EEXIST' || code === 'ELOOP' ? 'something is already there (a file or a link); a run folder\'s files are new' : (code ?? (error as Error).message);
      throw new JsonLinesFileError(`cannot write ${path.basename(file)} in ${path.dirname(file)}: ${why}`, { cause: error });
    }
  }

  append(entry: T): void {
    if (this.#closed) return;
    writeSync(this.#fd, `${JSON.stringify(entry)}\n`);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }
}

/** Monotonic clock: nanoseconds since `start()`, as a number (exact to 2^53 ns, about 104 days). */
export class DrillClock {
  readonly #origin = process.hrtime.bigint();
  readonly wallOrigin = Date.now();

  nowNs(): number {
    return Number(process.hrtime.bigint() - this.#origin);
  }

  /** Wall-clock milliseconds for a monotonic time (for lining up with the database's clock). */
  wallOf(ns: number): number {
    return this.wallOrigin + ns / 1e6;
  }

  /** Monotonic nanoseconds for a wall-clock time. */
  nsOf(wallMs: number): number {
    return Math.round((wallMs - this.wallOrigin) * 1e6);
  }
}

export class HistoryFormatError extends Error {
  constructor(readonly line: number, message: string, file = 'history') {
    super(`${file} line ${line}: ${message}`);
    this.name = 'HistoryFormatError';
  }
}

const TYPES = new Set(['invoke', 'ok', 'fail', 'info']);
/** A workload's operation names (which ones a run may hold is the checker's to say). */
const F = /^[a-z][a-z-]{0,31}$/;

/** Parse and validate every line; `lines[i]` is the file line of `ops[i]`, for error messages. */
export function parseHistoryLines(text: string): { ops: Op[]; lines: number[] } {
  const ops: Op[] = [];
  const lines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let op: Partial<Op>;
    try {
      op = JSON.parse(line) as Partial<Op>;
    } catch {
      throw new HistoryFormatError(i + 1, 'not JSON');
    }
    if (typeof op !== 'object' || op === null || Array.isArray(op)) throw new HistoryFormatError(i + 1, 'not an object');
    if (!Number.isInteger(op.process)) throw new HistoryFormatError(i + 1, 'process must be an integer');
    if (!TYPES.has(String(op.type))) throw new HistoryFormatError(i + 1, `type must be invoke, ok, fail or info, not ${JSON.stringify(op.type)}`);
    if (typeof op.f !== 'string' || !F.test(op.f)) throw new HistoryFormatError(i + 1, `f must be an operation name (write, read, transfer...), not ${JSON.stringify(op.f)}`);
    if (typeof op.time !== 'number' || !Number.isFinite(op.time)) throw new HistoryFormatError(i + 1, 'time must be a number');
    if (op.session !== undefined && !(Number.isInteger(op.session) && op.session >= 0)) throw new HistoryFormatError(i + 1, 'session must be a whole number');
    ops.push(op as Op);
    lines.push(i + 1);
  });
  return { ops, lines };
}

export function parseHistory(text: string): Op[] {
  return parseHistoryLines(text).ops;
}

export function readHistory(file: string): Op[] {
  return parseHistory(readFileSync(file, 'utf8'));
}

export function parseEvents(text: string): ClusterEvent[] {
  const events: ClusterEvent[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      throw new HistoryFormatError(i + 1, 'not JSON', 'events.jsonl');
    }
    if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new HistoryFormatError(i + 1, 'not an object', 'events.jsonl');
    const e = event as Record<string, unknown>;
    if (typeof e.type !== 'string') throw new HistoryFormatError(i + 1, 'type must be a string', 'events.jsonl');
    if (e.time !== undefined && (typeof e.time !== 'number' || !Number.isFinite(e.time))) throw new HistoryFormatError(i + 1, 'time must be a number', 'events.jsonl');
    if (typeof e.wall !== 'number' || !Number.isFinite(e.wall)) throw new HistoryFormatError(i + 1, 'wall must be a number', 'events.jsonl');
    events.push(e as ClusterEvent);
  });
  return events;
}

export function readEvents(file: string): ClusterEvent[] {
  return parseEvents(readFileSync(file, 'utf8'));
}
