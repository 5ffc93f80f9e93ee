/**
 * What the app's data layer costs: the same insert into countries (with the row returned, as the
 * app answers it) through the app's own Sequelize layer (createDatabase, the aware profile), and
 * through a raw pg pool, against the same primary, with the same concurrency. `npm run bench`
 * runs them in turns and reports the ratio. Sequelize stays inside app/, as everywhere.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from './config.ts';
import { createDatabase } from './db.ts';

export interface Connection {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface LoopResult {
  layer: 'sequelize' | 'pg';
  ops: number;
  errors: number;
  seconds: number;
  perSecond: number;
  /** Latency of each insert, in milliseconds. */
  latenciesMs: number[];
}

/** `concurrency` workers inserting back to back until `durationMs` has passed. */
async function loop(layer: LoopResult['layer'], insert: (id: string) => Promise<unknown>, durationMs: number, concurrency: number): Promise<LoopResult> {
  const latenciesMs: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async (w: number) => {
    for (let i = 0; performance.now() < deadline; i++) {
      const t0 = performance.now();
      try {
        await insert(`bench-${layer}-${w}-${i}-${randomUUID()}`);
        latenciesMs.push(performance.now() - t0);
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const seconds = (performance.now() - started) / 1000;
  return { layer, ops: latenciesMs.length, errors, seconds, perSecond: latenciesMs.length / seconds, latenciesMs };
}

export async function sequelizeInserts(conn: Connection, durationMs: number, concurrency: number): Promise<LoopResult> {
  const config = loadConfig({
    DB_PASSWORD: conn.password,
    DB_USER: conn.user,
    DB_NAME: conn.database,
    DB_WRITE_HOST: conn.host,
    DB_READ_HOSTS: conn.host,
    DB_PORT: String(conn.port),
    DB_POOL_MAX: String(concurrency),
  });
  const db = createDatabase(config, pino({ level: 'silent' }));
  try {
    return await loop('sequelize', (id) => db.countries.create({ id: randomUUID(), name: id, is_eu_member: false }), durationMs, concurrency);
  } finally {
    await db.close();
  }
}

export async function pgInserts(conn: Connection, durationMs: number, concurrency: number): Promise<LoopResult> {
  const pool = new pg.Pool({ ...conn, max: concurrency });
  pool.on('error', () => {});
  try {
    return await loop('pg', (id) => pool.query('INSERT INTO countries (id, name, is_eu_member) VALUES ($1, $2, $3) RETURNING *', [randomUUID(), id, false]), durationMs, concurrency);
  } finally {
    await pool.end();
  }
}
