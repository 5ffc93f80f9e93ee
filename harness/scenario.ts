/**
 * Scenarios are data: a JSON file says which fault, on which node, for how long, how it is healed,
 * what load runs, and what must happen. A reliability engineer writes a new one without touching
 * TypeScript; `flipdrill drill --scenario <name|file>` runs it, `flipdrill scenarios` lists them.
 *
 *   warm-up → [lag] → fault → hold (until promotion, or a fixed time) → heal → [switch back] →
 *   settle → final read
 *
 * A switchover is a fault here too: a planned one, which the endpoint must follow all the same.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../cluster/index.ts';
import { faultKind, parseFault, type FaultSpec } from './faults/index.ts';
import { planFromKeys, planProblem, STEP_ORDER, type PlanStep } from './plan.ts';

export { FAULT_TYPES, type FaultSpec, type FaultType, type Role } from './faults/index.ts';

export interface Scenario {
  name: string;
  description: string;
  /** The phase plan, when the file states one (hold, heal, warmupSecs and settleSecs are then read from it); see planOf. */
  plan?: PlanStep[];
  fault: FaultSpec;

  /** How long the fault stays before it is healed. */
  hold: { until: 'promotion' | 'time'; maxSecs: number };
  heal: {
    /** Restart the faulted node after undoing the fault: an old primary rejoins as a standby. */
    restart: boolean;
    /**
     * Fail back: once the old primary is a standby again, make it primary again with a planned
     * switchover (`repmgr standby switchover` on it), and the endpoint must follow.
     */
    switchback: boolean;
  };
  warmupSecs: number;
  settleSecs: number;
  /** analyticsFraction: the share of writes that go to the app's second database. */
  workload: { concurrency: number; readFraction: number; pauseMs: number; analyticsFraction: number };
  expect: {
    /** Must repmgrd promote a standby (true), or must it not (false)? "either": the history must hold whichever way it goes. */
    promotion: boolean | 'either';
    /** The node that must be primary at the end: the one that was primary or standby when the fault hit ("either": one of them). */
    primary: 'primary' | 'standby' | 'either';
    /** Longest acceptable gap in acknowledged writes, as the clients saw it. */
    maxWriteDownSecs: number;
    /** The old primary (or the faulted node) must be back as a standby after the heal. */
    rejoin?: boolean;
  };
}

export const SCENARIO_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'scenarios');

function fail(where: string, message: string): never {
  throw new ConfigError(`scenario ${where}: ${message}`);
}

function num(where: string, key: string, value: unknown, min: number, max: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) fail(where, `${key} must be a number from ${min} to ${max}`);
  return value;
}

function oneOf<T extends string>(where: string, key: string, value: unknown, allowed: readonly T[], fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback;
  if (!allowed.includes(value as T)) fail(where, `${key} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
  return value as T;
}

function obj(where: string, key: string, value: unknown, optional = false): Record<string, unknown> {
  if (value === undefined && optional) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, `${key} must be an object`);
  return value as Record<string, unknown>;
}

/** Validate a parsed scenario file, filling defaults; every problem is one clear message. */
export function parseScenario(raw: unknown, where: string): Scenario {
  const s = obj(where, 'the file', raw);
  const known = new Set(['name', 'description', 'fault', 'plan', 'hold', 'heal', 'warmupSecs', 'settleSecs', 'workload', 'expect']);
  for (const key of Object.keys(s)) if (!known.has(key)) fail(where, `unknown key "${key}" (known: ${[...known].join(', ')})`);
  if (typeof s.name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(s.name)) fail(where, 'name must be lowercase letters, digits and dashes');
  if (typeof s.description !== 'string' || s.description.length === 0) fail(where, 'description must be a sentence');
  const fault = parseFault(obj(where, 'fault', s.fault), (message) => fail(where, message));
  // The phase plan: stated as `plan`, or by the hold, heal, warmupSecs and settleSecs keys (not both).
  const stated = s.plan === undefined ? undefined : parsePlan(where, s.plan);
  if (stated) {
    const both = ['hold', 'heal', 'warmupSecs', 'settleSecs'].filter((k) => s[k] !== undefined);
    if (both.length) fail(where, `give the plan or ${both.join(', ')}, not both (the plan states them)`);
  }
  const fromPlan = <T extends PlanStep['step']>(step: T) => stated?.find((x): x is Extract<PlanStep, { step: T }> => x.step === step);
  const hold = stated ? { ...(fromPlan('hold') ?? { until: 'time', maxSecs: 0 }) } : obj(where, 'hold', s.hold);
  const heal = stated ? { restart: fromPlan('heal')!.restart, switchback: fromPlan('switchback') !== undefined } : obj(where, 'heal', s.heal, true);
  const workload = obj(where, 'workload', s.workload, true);
  const expect = obj(where, 'expect', s.expect);
  if (typeof expect.promotion !== 'boolean' && expect.promotion !== 'either') fail(where, 'expect.promotion must be true, false or "either"');
  for (const key of Object.keys(heal)) if (key !== 'restart' && key !== 'switchback') fail(where, `unknown key "heal.${key}" (known: restart, switchback)`);
  if (heal.restart !== undefined && typeof heal.restart !== 'boolean') fail(where, 'heal.restart must be true or false');
  if (heal.switchback !== undefined && typeof heal.switchback !== 'boolean') fail(where, 'heal.switchback must be true or false');
  if (expect.rejoin !== undefined && typeof expect.rejoin !== 'boolean') fail(where, 'expect.rejoin must be true or false');
  const scenario: Scenario = {
    name: s.name,
    description: s.description,
    fault,
    hold: { until: oneOf(where, 'hold.until', hold.until, ['promotion', 'time'] as const), maxSecs: num(where, 'hold.maxSecs', hold.maxSecs, 0, 600) },
    heal: { restart: (heal.restart as boolean | undefined) ?? false, switchback: (heal.switchback as boolean | undefined) ?? false },
    warmupSecs: stated ? fromPlan('warm-up')!.secs : num(where, 'warmupSecs', s.warmupSecs, 0.5, 600, 3),
    settleSecs: stated ? fromPlan('settle')!.secs : num(where, 'settleSecs', s.settleSecs, 0.5, 600, 3),
    workload: {
      concurrency: num(where, 'workload.concurrency', workload.concurrency, 1, 64, 4),
      readFraction: num(where, 'workload.readFraction', workload.readFraction, 0, 0.95, 0.3),
      pauseMs: num(where, 'workload.pauseMs', workload.pauseMs, 0, 10_000, 20),
      analyticsFraction: num(where, 'workload.analyticsFraction', workload.analyticsFraction, 0, 1, 0.2),
    },
    expect: {
      promotion: expect.promotion as boolean | 'either',
      primary: oneOf(where, 'expect.primary', expect.primary, ['primary', 'standby', 'either'] as const),
      maxWriteDownSecs: num(where, 'expect.maxWriteDownSecs', expect.maxWriteDownSecs, 0, 3600),
      ...(expect.rejoin !== undefined ? { rejoin: expect.rejoin as boolean } : {}),
    },
  };
  // A planned promotion (a switchover): the manager promotes the standby and rejoins the old primary itself.
  const switchover = faultKind(fault.type)?.plannedPromotion === true;
  if (scenario.heal.switchback) {
    if (!scenario.expect.promotion) fail(where, 'heal.switchback switches back after a promotion: expect.promotion must be true');
    if (!switchover && !(scenario.heal.restart && scenario.fault.target === 'primary')) {
      fail(where, 'heal.switchback needs the old primary back as a standby first: a switchover fault, or heal.restart with fault.target primary');
    }
    if (scenario.expect.primary !== 'primary') fail(where, 'after heal.switchback the old primary is primary again: expect.primary must be primary');
  } else if (scenario.expect.promotion === 'either' || scenario.expect.primary === 'either') {
    if (scenario.expect.promotion !== 'either' || scenario.expect.primary !== 'either') fail(where, 'expect.promotion "either" goes with expect.primary "either", and only with it');
    if (scenario.heal.restart) fail(where, 'with expect.promotion "either" the heal cannot know whether to restart a demoted primary: heal.restart must be false');
  } else {
    if (scenario.expect.promotion && scenario.expect.primary !== 'standby') fail(where, 'a promotion makes the standby primary: expect.primary must be standby');
    if (!scenario.expect.promotion && scenario.expect.primary !== 'primary') fail(where, 'without a promotion the primary stays: expect.primary must be primary');
  }
  if (switchover && !scenario.expect.promotion) fail(where, 'a switchover promotes the standby: expect.promotion must be true');
  if (scenario.expect.rejoin && !scenario.heal.restart && !switchover) fail(where, 'expect.rejoin needs heal.restart: a node rejoins when it restarts (or a switchover, where repmgr rejoins it)');
  return stated ? { ...scenario, plan: stated } : scenario;
}

/** What the runner does, in order: the plan the file stated, or the one its keys describe. */
export function planOf(scenario: Scenario): PlanStep[] {
  return scenario.plan ?? planFromKeys(scenario);
}

/** A stated plan: its steps in the grammar's order (harness/plan.ts), each with its own settings. */
function parsePlan(where: string, raw: unknown): PlanStep[] {
  if (!Array.isArray(raw)) fail(where, 'plan must be an array of steps, like [{ "step": "warm-up", "secs": 3 }, { "step": "fault" }, ...]');
  const steps = (raw as unknown[]).map((item, i): PlanStep => {
    const at = `plan[${i}]`;
    const o = obj(where, at, item);
    const name = oneOf(where, `${at}.step`, o.step, STEP_ORDER);
    const allowed: Record<PlanStep['step'], string[]> = { 'warm-up': ['secs'], quiet: ['secs'], fault: [], hold: ['until', 'maxSecs'], heal: ['restart'], switchback: [], settle: ['secs'], 'final-read': [] };
    for (const key of Object.keys(o)) if (key !== 'step' && !allowed[name].includes(key)) fail(where, `unknown key "${at}.${key}" (a ${name} step takes ${allowed[name].join(', ') || 'nothing'})`);
    switch (name) {
      case 'warm-up':
      case 'quiet':
      case 'settle':
        return { step: name, secs: num(where, `${at}.secs`, o.secs, 0.5, 600, 3) };
      case 'fault':
        return { step: 'fault' };
      case 'hold':
        return { step: 'hold', until: oneOf(where, `${at}.until`, o.until, ['promotion', 'time'] as const), maxSecs: num(where, `${at}.maxSecs`, o.maxSecs, 0, 600) };
      case 'heal':
        if (o.restart !== undefined && typeof o.restart !== 'boolean') fail(where, `${at}.restart must be true or false`);
        return { step: 'heal', restart: (o.restart as boolean | undefined) ?? false };
      default:
        return { step: name };
    }
  });
  const problem = planProblem(steps.map((x) => x.step));
  if (problem) fail(where, `plan: ${problem}`);
  return steps;
}

export function readScenarioFile(file: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`scenario ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON (${(error as Error).message})`}`);
  }
  return parseScenario(raw, file);
}

/** The built-in scenarios, by name. */
export function builtInScenarios(): Scenario[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => readScenarioFile(path.join(SCENARIO_DIR, f)));
}

/** A built-in scenario's name, or the path of a scenario file. */
export function resolveScenario(nameOrFile: string): Scenario {
  if (nameOrFile.endsWith('.json') || nameOrFile.includes('/')) return readScenarioFile(nameOrFile);
  const file = path.join(SCENARIO_DIR, `${nameOrFile}.json`);
  if (!existsSync(file)) {
    throw new ConfigError(`unknown scenario "${nameOrFile}"`, { hint: `built-in: ${builtInScenarios().map((s) => s.name).join(', ')}; or give a .json file` });
  }
  return readScenarioFile(file);
}
