/**
 * A local stand-in for Aurora DSQL: a small proxy of PostgreSQL's wire protocol in front of a
 * plain PostgreSQL (a flipdrill cluster's endpoint), refusing what DSQL refuses, so that code
 * written for DSQL fails here where it would fail there. It
 *
 *   - logs clients in the way DSQL does, with a password that is a token: any non-empty password
 *     is taken (and kept, so a test can see the token a client sent), `admin` is DSQL's admin
 *     role and every other name a role of its own; it then logs in to PostgreSQL itself with the
 *     credentials it was given (SCRAM-SHA-256, md5 or a plain password);
 *   - refuses, with SQLSTATE 0A000 (42501 for the public schema), the statements in
 *     cluster/dsql/rules.ts: TRUNCATE, sequences (SERIAL, identity, nextval), foreign keys,
 *     PL/pgSQL (DO, functions in any language but SQL), triggers, temporary tables, ENUM types,
 *     SAVEPOINT, CREATE INDEX without ASYNC, SET client_min_messages, FOR UPDATE without an
 *     equality on the whole primary key, more than one DDL statement or DDL with DML in one
 *     transaction, and a role other than admin creating tables in public. The refusal is raised
 *     by the server itself (the statement is replaced by a call that raises it), so a refusal
 *     inside a transaction aborts the transaction, as an error does;
 *   - answers write conflicts as DSQL does, with SQLSTATE 40001 and "(OC000)": sessions run at
 *     REPEATABLE READ (DSQL's snapshot isolation) with a short lock_timeout, and PostgreSQL's
 *     serialization failures, deadlocks and lock timeouts come back as DSQL's conflict.
 *
 * What it does not do: DSQL reports a conflict at COMMIT, to the transaction that commits second;
 * here the second writer of a row learns of it at its own statement, after at most lock_timeout
 * (PostgreSQL locks rows where DSQL does not). Text rules, not a parser: SQL built in ways they do
 * not foresee can slip through. No TLS, no IAM signature check, no connection rate limit, no
 * one-hour session limit, no five-minute transaction limit. A client names its database as with
 * PostgreSQL: each database the stand-in was given plays one DSQL cluster (DSQL has one database,
 * `postgres`, per cluster; that name, or none, is the first database given).
 */
import net from 'node:net';
import pg from 'pg';
import type { Logger } from '../lib/logger.ts';
import { check, kindOf, lockedTable, OC000, searchPathSet, statements, type SessionFacts, type StatementKind } from './rules.ts';
import {
  authenticationCleartextPassword,
  authenticationOk,
  CANCEL_REQUEST,
  cstring,
  errorFields,
  errorResponse,
  frame,
  FrameError,
  Framer,
  GSSENC_REQUEST,
  MAX_MESSAGE_LENGTH,
  MAX_SERVER_MESSAGE_LENGTH,
  md5Password,
  parseMessage,
  query,
  readParse,
  Reader,
  ScramClient,
  SSL_REQUEST,
  startupMessage,
  startupParameters,
  withErrorFields,
  type Message,
} from './wire.ts';

export interface DsqlStandInOptions {
  /** The PostgreSQL behind it, and who the stand-in logs in as there (the database's owner). */
  upstream: { host: string; port: number; database: string; user: string; password: string };
  /** Other databases of the same server a client may name (each one DSQL cluster's), with the same owner. */
  databases?: string[];
  /** Where it listens (default 127.0.0.1, a free port). */
  listen?: { host?: string; port?: number };
  /** How long the second writer of a row waits before it is told of the conflict (default 50 ms). */
  lockTimeoutMs?: number;
  logger?: Logger;
}

export interface DsqlStandInStats {
  /** Statements refused, by rule. */
  refused: Record<string, number>;
  /** Write conflicts answered as OC000. */
  conflicts: number;
  /** Client logins, with the role and the password (token) each gave, oldest first (the last 100). */
  logins: { user: string; password: string }[];
  /** Every client login since the start. */
  sessions: number;
}

export interface DsqlStandIn {
  readonly host: string;
  readonly port: number;
  stats(): DsqlStandInStats;
  stop(): Promise<void>;
}

/** PostgreSQL's answers that mean "another transaction wrote this row": DSQL's OC000. */
const CONFLICTS = new Set(['40001', '40P01', '55P03']);
const REFUSE = 'flipdrill_dsql.refuse';

/** The function a refused statement is replaced by: it raises DSQL's error in the server. */
async function installRefuse(upstream: DsqlStandInOptions['upstream'], database: string): Promise<void> {
  const client = new pg.Client({ ...upstream, database, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query('CREATE SCHEMA IF NOT EXISTS flipdrill_dsql');
    await client.query(
      `CREATE OR REPLACE FUNCTION ${REFUSE}(code text, message text, VARIADIC args text[] DEFAULT '{}') RETURNS void LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message; END $$`,
    );
    await client.query('GRANT USAGE ON SCHEMA flipdrill_dsql TO PUBLIC');
  } finally {
    await client.end().catch(() => {});
  }
}

/** The statement that raises `refusal`, taking as many parameters as the one it replaces. */
function refusing(code: string, message: string, parameters: number): string {
  const args = Array.from({ length: parameters }, (_, i) => `, $${i + 1}::text`).join('');
  const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
  return `SELECT ${REFUSE}(${lit(code)}, ${lit(message)}${args})`;
}

/** The highest $n a statement uses. */
function parametersOf(sql: string): number {
  let max = 0;
  for (const m of sql.matchAll(/\$(\d+)/g)) max = Math.max(max, Number(m[1]));
  return max;
}

export async function startDsqlStandIn(options: DsqlStandInOptions): Promise<DsqlStandIn> {
  const { upstream } = options;
  const log = options.logger;
  const lockTimeoutMs = options.lockTimeoutMs ?? 50;
  const databases = [upstream.database, ...(options.databases ?? []).filter((d) => d !== upstream.database)];
  for (const database of databases) await installRefuse(upstream, database);
  /** The database a client's startup names: one given, else the first (DSQL's `postgres`, or none). */
  const databaseOf = (asked: string | undefined) => (asked && databases.includes(asked) ? asked : upstream.database);
  const stats: DsqlStandInStats = { refused: {}, conflicts: 0, logins: [], sessions: 0 };
  const sockets = new Set<net.Socket>();

  // Primary keys, looked up once per database and table name, on a connection of the stand-in's own.
  const keys = new Map<string, string[]>();
  const metas = new Map<string, pg.Client>();
  const primaryKey = async (database: string, table: string): Promise<string[] | undefined> => {
    const key = `${database}.${table}`;
    if (keys.has(key)) return keys.get(key);
    try {
      let meta = metas.get(database);
      if (!meta) {
        const client = new pg.Client({ ...upstream, database, connectionTimeoutMillis: 2000, query_timeout: 2000 });
        metas.set(database, client);
        client.on('error', () => metas.delete(database));
        meta = client;
        await client.connect();
      }
      const { rows } = await meta.query<{ attname: string }>(
        `SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey)
          WHERE i.indisprimary AND c.relname = $1`,
        [table],
      );
      const found = rows.map((r) => r.attname);
      keys.set(key, found);
      return found;
    } catch {
      // Not known now (the server is moving): let the statement through rather than invent a refusal.
      metas.get(database)?.end().catch(() => {});
      metas.delete(database);
      return undefined;
    }
  };

  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    serve(client).catch((error: Error) => {
      log?.debug({ err: error.message }, 'dsql stand-in: a session ended with an error');
      if (!(error instanceof FrameError) || !client.writable) return void client.destroy();
      // A frame it refuses: that connection is told why and closed, as PostgreSQL does.
      const timer = setTimeout(() => client.destroy(), 1000).unref();
      client.end(errorResponse('FATAL', error.code, error.message), () => {
        clearTimeout(timer);
        client.destroy();
      });
    });
  });

  async function serve(client: net.Socket): Promise<void> {
    client.setNoDelay(true);
    const fromClient = new Framer(true);
    const waiting: { resolve: (m: Message | undefined) => void; reject: (error: Error) => void }[] = [];
    let ended = false;
    // Past this, a whole message is held (one is at most MAX_MESSAGE_LENGTH): stop reading until it is taken.
    const holdAtMost = MAX_MESSAGE_LENGTH + 5;
    /** The client's next message; rejects with FrameError for a frame the framer refuses. */
    const next = (): Promise<Message | undefined> => {
      try {
        const m = fromClient.next();
        if (client.isPaused() && fromClient.buffered <= holdAtMost) client.resume();
        if (m || ended) return Promise.resolve(m);
      } catch (error) {
        return Promise.reject(error as Error);
      }
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    };
    client.on('data', (chunk) => {
      fromClient.push(chunk);
      try {
        while (waiting.length) {
          const m = fromClient.next();
          if (!m) break;
          waiting.shift()!.resolve(m);
        }
      } catch (error) {
        for (const w of waiting.splice(0)) w.reject(error as Error);
      }
      if (fromClient.buffered > holdAtMost) client.pause();
    });
    client.on('close', () => {
      ended = true;
      for (const w of waiting.splice(0)) w.resolve(undefined);
    });
    client.on('error', () => {});

    // Startup: no TLS (the stand-in is local), then the startup message.
    let params: Record<string, string> | undefined;
    while (!params) {
      const m = await next();
      if (!m) return;
      const code = m.body.readInt32BE(0);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) client.write('N');
      else if (code === CANCEL_REQUEST) {
        if (m.body.length !== 12) throw new FrameError('invalid length of cancel request');
        // Cancel the query of the server session it names (the stand-in passed its key through).
        const cancel = net.connect(upstream.port, upstream.host, () => cancel.end(Buffer.concat([Buffer.from([0, 0, 0, 16]), m.body])));
        cancel.on('error', () => {});
        client.end();
        return;
      } else params = startupParameters(m.body);
    }
    fromClient.startup = false;
    const user = params.user ?? '';
    const database = databaseOf(params.database);
    client.write(authenticationCleartextPassword());
    const password = await next();
    if (!password || password.type !== 'p') return void client.end();
    const token = new Reader(password.body).string();
    if (!token) return void client.end(errorResponse('FATAL', '28P01', `password authentication failed for user "${user}"`));
    stats.sessions += 1;
    stats.logins.push({ user, password: token });
    if (stats.logins.length > 100) stats.logins.shift();

    const facts: SessionFacts = { admin: user === 'admin' };
    const server = await login(params, database).catch((error: Error) => {
      // The database behind it is down or moving: a connection error, as DSQL's endpoint would give.
      client.end(errorResponse('FATAL', '08006', `the database is not reachable right now (${error.message})`));
      return undefined;
    });
    if (!server) return;
    client.write(authenticationOk());

    // From here: the server's messages go to the client (conflicts rewritten), the client's to the server (refusals rewritten).
    const fromServer = server.framer;
    const relay = () => {
      try {
        relayWhole();
      } catch (error) {
        // The server sent what the framer refuses: this session cannot go on.
        log?.debug({ err: (error as Error).message }, 'dsql stand-in: the server sent a malformed message');
        server.socket.destroy();
        if (client.writable) client.end(errorResponse('FATAL', '08P01', `the database sent a malformed message (${(error as Error).message})`));
        else client.destroy();
      }
    };
    const relayWhole = () => {
      for (let m = fromServer.next(); m; m = fromServer.next()) {
        if (m.type === 'E') {
          const fields = errorFields(m.body);
          if (CONFLICTS.has(fields.C ?? '')) {
            stats.conflicts += 1;
            client.write(withErrorFields(m.body, { C: OC000.code, M: OC000.message }));
            continue;
          }
        }
        if (m.type === 'Z' && m.body[0] === 0x49 /* I: no transaction */) facts.transaction = undefined;
        client.write(reframe(m));
      }
    };
    server.socket.on('data', (chunk) => {
      fromServer.push(chunk);
      relay();
    });
    // What came with AuthenticationOk (parameters, the key, ReadyForQuery).
    relay();
    server.socket.on('close', () => client.destroy());
    server.socket.on('error', () => client.destroy());
    client.on('close', () => server.socket.destroy());

    const noteKind = (kind: StatementKind, sql: string) => {
      if (/^\s*(begin|start\s+transaction)\b/i.test(sql)) facts.transaction = [];
      else if (/^\s*(commit|end|rollback|abort)\b/i.test(sql)) facts.transaction = undefined;
      else facts.transaction?.push(kind);
    };

    /** The refusal for one statement, if DSQL would refuse it; notes what the session did otherwise. */
    const judge = async (sql: string) => {
      const table = lockedTable(sql);
      const refusal = check(sql, facts, table ? await primaryKey(database, table) : undefined);
      if (refusal) {
        stats.refused[refusal.rule] = (stats.refused[refusal.rule] ?? 0) + 1;
        return refusal;
      }
      const path = searchPathSet(sql);
      if (path !== undefined) facts.searchPath = path;
      noteKind(kindOf(sql), sql);
      return undefined;
    };

    for (let m = await next(); m; m = await next()) {
      if (m.type === 'Q') {
        const sql = new Reader(m.body).string();
        let refused: { code: string; message: string } | undefined;
        for (const statement of statements(sql)) {
          refused = await judge(statement);
          if (refused) break;
        }
        server.socket.write(refused ? query(refusing(refused.code, refused.message, 0)) : reframe(m));
      } else if (m.type === 'P') {
        const parse = readParse(m.body);
        const refused = await judge(parse.sql);
        server.socket.write(refused ? parseMessage(parse.name, refusing(refused.code, refused.message, Math.max(parse.types.length, parametersOf(parse.sql))), parse.types) : reframe(m));
      } else if (m.type === 'X') {
        server.socket.end(reframe(m));
        break;
      } else {
        server.socket.write(reframe(m));
      }
    }
  }

  /** Log in to PostgreSQL as the stand-in's own user; resolves once the server said AuthenticationOk. */
  function login(params: Record<string, string>, database: string): Promise<{ socket: net.Socket; framer: Framer }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(upstream.port, upstream.host);
      socket.setNoDelay(true);
      const framer = new Framer(false, { maxLength: MAX_SERVER_MESSAGE_LENGTH });
      let scram: ScramClient | undefined;
      const timer = setTimeout(() => fail(new Error('timed out logging in')), 5000);
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      socket.on('error', fail);
      socket.on('connect', () => {
        const settings: Record<string, string> = {};
        for (const key of ['application_name', 'client_encoding', 'DateStyle', 'TimeZone', 'extra_float_digits']) if (params[key]) settings[key] = params[key]!;
        socket.write(
          startupMessage({
            user: upstream.user,
            database,
            ...settings,
            // DSQL's snapshot isolation, and conflicts told quickly instead of waited on.
            default_transaction_isolation: 'repeatable read',
            lock_timeout: `${lockTimeoutMs}ms`,
          }),
        );
      });
      const onData = (chunk: Buffer) => {
        try {
          takeData(chunk);
        } catch (error) {
          fail(error as Error);
        }
      };
      const takeData = (chunk: Buffer) => {
        framer.push(chunk);
        for (let m = framer.next(); m; m = framer.next()) {
          if (m.type === 'E') return fail(new Error(errorFields(m.body).M ?? 'refused'));
          if (m.type !== 'R') continue;
          const kind = m.body.readInt32BE(0);
          if (kind === 0) {
            clearTimeout(timer);
            socket.off('data', onData);
            socket.off('error', fail);
            // The framer holds what came after AuthenticationOk, whole messages and a part.
            return resolve({ socket, framer });
          }
          if (kind === 3) socket.write(frame('p', cstring(upstream.password)));
          else if (kind === 5) socket.write(md5Password(upstream.user, upstream.password, m.body.subarray(4, 8)));
          else if (kind === 10) {
            scram = new ScramClient();
            socket.write(scram.first());
          } else if (kind === 11) socket.write(scram!.final(m.body.subarray(4).toString('utf8'), upstream.password));
          else if (kind === 12) {
            if (!scram!.verify(m.body.subarray(4).toString('utf8'))) return fail(new Error('the server did not prove it knows the password'));
          } else return fail(new Error(`authentication method ${kind} is not supported by the stand-in`));
        }
      };
      socket.on('data', onData);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen?.port ?? 0, options.listen?.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    host: address.address,
    port: address.port,
    stats: () => ({ refused: { ...stats.refused }, conflicts: stats.conflicts, logins: [...stats.logins], sessions: stats.sessions }),
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...metas.values()].map((m) => m.end().catch(() => {})));
    },
  };
}

/** A message's bytes again, as it came. */
const reframe = (m: Message): Buffer => frame(m.type, m.body);
