/**
 * flipdrill's own overhead: how many operations a second the workload can issue, complete and
 * record in history.jsonl when the app is out of the loop (a client that answers at once). A
 * drill's throughput is bounded by this as much as by the app and the database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DrillClock, JsonLinesWriter } from '../history.ts';
import type { Op } from '../op.ts';
import { set } from '../workloads/set/set.ts';
import { seededRandom, Workload, type AppHttp } from '../workloads/workload.ts';

/** One turn of the event loop: what the quickest real I/O costs (and what lets timers run). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** An app that answers every write as committed and every read as found, after one event-loop turn. */
const instantApp: AppHttp = {
  baseUrl: 'http://127.0.0.1:0',
  async request(method, path, body) {
    await turn();
    if (method === 'POST') return { status: 201, body: { ...(body as object), committed_by: 'node1', committed_timeline: 1, committed_at: new Date().toISOString() } };
    return { status: 200, body: { id: path.split('/').at(-1), committed_by: 'node1' } };
  },
};

export async function harnessOverhead(durationMs: number, concurrency: number): Promise<{ ops: number; perSecond: number; concurrency: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-overhead-'));
  const history = new JsonLinesWriter<Op>(path.join(dir, 'history.jsonl'));
  let completed = 0;
  const workload = new Workload({
    generator: set.generator({ app: instantApp, settings: set.settings('overhead/'), shape: { concurrency, readFraction: 0.3, pauseMs: 0, analyticsFraction: 0 }, random: seededRandom(1) }),
    history,
    clock: new DrillClock(),
    concurrency,
    pauseMs: 0,
    maxOps: 5_000_000,
    onComplete: () => (completed += 1),
  });
  const started = performance.now();
  workload.start();
  await sleep(durationMs);
  await workload.stop();
  const seconds = (performance.now() - started) / 1000;
  history.close();
  rmSync(dir, { recursive: true, force: true });
  return { ops: completed, perSecond: completed / seconds, concurrency };
}
