/**
 * Turn any error from Sequelize or pg into what the caller needs to know: did the statement surely
 * not run ("failed"), or may it have run ("unknown")? Is it worth retrying? Is it a sign that the
 * primary moved, so pooled connections should be thrown away?
 *
 * Classified from the SQLSTATE and the socket error (unwrapped from Sequelize's `parent`/`original`)
 * and Sequelize's connect-phase error names, never from the error class alone: Sequelize reports
 * every mid-query failure, a reset socket included, as a plain DatabaseError
 * (shared/reference/sequelize-failover.md §3.1).
 */
export type Outcome = 'failed' | 'unknown';

export interface Classification {
  outcome: Outcome;
  /** Retrying cannot duplicate anything and may succeed (the statement surely did not run). */
  retryable: boolean;
  /** The error suggests the primary moved or died: recycle pooled connections. */
  failoverSignal: boolean;
  /** SQLSTATE, socket error code, or error name. */
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
  'SequelizeAccessDeniedError',
]);

/** Rejected before executing: not started, or refused because the node is read-only or busy. */
const REJECTED_BEFORE_RUNNING = new Set(['57P03', '53300', '25006', '40001', '40P01']);
const NOT_RETRYABLE_REJECTIONS = new Set(['28P01', '28000', '3D000', '42501']);
/** The connection died while the statement may have been running or committing. */
const MAYBE_RAN = new Set(['57P01', '57P02', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
const MAYBE_RAN_MESSAGES = /Connection terminated|Query read timeout|timeout exceeded when trying to connect/;

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  parent?: ErrorLike;
  original?: ErrorLike;
  cause?: ErrorLike;
}

export function classify(error: unknown): Classification {
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as ErrorLike;
  const inner = e.parent ?? e.original ?? e.cause ?? {};
  const code = String(inner.code ?? e.code ?? '');
  const message = String(e.message ?? inner.message ?? '');
  const name = String(e.name ?? '');
  const label = code || name || 'error';

  if (name === 'RoleMismatchError') {
    return { outcome: 'failed', retryable: true, failoverSignal: true, code: 'ROLE_MISMATCH', message };
  }
  if (NOT_RETRYABLE_REJECTIONS.has(code)) {
    return { outcome: 'failed', retryable: false, failoverSignal: false, code, message };
  }
  if (CONNECT_PHASE.has(name)) {
    return { outcome: 'failed', retryable: true, failoverSignal: true, code: label, message };
  }
  if (REJECTED_BEFORE_RUNNING.has(code)) {
    return { outcome: 'failed', retryable: true, failoverSignal: code === '25006' || code === '57P03', code, message };
  }
  if (code === '23505') {
    return { outcome: 'failed', retryable: false, failoverSignal: false, code, message };
  }
  // A dead client reused inside a transaction: this statement was not sent.
  if (/not queryable/.test(message)) {
    return { outcome: 'failed', retryable: true, failoverSignal: true, code: label, message };
  }
  if (MAYBE_RAN.has(code) || code.startsWith('08') || MAYBE_RAN_MESSAGES.test(message)) {
    return { outcome: 'unknown', retryable: false, failoverSignal: true, code: label, message };
  }
  // The server answered a single statement with an error of its own (bad data, missing table...):
  // the statement was rolled back. Classes 53 (resources), 57 (operator intervention), 58 and XX
  // (system, internal) stay unknown.
  if (/^[0-9A-Z]{5}$/.test(code) && !/^(53|57|58|XX)/.test(code)) {
    return { outcome: 'failed', retryable: code === '42P01', failoverSignal: false, code, message };
  }
  // Anything else may or may not have happened; saying "failed" without knowing would be a lie.
  return { outcome: 'unknown', retryable: false, failoverSignal: false, code: label, message };
}
