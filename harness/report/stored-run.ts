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
import { SESSION_GUARANTEES } from '../checker/types.ts';
import { WORKLOADS, workloadNamed, workloadOf } from '../workloads/registry.ts';
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
 * A run folder's file, only if it is a regular file (a FIFO or a device would never end), not a
 * symbolic link (a run folder may come from anywhere, and a link could lead to any file root can
 * read), and not above the cap. Opened without blocking and without following a link, then
 * checked on the open descriptor.
 */
export function readRunFile(file: string, maxBytes = MAX_RUN_FILE_BYTES): string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new RunFolderError(`${file} is not a regular file: a symbolic link, not followed`);
    throw new RunFolderError(`cannot open ${file}: ${code ?? (error as Error).message}`);
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

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const wholeNumber = (min: number) => (v: unknown) => (Number.isSafeInteger(v) && (v as number) >= min ? null : `a whole number of ${min} or more`);
const oneOf =
  (what: string, ...values: unknown[]) =>
  (v: unknown) =>
    values.includes(v) ? null : what;
const optional = (test: (v: unknown) => string | null) => (v: unknown) => (v === undefined ? null : test(v));

/**
 * Each expectation run.json may hold, and what it must be (null: fine). Keyed by Expectations, so
 * an expectation added there cannot be forgotten here.
 */
const EXPECTATION_FIELDS: Record<keyof Expectations, (v: unknown) => string | null> = {
  maxLost: wholeNumber(0),
  replication: oneOf('sync or async', 'sync', 'async'),
  promotion: oneOf('true, false or "either"', true, false, 'either'),
  finalPrimary: oneOf('primary, standby or either', 'primary', 'standby', 'either'),
  maxWriteDownMs: optional((v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? null : 'a number of 0 or more')),
  rejoin: optional(oneOf('true or false', true, false)),
  switchback: optional(oneOf('true or false', true, false)),
  nodeStamps: optional(oneOf('true or false', true, false)),
  sessionGuarantees: optional((v) => (Array.isArray(v) && v.every((g) => (SESSION_GUARANTEES as readonly unknown[]).includes(g)) ? null : `a list of ${SESSION_GUARANTEES.join(', ')}`)),
};

/** What a workload's settings must hold beyond its name and prefix. */
const WORKLOAD_FIELDS: Record<string, Record<string, (v: unknown) => string | null>> = {
  bank: { accounts: wholeNumber(1), balance: wholeNumber(0) },
};

/**
 * run.json checked against its schema (flipdrill.run/v1) before the checker believes it: the
 * expectations decide the verdict, so a run.json that is not what a drill writes is refused, never
 * checked against defaults. What is wrong is named; nothing of the file is quoted.
 */
export function validRunSettings(value: unknown, dir: string): RunSettings {
  const bad = (what: string): never => {
    throw new RunFolderError(`${what} (in ${dir})`);
  };
  const must = (field: string, test: (v: unknown) => string | null, v: unknown) => {
    const what = test(v);
    if (what !== null) bad(`run.json: ${field} must be ${what}`);
  };
  if (!isObject(value)) return bad('run.json is not an object');
  if (value.schema !== RUN_SCHEMA) bad(`run.json is not of schema ${RUN_SCHEMA}`);
  const text = (v: unknown) => (typeof v === 'string' ? null : 'a string');
  for (const field of ['runId', 'scenario', 'startedAt'] as const) must(field, text, value[field]);
  must('seed', (v) => (Number.isSafeInteger(v) ? null : 'a whole number'), value.seed);

  const expectations = value.expectations;
  if (!isObject(expectations)) return bad('run.json: expectations must be an object');
  for (const [field, test] of Object.entries(EXPECTATION_FIELDS)) must(`expectations.${field}`, test, expectations[field]);
  if (Object.keys(expectations).some((key) => !Object.hasOwn(EXPECTATION_FIELDS, key))) bad('run.json: expectations has a field this flipdrill does not know');

  const workload = value.workload;
  if (workload !== undefined) {
    if (!isObject(workload)) return bad('run.json: workload must be an object');
    const names = Object.keys(WORKLOADS);
    must('workload.name', (v) => (typeof v === 'string' && workloadNamed(v) ? null : `one of ${names.join(', ')}`), workload.name);
    must('workload.prefix', text, workload.prefix);
    for (const [field, test] of Object.entries(WORKLOAD_FIELDS[workload.name as string] ?? {})) must(`workload.${field}`, test, workload[field]);
  }
  return value as unknown as RunSettings;
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
  const settings = existsSync(file('run.json')) ? validRunSettings(readRunJson<unknown>(file('run.json')), dir) : null;
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
