import { ConnectionRefusedError, DatabaseError, HostNotFoundError, UniqueConstraintError } from 'sequelize';
import { describe, expect, it } from 'vitest';
import { classify, RoleMismatchError } from './classify.ts';

/** What pg hands Sequelize: an Error with the SQLSTATE or socket code, and the SQL that was sent. */
function pgError(message: string, code?: string): Error & { code?: string; sql: string; parameters: never[] } {
  return Object.assign(new Error(message), { code, sql: 'INSERT INTO countries ...', parameters: [] as never[] });
}

describe('classify', () => {
  it('a refused or unresolved connection surely did not run the statement, and is worth retrying', () => {
    for (const error of [
      new ConnectionRefusedError(pgError('connect ECONNREFUSED 10.213.2.11:5432', 'ECONNREFUSED')),
      new HostNotFoundError(pgError('getaddrinfo ENOTFOUND pg-primary', 'ENOTFOUND')),
      new RoleMismatchError('the write endpoint pg-primary leads to a read-only node'),
    ]) {
      expect(classify(error)).toMatchObject({ outcome: 'failed', retryable: true, failoverSignal: true });
    }
  });

  it('a write refused by a read-only node (25006) failed, and signals a failover', () => {
    const c = classify(new DatabaseError(pgError('cannot execute INSERT in a read-only transaction', '25006')));
    expect(c).toMatchObject({ outcome: 'failed', retryable: true, failoverSignal: true, code: '25006' });
  });

  it('a connection lost mid-statement leaves the outcome unknown', () => {
    for (const error of [
      new DatabaseError(pgError('Connection terminated unexpectedly')),
      new DatabaseError(pgError('read ECONNRESET', 'ECONNRESET')),
      new DatabaseError(pgError('terminating connection due to administrator command', '57P01')),
      new DatabaseError(pgError('Query read timeout')),
    ]) {
      expect(classify(error)).toMatchObject({ outcome: 'unknown', retryable: false, failoverSignal: true });
    }
  });

  it('a duplicate id is a definite failure, not to be retried', () => {
    const parent = pgError('duplicate key value violates unique constraint "countries_pkey"', '23505');
    expect(classify(new UniqueConstraintError({ parent, original: parent }))).toMatchObject({ outcome: 'failed', retryable: false, code: '23505' });
  });

  it('bad credentials are not retried', () => {
    expect(classify(new DatabaseError(pgError('password authentication failed for user "x"', '28P01')))).toMatchObject({ outcome: 'failed', retryable: false });
  });

  it('an error it cannot explain is reported as unknown, never as failed', () => {
    expect(classify(new Error('something odd'))).toMatchObject({ outcome: 'unknown', retryable: false });
    expect(classify('a string')).toMatchObject({ outcome: 'unknown' });
  });
});
