/**
 * The set workload (the default): independent inserts of client-chosen UUIDs through the app
 * (countries in its own database, events in its analytics database), and reads of recently
 * acknowledged ones (half of them, where it can, the reading session's own). The final read lists every row the run wrote; the checker's set algebra
 * (lost, recovered, unexpected, contradicted, duplicated, impossible reads) needs nothing more.
 */
import { randomUUID } from 'node:crypto';
import type { Completion, ReadValue, WriteValue } from '../../op.ts';
import { completionOf, RecentWrites, servedByOf, sessionHeader, type AppHttp, type OpGenerator, type WorkloadKind, type WorkloadSettings } from '../workload.ts';

/** A write: its answer says whether it surely did not happen (`failed`) or may have (`unknown`). */
export async function writeThrough(app: AppHttp, value: WriteValue, headers: Record<string, string> = {}): Promise<Completion> {
  const analytics = value.db === 'analytics';
  const answer = await app.request('POST', analytics ? '/events' : '/countries', analytics ? { id: value.id, name: value.name } : { id: value.id, name: value.name, is_eu_member: false }, headers);
  return completionOf(answer, 201, value);
}

/** A read: found, not found, or failed (reads change nothing: one that did not complete failed); with the node that answered, where the app says. */
export async function readThrough(app: AppHttp, id: string, headers: Record<string, string> = {}): Promise<Completion> {
  const answer = await app.request('GET', `/countries/${id}`, undefined, headers);
  if ('error' in answer) return { type: 'fail', value: { id }, error: answer.error };
  if (answer.status === 200) return { type: 'ok', value: { id, found: true, committed_by: String(answer.body.committed_by), ...servedByOf(answer.body.served_by) } satisfies ReadValue };
  if (answer.status === 404 && answer.body.code === 'NOT_FOUND') return { type: 'ok', value: { id, found: false, ...servedByOf(answer.body.served_by) } satisfies ReadValue };
  return { type: 'fail', value: { id }, error: String(answer.body.code ?? `HTTP ${answer.status}`) };
}

type Row = { id: string; committed_by: string; committed_timeline: number; committed_at_us: string };
const ROWS = (table: string) => `SELECT id::text AS id, committed_by, committed_timeline,
        (extract(epoch FROM committed_at) * 1000000)::bigint::text AS committed_at_us
   FROM ${table} WHERE starts_with(name, $1) ORDER BY committed_at`;

export const set: WorkloadKind = {
  name: 'set',
  summary: 'independent inserts of client-chosen ids (countries, and analytics events), and reads of acknowledged ones',
  mutation: 'write',
  fs: ['write', 'read'],
  settings: (prefix): WorkloadSettings => ({ name: 'set', prefix }),

  generator({ app, settings, shape, random }): OpGenerator {
    const recent = new RecentWrites();
    const sequence = new Map<number, number>();
    return {
      next(worker) {
        const headers = sessionHeader(settings, worker);
        const id = recent.size > 0 && random() < shape.readFraction ? recent.pick(worker, random) : undefined;
        if (id) return { f: 'read', value: { id }, perform: () => readThrough(app, id, headers) };
        const analytics = random() < shape.analyticsFraction;
        const n = sequence.get(worker) ?? 0;
        sequence.set(worker, n + 1);
        const value: WriteValue = { id: randomUUID(), name: `${settings.prefix}w${worker}-${n}`, ...(analytics ? { db: 'analytics' as const } : {}) };
        return { f: 'write', value, perform: () => writeThrough(app, value, headers) };
      },
      completed(invoke, completion) {
        // Reads read countries back; events are checked by the final read.
        if (completion.f !== 'write' || completion.type !== 'ok' || (invoke.value as WriteValue).db === 'analytics') return;
        recent.add(invoke.session ?? 0, (invoke.value as WriteValue).id);
      },
    };
  },

  async finalRead({ sql }, settings) {
    // Both of the app's databases: its countries and its analytics events are acknowledged writes.
    const rows = [...(await sql<Row>(ROWS('countries'), [settings.prefix], 'app')), ...(await sql<Row>(ROWS('events'), [settings.prefix], 'analytics'))];
    return { rows: rows.map((r) => ({ ...r, committed_at_us: Number(r.committed_at_us) })) };
  },

  // The set algebra is the checker's own (harness/checker/parts/set-algebra.ts): nothing to add.
  check: () => ({ checks: [], details: {}, lines: [] }),
};
