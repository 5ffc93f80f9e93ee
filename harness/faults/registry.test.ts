/**
 * The fault registry is the one list of fault kinds: every module in this folder that defines a
 * kind is registered, and everything that lists kinds elsewhere (scenario validation, the random
 * schedule and --faults, the CLI's help, the docs' fault table, the library) lists exactly the
 * registry's, so a kind added with its module and its registry line is a kind everywhere.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CAPABILITY_NAMES } from '../../cluster/index.ts';
import { DEFAULT_SCHEDULE_FAULTS, OPTION_HELP } from '../cli-help.ts';
import * as library from '../library.ts';
import { parseFaultKinds } from '../schedule.ts';
import { builtInScenarios, parseScenario } from '../scenario.ts';
import { kindsInFaultTable, withFaultTable } from './docs.ts';
import { clusterNeeds, FAULT_TYPES, FAULTS, faultKind, libraryName, nemesisForFault, refusal, SCHEDULE_FAULTS } from './index.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCENARIOS_MD = path.join(HERE, '..', '..', 'docs', 'reference', 'scenarios.md');

/** A minimal scenario of a kind, on the first role it may hit. */
function scenarioOf(kind: string) {
  const target = faultKind(kind)!.roles[0]!;
  const planned = faultKind(kind)!.plannedPromotion === true;
  return {
    name: 'mine',
    description: `a ${kind}`,
    fault: { type: kind, target },
    hold: { until: 'time', maxSecs: 1 },
    expect: planned ? { promotion: true, primary: 'standby', maxWriteDownSecs: 9 } : { promotion: 'either', primary: 'either', maxWriteDownSecs: 9 },
  };
}

describe('the fault registry', () => {
  it('holds each kind once, and every module of this folder that defines a kind is in it', () => {
    expect(new Set(FAULT_TYPES).size).toBe(FAULT_TYPES.length);
    const modules = readdirSync(HERE).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    const defining = modules.filter((f) => /^export default defineFault\(/m.test(readFileSync(path.join(HERE, f), 'utf8')));
    const kinds = defining.map((f) => /^\s+kind: '([a-z-]+)',/m.exec(readFileSync(path.join(HERE, f), 'utf8'))?.[1]);
    expect(kinds.slice().sort()).toEqual([...FAULT_TYPES].slice().sort());
  });

  it("each kind's declaration is whole: roles, known capabilities, a nemesis of its own kind, options with sane ranges", () => {
    for (const kind of FAULTS) {
      expect(kind.roles.length, kind.kind).toBeGreaterThan(0);
      for (const need of kind.needs) expect(CAPABILITY_NAMES, `${kind.kind} needs ${need}`).toContain(need);
      expect(nemesisForFault({ type: kind.kind, target: kind.roles[0]! }).kind).toBe(kind.kind);
      for (const [key, option] of Object.entries(kind.options)) {
        if (option.type === 'number') expect(option.min <= option.default && option.default <= option.max, `${kind.kind}.${key}`).toBe(true);
        if (option.type === 'string') expect(option.pattern.test(option.default), `${kind.kind}.${key}`).toBe(true);
      }
      if (kind.schedule) for (const role of kind.schedule.roles) expect(kind.roles, `${kind.kind} scheduled on ${role}`).toContain(role);
    }
  });

  it('scenario validation takes every kind and no other', () => {
    for (const kind of FAULT_TYPES) expect(parseScenario(scenarioOf(kind), 'mine.json').fault.type).toBe(kind);
    expect(() => parseScenario(scenarioOf('kill') && { ...scenarioOf('kill'), fault: { type: 'meteor', target: 'primary' } }, 'mine.json')).toThrow(`fault.type must be one of ${FAULT_TYPES.join(', ')}, not "meteor"`);
  });

  it('random schedules draw exactly the kinds that say how; --faults and its help list exactly those', () => {
    expect(SCHEDULE_FAULTS).toEqual(FAULTS.filter((k) => k.schedule).map((k) => k.kind));
    expect(parseFaultKinds(SCHEDULE_FAULTS.join(','))).toEqual(SCHEDULE_FAULTS);
    for (const kind of FAULT_TYPES.filter((k) => !SCHEDULE_FAULTS.includes(k))) expect(() => parseFaultKinds(kind)).toThrow('is not a fault a random schedule can draw');
    for (const kind of DEFAULT_SCHEDULE_FAULTS.split(',')) expect(SCHEDULE_FAULTS).toContain(kind);
    const help = OPTION_HELP.faults!.text;
    const named = help.replace(/^.*\(default /, '').replace(/\)$/, '').split(/[;,]\s*(?:also )?/).map((k) => k.trim());
    expect(named.slice().sort()).toEqual([...SCHEDULE_FAULTS].slice().sort());
  });

  it("docs/reference/scenarios.md's fault table lists exactly the registry's kinds, as the registry describes them (npm run docs:cli)", () => {
    const page = readFileSync(SCENARIOS_MD, 'utf8');
    expect(kindsInFaultTable(page)).toEqual(FAULT_TYPES);
    expect(page).toBe(withFaultTable(page));
  });

  it('the library has a function for every kind', () => {
    for (const kind of FAULTS) expect(typeof library.faults[libraryName(kind)], libraryName(kind)).toBe('function');
    expect(Object.keys(library.faults).slice().sort()).toEqual(FAULTS.map(libraryName).slice().sort());
  });

  it('every built-in scenario names a registered kind', () => {
    for (const scenario of builtInScenarios()) expect(FAULT_TYPES).toContain(scenario.fault.type);
  });

  it("a target is refused, in one line, for the first capability a kind needs that it lacks; what the cluster must be created with comes from the kinds", () => {
    expect(refusal(['kill', 'freeze'], ['freeze'], 'machines of x over SSH')).toBeUndefined();
    expect(refusal(['kill', 'disk-full'], ['freeze', 'partition'], 'machines of x over SSH', 'disk-full-primary')).toBe(
      'disk-full-primary: the disk-full fault needs the disk-fill capability, which machines of x over SSH does not have',
    );
    expect(clusterNeeds(['kill'])).toEqual({ dataFs: false, faultFs: false, fakeClock: false });
    expect(clusterNeeds(['disk-full', 'clock-skew'])).toEqual({ dataFs: true, faultFs: false, fakeClock: true });
    expect(clusterNeeds(['power-loss'])).toEqual({ dataFs: true, faultFs: true, fakeClock: false });
  });
});
