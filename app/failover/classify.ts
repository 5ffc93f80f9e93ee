/**
 * Turn any error from Sequelize or pg into what the caller must do about it:
 *
 *   retry              the statement surely did not run (refused connection, read-only node,
 *                      server starting): run the unit of work again, after a pause
 *   retry-transaction  the server aborted the whole transaction (serialization failure, deadlock,
 *                      Aurora DSQL's optimistic-concurrency conflict): run it again from BEGIN
 *   unknown-outcome    the connection died while the statement may have been running or
 *                      committing: it may have happened. Retry only what is idempotent
 *   fatal              retrying cannot help (bad password, duplicate key, bad SQL, untrusted
 *                      certificate): report it
 *
 * Classified from the SQLSTATE and the socket error (unwrapped from Sequelize's `parent` /
 * `original`) and Sequelize's connect-phase error names, never from the error class alone:
 * Sequelize reports every mid-query failure, a reset socket included, as a plain DatabaseError
 * (shared/reference/sequelize-failover.md §3.1).
 */
export type Verdict = 'retry' | 'retry-transaction' | 'unknown-outcome' | 'fatal';
export type Outcome = 'failed' | 'unknown';

export interface Classification {
  verdict: Verdict;
  /** Did the operation surely not happen ("failed"), or may it have ("unknown")? */
  outcome: Outcome;
  /** The error suggests the primary moved or died: recycle pooled connections. */
  failoverSignal: boolean;
  /** SQLSTATE, socket or TLS error code, or error name. */
  code: string;
  message: string;
}

/** Thrown from afterConnect when the write endpoint leads to a node that is not writable. */
export class RoleMismatchError extends Error {
  override name = 'RoleMismatchError';
}

/** Errors Sequelize raises while opening a connection: nothing was sent. */
const CONNECT_PHASE = new Set([
  'SequelizeConnectionError',
  'SequelizeConnectionRefusedError',
  'SequelizeHostNotFoundError',
  'SequelizeHostNotReachableError',
  'SequelizeInvalidConnectionError',
  'SequelizeConnectionTimedOutError',
  'SequelizeConnectionAcquireTimeoutError',
]);

/** Refused before running: the node is starting, full, or read-only (a demoted primary). */
const REJECTED_BEFORE_RUNNING = new Set(['57P03', '53300', '25006']);
/**
 * The server ran out of disk for this statement (an ERROR, so it was rolled back): it surely did
 * not happen, and it may pass later (space freed, or another primary). Sent as FATAL it would be
 * the connection dying, and then it may have.
 */
const OUT_OF_DISK = '53100';
/** The server rolled the whole transaction back; running it again from the start is safe. */
const TRANSACTION_ABORTED = new Set(['40001', '40P01', 'OC000', 'OC001']);
/** Credentials, a missing database, missing privileges: retrying only hammers the server. */
const CONFIGURATION = new Set(['28P01', '28000', '3D000', '42501']);
/** The connection died while the statement may have been running or committing. */
const MAYBE_RAN = new Set(['57P01', '57P02', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
const MAYBE_RAN_MESSAGES = /Connection terminated|Query read timeout/;
/** Node's TLS verification failures: the server is not who the CA says it is. Never retried. */
const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
]);

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  severity?: string;
  parent?: ErrorLike;
  original?: ErrorLike;
  cause?: ErrorLike;
}

const result = (verdict: Verdict, failoverSignal: boolean, code: string, message: string): Classification => ({
  verdict,
  outcome: verdict === 'unknown-outcome' ? 'unknown' : 'failed',
  failoverSignal,
  code,
  message,
});

export function classify(error: unknown): Classification {
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as ErrorLike;
  const inner = e.parent ?? e.original ?? e.cause ?? {};
  const message = String(e.message ?? inner.message ?? '');
  // Aurora DSQL reports optimistic-concurrency conflicts as 40001 with (OC000) or (OC001) in the message.
  const occ = /\((OC00[01])\)/.exec(message)?.[1];
  const code = occ ?? String(inner.code ?? e.code ?? '');
  const name = String(e.name ?? '');
  const label = code || name || 'error';

  if (name === 'RoleMismatchError') return result('retry', true, 'ROLE_MISMATCH', message);
  // AWS's DSQL connector could not sign a token (no credentials, no region): it will not sign one
  // on the next try either.
  if (/Failed to generate DSQL token|Failed to retrieve DSQL token|Region is not specified/.test(message)) {
    return result('fatal', false, 'DSQL_TOKEN', `the Aurora DSQL connector could not make a token: check the AWS credentials and region. ${message}`);
  }
  if (TLS_CODES.has(code)) {
    return result('fatal', false, code, `the database's TLS certificate is not trusted (${code}): check the CA the app was given. ${message}`);
  }
  if (CONFIGURATION.has(code)) return result('fatal', false, code, message);
  if (CONNECT_PHASE.has(name)) return result('retry', true, label, message);
  if (REJECTED_BEFORE_RUNNING.has(code)) return result('retry', code === '25006' || code === '57P03', code, message);
  if (code === OUT_OF_DISK && (inner.severity ?? e.severity) === 'ERROR') return result('retry', false, code, message);
  if (TRANSACTION_ABORTED.has(code)) return result('retry-transaction', false, code, message);
  // A dead client reused inside a transaction: this statement was not sent, but the transaction is gone.
  if (/not queryable/.test(message)) return result('retry-transaction', true, label, message);
  if (MAYBE_RAN.has(code) || code.startsWith('08') || MAYBE_RAN_MESSAGES.test(message)) return result('unknown-outcome', true, label, message);
  // A table that is not there yet: the app creates it in the background at start.
  if (code === '42P01') return result('retry', false, code, message);
  // The server answered a statement with an error of its own (bad data, duplicate key...): the
  // statement was rolled back. Classes 53 (resources), 57 (operator intervention), 58 and XX
  // (system, internal) stay unknown.
  if (/^[0-9A-Z]{5}$/.test(code) && !/^(53|57|58|XX)/.test(code)) return result('fatal', false, code, message);
  // Anything else may or may not have happened; saying "failed" without knowing would be a lie.
  return result('unknown-outcome', false, label, message);
}
