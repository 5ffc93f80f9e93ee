/**
 * The classifier on errors pg and Sequelize really raised: captured from a running cluster by
 * app/failover/capture-errors.ts (fixtures/captured-errors.json says when, and how each was made).
 * Only Aurora DSQL's conflict cannot be produced locally; it is built from AWS's documented form.
 */
import { readFileSync } from 'node:fs';
import { DatabaseError } from 'sequelize';
import { describe, expect, it } from 'vitest';
import type { Capture } from './capture-errors.ts';
import { FIXTURE } from './capture-errors.ts';
import { classify, type Classification } from './classify.ts';

const { captures } = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { captures: Capture[] };

/** What each captured case must be classified as. */
const expected: Record<string, Pick<Classification, 'verdict' | 'outcome' | 'failoverSignal'> & { code?: string }> = {
  'connection refused': { verdict: 'retry', outcome: 'failed', failoverSignal: true },
  'reset at connect': { verdict: 'retry', outcome: 'failed', failoverSignal: true },
  'reset mid-query': { verdict: 'unknown-outcome', outcome: 'unknown', failoverSignal: true, code: 'ECONNRESET' },
  'connection terminated mid-query': { verdict: 'unknown-outcome', outcome: 'unknown', failoverSignal: true },
  '57P01 admin shutdown': { verdict: 'unknown-outcome', outcome: 'unknown', failoverSignal: true, code: '57P01' },
  '25006 read-only': { verdict: 'retry', outcome: 'failed', failoverSignal: true, code: '25006' },
  '40001 serialization failure': { verdict: 'retry-transaction', outcome: 'failed', failoverSignal: false, code: '40001' },
  '23505 duplicate key': { verdict: 'fatal', outcome: 'failed', failoverSignal: false, code: '23505' },
  'query read timeout': { verdict: 'unknown-outcome', outcome: 'unknown', failoverSignal: true },
  '28P01 bad password': { verdict: 'fatal', outcome: 'failed', failoverSignal: false, code: '28P01' },
  'not queryable': { verdict: 'retry-transaction', outcome: 'failed', failoverSignal: true },
  'role mismatch': { verdict: 'retry', outcome: 'failed', failoverSignal: true, code: 'ROLE_MISMATCH' },
  'untrusted certificate': { verdict: 'fatal', outcome: 'failed', failoverSignal: false },
};

describe('classify, on captured errors', () => {
  it('has a capture of every case it is tested on', () => {
    expect(new Set(captures.map((c) => c.case))).toEqual(new Set(Object.keys(expected)));
  });

  it.each(captures.map((c) => [`${c.case} (${c.layer}: ${c.error.name}, ${c.error.parent?.code ?? c.error.code ?? 'no code'})`, c] as const))('%s', (_label, capture) => {
    const want = expected[capture.case]!;
    expect(classify(capture.error)).toMatchObject(want);
  });

  it('explains an untrusted certificate in words a person can act on', () => {
    const tls = captures.find((c) => c.case === 'untrusted certificate')!;
    expect(classify(tls.error).message).toMatch(/^the database's TLS certificate is not trusted \(\w+\): check the CA the app was given/);
  });
});

describe('classify, beyond the captures', () => {
  it("Aurora DSQL's optimistic-concurrency conflict is a whole-transaction retry (AWS: SQLSTATE 40001 with OC000 or OC001 in the message)", () => {
    const parent = Object.assign(new Error('mutation conflicts with another transaction, retry as needed (OC000)'), { code: '40001' });
    expect(classify(new DatabaseError(parent as never))).toMatchObject({ verdict: 'retry-transaction', code: 'OC000' });
    const schema = Object.assign(new Error('schema has been updated by another transaction, retry as needed (OC001)'), { code: '40001' });
    expect(classify(new DatabaseError(schema as never))).toMatchObject({ verdict: 'retry-transaction', code: 'OC001' });
  });

  it("a full disk's ERROR (53100) was rolled back: retried, failed if it never passes; the same code as FATAL stays unknown", () => {
    // The form pg raises it in (seen in the disk-full drill's PostgreSQL log: "could not extend file ...").
    const diskFull = (severity: string) => new DatabaseError(Object.assign(new Error('could not extend file "base/16387/16455": No space left on device'), { code: '53100', severity }) as never);
    expect(classify(diskFull('ERROR'))).toMatchObject({ verdict: 'retry', outcome: 'failed', failoverSignal: false, code: '53100' });
    expect(classify(diskFull('FATAL'))).toMatchObject({ verdict: 'unknown-outcome', outcome: 'unknown' });
  });

  it('an error it cannot explain is an unknown outcome, never a failure', () => {
    expect(classify(new Error('something odd'))).toMatchObject({ verdict: 'unknown-outcome', outcome: 'unknown' });
    expect(classify('a string')).toMatchObject({ outcome: 'unknown' });
  });
});
