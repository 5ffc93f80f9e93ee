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
import type { Completion, Op, WriteValue } from '../op.ts';
import { Workload, type OperationClient } from '../workload.ts';

/** One turn of the event loop: what the quickest real I/O costs (and what lets timers run). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Answers every write as committed and every read as found, after one event-loop turn. */
const instantClient: OperationClient = {
  async write(value: WriteValue): Promise<Completion> {
    await turn();
    return { type: 'ok', value: { ...value, committed_by: 'node1', committed_timeline: 1, committed_at: new Date().toISOString() } };
  },
  async read(id: string): Promise<Completion> {
    await turn();
    return { type: 'ok', value: { id, found: true, committed_by: 'node1' } };
  },
};

export async function harnessOverhead(durationMs: number, concurrency: number): Promise<{ ops: number; perSecond: number; concurrency: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-overhead-'));
  const history = new JsonLinesWriter<Op>(path.join(dir, 'history.jsonl'));
  let completed = 0;
  const workload = new Workload({
    client: instantClient,
    history,
    clock: new DrillClock(),
    concurrency,
    readFraction: 0.3,
    pauseMs: 0,
    maxOps: 5_000_000,
    seed: 1,
    namePrefix: 'overhead/',
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
