/**
 * What keeping a session's reads costs: workers, each a session, write a row and read their own
 * rows back through the app's aware data layer (createDatabase), with the session guarantee by
 * WAL position (DB_SESSION_CONSISTENCY=position) or without it (off), against the same cluster.
 * Each read says which node answered it; a read of the session's own write that missed it is a
 * stale read, with how long after the write's acknowledgement it came (each replica's staleness).
 * `npm run bench -- --suites sessions` runs both in turns.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { loadConfig } from './config.ts';
import { createDatabase } from './db.ts';

export interface SessionsConnection {
  user: string;
  password: string;
  database: string;
  /** host:port of the primary, and of each replica. */
  write: string;
  reads: string[];
}

export interface SessionLoopResult {
  mode: 'position' | 'off';
  seconds: number;
  writes: number;
  reads: number;
  errors: number;
  readsPerSecond: number;
  readLatenciesMs: number[];
  /** Reads answered by each node. */
  servedBy: Record<string, number>;
  /** Reads of the session's own acknowledged write that did not find it, per node, with how long after the acknowledgement each came. */
  missedOwn: Record<string, number[]>;
}

/** `concurrency` sessions, each writing a row then reading back its own last rows, until `durationMs` has passed. */
export async function sessionLoop(conn: SessionsConnection, mode: SessionLoopResult['mode'], durationMs: number, concurrency: number, readsPerWrite = 3): Promise<SessionLoopResult> {
  const config = loadConfig({
    DB_PASSWORD: conn.password,
    DB_USER: conn.user,
    DB_NAME: conn.database,
    DB_WRITE_HOST: conn.write,
    DB_READ_HOSTS: conn.reads.join(','),
    DB_POOL_MAX: String(concurrency * 2),
    DB_SESSION_CONSISTENCY: mode,
  });
  const db = createDatabase(config, pino({ level: 'silent' }));
  const readLatenciesMs: number[] = [];
  const servedBy: Record<string, number> = {};
  const missedOwn: Record<string, number[]> = {};
  let writes = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async (w: number) => {
    const session = `bench-session-${w}-${randomUUID()}`;
    const own: { id: string; ackedAt: number }[] = [];
    while (performance.now() < deadline) {
      try {
        const id = randomUUID();
        await db.countries.create({ id, name: `bench/${session}`, is_eu_member: false }, session);
        own.push({ id, ackedAt: performance.now() });
        if (own.length > 10) own.shift();
        writes += 1;
        // The write just made, then earlier ones.
        for (let r = 0; r < readsPerWrite && performance.now() < deadline; r++) {
          const target = r === 0 ? own.at(-1)! : own[Math.floor(Math.random() * own.length)]!;
          const t0 = performance.now();
          const { row, servedBy: by } = await db.countries.findServed(target.id, session);
          readLatenciesMs.push(performance.now() - t0);
          const node = by?.node ?? '?';
          servedBy[node] = (servedBy[node] ?? 0) + 1;
          if (!row) (missedOwn[node] ??= []).push(t0 - target.ackedAt);
        }
      } catch {
        errors += 1;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  } finally {
    await db.close();
  }
  const seconds = (performance.now() - started) / 1000;
  return { mode, seconds, writes, reads: readLatenciesMs.length, errors, readsPerSecond: readLatenciesMs.length / seconds, readLatenciesMs, servedBy, missedOwn };
}
