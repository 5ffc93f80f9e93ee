/**
 * A run folder read back: what `flipdrill check` and the drill itself feed the checker, so a
 * re-check of a stored run gives exactly the drill's own verdict.
 *
 *   run.json         the drill's settings (scenario, replication, lost-write budget), written first
 *   history.jsonl    every operation
 *   events.jsonl     the fault, promotion, endpoint moves, repmgr's events
 *   final-read.json  every row on the new primary at the end (absent if the drill never got there)
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { check, type CheckResult, type Expectations, type FinalRead } from '../checker/checker.ts';
import { parseHistoryLines, readEvents } from '../history.ts';
import type { ClusterEvent } from '../op.ts';

export const RUN_SCHEMA = 'flipdrill.run/v1';

export interface RunSettings {
  schema: typeof RUN_SCHEMA;
  runId: string;
  scenario: string;
  startedAt: string;
  seed: number;
  expectations: Expectations;
}

export class RunFolderError extends Error {
  override name = 'RunFolderError';
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new RunFolderError(`${path.basename(file)} in ${path.dirname(file)} is not valid JSON: ${(error as Error).message}`);
  }
}

export interface StoredRun {
  dir: string;
  settings: RunSettings | null;
  finalRead: FinalRead | null;
  check(overrides?: Partial<Expectations>): CheckResult;
}

/** Read a run folder. A missing or malformed history throws; `check()` throws MalformedHistoryError on a history that does not pair up. */
export function loadRun(dir: string): StoredRun {
  const file = (name: string) => path.join(dir, name);
  if (!existsSync(dir)) throw new RunFolderError(`no run folder at ${dir}`);
  if (!existsSync(file('history.jsonl'))) throw new RunFolderError(`${dir} has no history.jsonl: not a flipdrill run folder`);
  const { ops, lines } = parseHistoryLines(readFileSync(file('history.jsonl'), 'utf8'));
  const events: ClusterEvent[] = existsSync(file('events.jsonl')) ? readEvents(file('events.jsonl')) : [];
  const settings = existsSync(file('run.json')) ? readJson<RunSettings>(file('run.json')) : null;
  const finalRead = existsSync(file('final-read.json')) ? readJson<FinalRead>(file('final-read.json')) : null;
  return {
    dir,
    settings,
    finalRead,
    check: (overrides = {}) => check({ history: ops, events, finalRead, expectations: { ...settings?.expectations, ...overrides } }, lines),
  };
}
