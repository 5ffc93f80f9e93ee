/**
 * The contract workload: writes of client-chosen UUIDs and reads of acknowledged ones, through
 * any app that speaks flipdrill's app contract (docs/app-contract.md): a user's client module
 * served by the client host (--client), or a user's app image (--app-image). The final read goes
 * through the app too (GET /flipdrill/writes): only it knows its tables. The checker's set
 * algebra judges the writes; rows with no commit stamps leave the stamp-based figures unmeasured.
 */
import { randomUUID } from 'node:crypto';
import type { Completion } from '../../op.ts';
import { completionOf, RecentWrites, servedByOf, type AppHttp, type OpGenerator, type WorkloadKind, type WorkloadSettings } from '../workload.ts';

const FINAL_READ_TIMEOUT_MS = 60_000;

async function readThrough(app: AppHttp, id: string, worker: number): Promise<Completion> {
  const answer = await app.request('GET', `/flipdrill/writes/${encodeURIComponent(id)}`, undefined, { 'x-flipdrill-worker': String(worker) });
  if ('error' in answer) return { type: 'fail', value: { id }, error: answer.error };
  if (answer.status === 200 && typeof answer.body.found === 'boolean') return { type: 'ok', value: { id, found: answer.body.found, ...servedByOf(answer.body.served_by) } };
  return { type: 'fail', value: { id }, error: String(answer.body.code ?? `HTTP ${answer.status}`) };
}

export const contract: WorkloadKind = {
  name: 'contract',
  summary: "writes and reads through an app or client module of yours, over flipdrill's app contract",
  mutation: 'write',
  fs: ['write', 'read'],
  settings: (prefix): WorkloadSettings => ({ name: 'contract', prefix }),

  async setup(app) {
    const answer = await app.request('POST', '/flipdrill/setup', {}, {}, 60_000);
    // 404: nothing to set up.
    if ('error' in answer || (answer.status >= 300 && answer.status !== 404)) {
      throw new Error(`the app's setup failed: ${'error' in answer ? answer.error : String(answer.body.error ?? `HTTP ${answer.status}`)}`);
    }
  },

  generator({ app, shape, random }): OpGenerator {
    const recent = new RecentWrites();
    let reads = true;
    return {
      next(worker) {
        const read = reads && recent.size > 0 && random() < shape.readFraction ? recent.pick(worker, random) : undefined;
        if (read) return { f: 'read', value: { id: read }, perform: () => readThrough(app, read, worker) };
        const id = randomUUID();
        return {
          f: 'write',
          value: { id },
          perform: async () => completionOf(await app.request('POST', '/flipdrill/writes', { id }, { 'x-flipdrill-worker': String(worker) }), 201, { id }),
        };
      },
      completed(invoke, completion) {
        // A client without reads answers NO_READ: stop asking.
        if (completion.f === 'read' && completion.error === 'NO_READ') reads = false;
        if (completion.f !== 'write' || completion.type !== 'ok') return;
        recent.add(invoke.session ?? 0, (invoke.value as { id: string }).id);
      },
    };
  },

  async finalRead({ app }) {
    const answer = await app.request('GET', '/flipdrill/writes', undefined, {}, FINAL_READ_TIMEOUT_MS);
    if ('error' in answer || answer.status !== 200 || !Array.isArray(answer.body.rows)) {
      throw new Error(`the app's final read (GET /flipdrill/writes) failed: ${'error' in answer ? answer.error : String(answer.body.error ?? `HTTP ${answer.status}`)}`);
    }
    const rows = (answer.body.rows as Record<string, unknown>[]).filter((r) => typeof r?.id === 'string');
    return {
      rows: rows.map((r) => {
        const at = typeof r.committed_at === 'string' ? Date.parse(r.committed_at) : NaN;
        return {
          id: r.id as string,
          committed_by: typeof r.committed_by === 'string' ? r.committed_by : '',
          committed_timeline: typeof r.committed_timeline === 'number' ? r.committed_timeline : 0,
          ...(Number.isNaN(at) ? {} : { committed_at_us: at * 1000 }),
        };
      }),
    };
  },

  // The set algebra is the checker's own: nothing to add.
  check: () => ({ checks: [], details: {}, lines: [] }),
};
