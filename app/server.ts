/**
 * The tutorial's app over HTTP. Every error answer says whether the write surely did not happen
 * (`"outcome": "failed"`) or may have happened (`"outcome": "unknown"`), so a client, and the
 * drill's history, never mistakes an unknown outcome for a failure.
 */
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Database, Table } from './db.ts';
import { DatabaseOperationError } from './db.ts';
import { TransferRefused } from './bank.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ErrorBody {
  error: string;
  outcome: 'failed' | 'unknown';
  code?: string;
}

/** A client's session, for read-your-writes: reads after its own writes go to the primary. */
const session = (req: Request): string | undefined => req.get('x-session-id') || undefined;

function notConfigured(res: Response): void {
  res.status(404).json({ error: 'this app has no analytics database (ANALYTICS_DB_NAME)', outcome: 'failed', code: 'NO_ANALYTICS' } satisfies ErrorBody);
}

function badRequest(res: Response, message: string): void {
  res.status(400).json({ error: message, outcome: 'failed', code: 'BAD_REQUEST' } satisfies ErrorBody);
}

/** GET /<things>/:id on one table: 404 when absent, the outcome of any error from its classification. */
function findById(noun: string, table: () => Table<unknown, unknown> | undefined) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const t = table();
    if (!t) return notConfigured(res);
    const id = String(req.params.id);
    if (!UUID.test(id)) return badRequest(res, 'id must be a UUID');
    try {
      // Which node answered, in both answers: a drill judges reads per node and per session.
      const { row, servedBy } = await t.findServed(id, session(req));
      const served = servedBy ? { served_by: servedBy } : {};
      if (!row) {
        res.status(404).json({ error: `no ${noun} ${id}`, outcome: 'failed', code: 'NOT_FOUND', ...served } satisfies ErrorBody & typeof served);
        return;
      }
      res.json({ ...row, ...served });
    } catch (error) {
      next(error);
    }
  };
}

export function createApp(db: Database, log: Logger, state: { schemaReady: () => boolean }): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '16kb' }));

  app.post('/countries', async (req: Request, res: Response, next: NextFunction) => {
    const { id, name, is_eu_member: isEu } = (req.body ?? {}) as Record<string, unknown>;
    if (typeof id !== 'string' || !UUID.test(id)) return badRequest(res, 'id must be a UUID chosen by the client');
    if (typeof name !== 'string' || name.length === 0 || name.length > 200) return badRequest(res, 'name must be a string of 1 to 200 characters');
    if (isEu !== undefined && typeof isEu !== 'boolean') return badRequest(res, 'is_eu_member must be a boolean');
    try {
      const row = await db.countries.create({ id, name, is_eu_member: isEu ?? false }, session(req));
      res.status(201).json(row);
    } catch (error) {
      next(error);
    }
  });

  app.get('/countries/:id', findById('country', () => db.countries));

  app.get('/countries', async (req: Request, res: Response, next: NextFunction) => {
    const limit = req.query.limit === undefined ? 1000 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) return badRequest(res, 'limit must be an integer from 1 to 100000');
    try {
      res.json(await db.countries.list(limit));
    } catch (error) {
      next(error);
    }
  });

  // Events go to the analytics database: another database, another Sequelize instance.
  app.post('/events', async (req: Request, res: Response, next: NextFunction) => {
    if (!db.events) return notConfigured(res);
    const { id, name } = (req.body ?? {}) as Record<string, unknown>;
    if (typeof id !== 'string' || !UUID.test(id)) return badRequest(res, 'id must be a UUID chosen by the client');
    if (typeof name !== 'string' || name.length === 0 || name.length > 200) return badRequest(res, 'name must be a string of 1 to 200 characters');
    try {
      res.status(201).json(await db.events.create({ id, name }, session(req)));
    } catch (error) {
      next(error);
    }
  });

  app.get('/events/:id', findById('event', () => db.events));

  // The bank: accounts opened under a prefix (one drill's own), transfers between them, snapshots.
  const PREFIX = /^[A-Za-z0-9/_.:-]{1,150}$/;
  const prefixOf = (value: unknown): string | undefined => (typeof value === 'string' && PREFIX.test(value) ? value : undefined);

  app.post('/accounts', async (req: Request, res: Response, next: NextFunction) => {
    const { prefix, count, balance } = (req.body ?? {}) as Record<string, unknown>;
    const p = prefixOf(prefix);
    if (!p) return badRequest(res, 'prefix must be 1 to 150 letters, digits or / _ . : -');
    if (!Number.isInteger(count) || (count as number) < 2 || (count as number) > 1000) return badRequest(res, 'count must be a whole number from 2 to 1000');
    if (!Number.isInteger(balance) || (balance as number) < 0 || (balance as number) > 1_000_000) return badRequest(res, 'balance must be a whole number from 0 to 1000000');
    try {
      res.status(201).json(await db.bank.open(p, count as number, balance as number));
    } catch (error) {
      next(error);
    }
  });

  app.get('/accounts', async (req: Request, res: Response, next: NextFunction) => {
    const p = prefixOf(req.query.prefix);
    if (!p) return badRequest(res, 'prefix must be 1 to 150 letters, digits or / _ . : -');
    const source = req.query.source ?? 'replica';
    if (source !== 'replica' && source !== 'primary') return badRequest(res, 'source must be replica or primary');
    try {
      res.json(await db.bank.snapshot(p, source));
    } catch (error) {
      next(error);
    }
  });

  app.post('/transfers', async (req: Request, res: Response, next: NextFunction) => {
    const { id, from, to, amount } = (req.body ?? {}) as Record<string, unknown>;
    if (typeof id !== 'string' || !UUID.test(id)) return badRequest(res, 'id must be a UUID chosen by the client');
    if (!prefixOf(from) || !prefixOf(to) || from === to) return badRequest(res, 'from and to must be two different account ids');
    if (!Number.isInteger(amount) || (amount as number) < 1 || (amount as number) > 1_000_000) return badRequest(res, 'amount must be a whole number from 1 to 1000000');
    try {
      res.status(201).json(await db.bank.transfer({ id, from: from as string, to: to as string, amount: amount as number }, session(req)));
    } catch (error) {
      if (error instanceof TransferRefused) {
        res.status(409).json({ error: error.message, outcome: 'failed', code: error.code } satisfies ErrorBody);
        return;
      }
      next(error);
    }
  });

  app.get('/healthz', async (_req: Request, res: Response) => {
    res.setHeader('x-app-profile', db.profile);
    if (!state.schemaReady()) {
      res.status(503).json({ ok: false, reason: 'schema not created yet (is the primary reachable?)' });
      return;
    }
    try {
      const write = await db.writeEndpointNode();
      res.status(write.inRecovery ? 503 : 200).json({ ok: !write.inRecovery, write });
    } catch (error) {
      const c = error instanceof DatabaseOperationError ? error.classification : undefined;
      res.status(503).json({ ok: false, reason: c?.message ?? String(error), code: c?.code });
    }
  });

  // Errors: the classification decides the outcome; the HTTP status only says who is to blame.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof SyntaxError) return badRequest(res, 'body must be JSON');
    // The request itself was refused before any database work (too large, an unsupported charset
    // or encoding, a body that does not inflate): surely not written.
    const status = (error as { status?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const type = (error as { type?: unknown }).type;
      res.status(status).json({ error: (error as Error).message ?? 'bad request', outcome: 'failed', code: typeof type === 'string' ? type : 'BAD_REQUEST' } satisfies ErrorBody);
      return;
    }
    if (error instanceof DatabaseOperationError) {
      const c = error.classification;
      const status = c.code === '23505' ? 409 : 503;
      log.warn({ method: req.method, path: req.path, code: c.code, outcome: c.outcome, err: c.message }, 'request failed');
      res.status(status).json({ error: c.message, outcome: c.outcome, code: c.code } satisfies ErrorBody);
      return;
    }
    log.error({ method: req.method, path: req.path, err: String(error) }, 'unexpected error');
    res.status(500).json({ error: String(error), outcome: 'unknown' } satisfies ErrorBody);
  });

  return app;
}

/** On every interface, or only on `host` (flipdrill runs the app on 127.0.0.1 for drills on machines). */
export function listen(app: express.Express, port: number, host?: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = host ? app.listen(port, host, () => resolve(server)) : app.listen(port, () => resolve(server));
    server.on('error', reject);
  });
}
