/**
 * A run folder read back: what `flipdrill check` and the drill itself feed the checker, so a
 * re-check of a stored run gives exactly the drill's own verdict.
 *
 *   run.json         the drill's settings (scenario, replication, lost-write budget), written first
 *   history.jsonl    every operation
 *   events.jsonl     the fault, promotion, endpoint moves, repmgr's events
 *   final-read.json  every row on the new primary at the end (absent if the drill never got there)
 */
import { closeSync, constants, existsSync, fstatSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { check } from '../checker/checker.ts';
import type { CheckResult, Expectations, FinalRead } from '../checker/types.ts';
import { workloadOf } from '../workloads/registry.ts';
import type { WorkloadSettings } from '../workloads/workload.ts';
import { parseEvents, parseHistoryLines } from '../history.ts';
import type { ClusterEvent } from '../op.ts';

export const RUN_SCHEMA = 'flipdrill.run/v1';

export interface RunSettings {
  schema: typeof RUN_SCHEMA;
  runId: string;
  scenario: string;
  startedAt: string;
  seed: number;
  expectations: Expectations;
  /** The workload and its settings (absent in runs from before there were several: the set). */
  workload?: WorkloadSettings;
}

export class RunFolderError extends Error {
  override name = 'RunFolderError';
}

/** The largest file of a run folder flipdrill reads (a history of a long soak is a few tens of MB). */
export const MAX_RUN_FILE_BYTES = 512 * 1024 * 1024;

/**
 * A run folder's file, only if it is a regular file (a FIFO or a device would never end) and not
 * above the cap. Opened without blocking, then checked on the open descriptor.
 */
export function readRunFile(file: string, maxBytes = MAX_RUN_FILE_BYTES): string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new RunFolderError(`cannot open ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new RunFolderError(`${file} is not a regular file`);
    if (stat.size > maxBytes) throw new RunFolderError(`${file} is ${stat.size} bytes, more than the ${maxBytes} flipdrill reads`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * A run folder's JSON file, read as readRunFile reads. A parse error names the file and nothing
 * of what it holds: JSON.parse's message quotes the file's first bytes, and the file may be a link
 * to anything.
 */
export function readRunJson<T>(file: string): T {
  const text = readRunFile(file);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new RunFolderError(`${path.basename(file)} in ${path.dirname(file)} is not valid JSON`);
  }
}

/** final-read.json: { node, rows: [{ id, committed_by, ... }] }, checked so a bad one says where. */
function validFinalRead(value: unknown, file: string): FinalRead {
  const bad = (what: string): never => {
    throw new RunFolderError(`${file}: ${what}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('not an object');
  const v = value as Record<string, unknown>;
  if (!Array.isArray(v.rows)) bad(`rows must be an array, not ${JSON.stringify(v.rows)?.slice(0, 40)}`);
  (v.rows as unknown[]).forEach((row, i) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) bad(`row ${i + 1} is not an object`);
    if (typeof (row as Record<string, unknown>).id !== 'string') bad(`row ${i + 1}: id must be a string`);
  });
  return value as FinalRead;
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
  const { ops, lines } = parseHistoryLines(readRunFile(file('history.jsonl')));
  const events: ClusterEvent[] = existsSync(file('events.jsonl')) ? parseEvents(readRunFile(file('events.jsonl'))) : [];
  const settings = existsSync(file('run.json')) ? readRunJson<RunSettings>(file('run.json')) : null;
  const finalRead = existsSync(file('final-read.json')) ? validFinalRead(readRunJson<unknown>(file('final-read.json')), file('final-read.json')) : null;
  return {
    dir,
    settings,
    finalRead,
    check: (overrides = {}) => {
      const workload = workloadOf(settings?.workload);
      return check(
        {
          history: ops,
          events,
          finalRead,
          expectations: { ...settings?.expectations, ...overrides },
          workload: { ...workload.kind, check: (pairs, read) => workload.kind.check(pairs, read, workload.settings) },
        },
        lines,
      );
    },
  };
}
