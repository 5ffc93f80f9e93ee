/** `npm run bench`'s options, checked before anything is created: a bad one is one line and exit 2. */
import { parseArgs } from 'node:util';
import { builtInScenarios, type Scenario } from '../scenario.ts';
import { configurations, STUDY_PROFILES, type Config } from './configurations.ts';
import { MANAGER_CONFIGS, MANAGER_FAULTS, REPLICATIONS, type ManagerConfigName, type ManagerFault, type Replication } from './managers.ts';
import { DEFAULT_STALLS_SECS, type TuningProfile } from './tuning.ts';

export const SUITES = ['configs', 'scale', 'layers', 'sessions', 'scenarios', 'hand-kill', 'tuning', 'managers'] as const;

export interface BenchArgs {
  suites: string[];
  drills: number;
  baselineDrills: number;
  bringUps: number;
  noCold: boolean;
  scenarioRuns: number;
  layerSeconds: number;
  layerRounds: number;
  handKills: number;
  handKillCluster: 'library' | 'compose';
  loadMinutes: number;
  tuningRuns: number;
  tuningWindows: number;
  tuningProfiles: TuningProfile[];
  stalls: number[];
  /** The managers suite: which configurations, faults and replication modes, and drills of each. */
  managers: ManagerConfigName[];
  managerFaults: ManagerFault[];
  managerReplication: Replication[];
  managerDrills: number;
  /** Every configuration, and the ones --configs chose (undefined: all). */
  configs: Config[];
  chosen?: string[];
  knownScenarios: Scenario[];
  /** --only: the scenarios the scenarios suite drills (undefined: all). */
  only?: string[];
}

const fail = (message: string): never => {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
};

/** The command line's options (process.argv), each checked in turn; the first bad one ends the process. */
export function parseBenchArgs(): BenchArgs {
  const { values } = parseArgs({
    options: {
      suites: { type: 'string', default: 'configs,scale,layers' },
      configs: { type: 'string' },
      drills: { type: 'string', default: '5' },
      'baseline-drills': { type: 'string', default: '20' },
      'bring-ups': { type: 'string', default: '3' },
      'no-cold': { type: 'boolean', default: false },
      scenarios: { type: 'string', default: '1' },
      only: { type: 'string' },
      'layer-seconds': { type: 'string', default: '5' },
      'layer-rounds': { type: 'string', default: '3' },
      'hand-kills': { type: 'string', default: '3' },
      'hand-kill-cluster': { type: 'string', default: 'library' },
      'load-minutes': { type: 'string', default: '0' },
      profiles: { type: 'string', default: 'repmgr-defaults,fast,faster' },
      stalls: { type: 'string', default: DEFAULT_STALLS_SECS.join(',') },
      'tuning-runs': { type: 'string', default: '5' },
      'tuning-windows': { type: 'string', default: '3' },
      managers: { type: 'string', default: MANAGER_CONFIGS.join(',') },
      'manager-faults': { type: 'string', default: MANAGER_FAULTS.join(',') },
      'manager-drills': { type: 'string', default: '10' },
      'manager-replication': { type: 'string', default: REPLICATIONS.join(',') },
    },
    strict: true,
  });

  const int = (name: string, raw: string, min: number, max: number): number => {
    const n = Number(raw);
    return Number.isInteger(n) && n >= min && n <= max ? n : fail(`--${name} must be a whole number from ${min} to ${max}, not "${raw}"`);
  };
  const suites = values.suites.split(',').map((s) => s.trim());
  for (const s of suites) if (!SUITES.includes(s as (typeof SUITES)[number])) fail(`--suites takes ${SUITES.join(', ')}, not "${s}"`);
  const drills = int('drills', values.drills, 1, 50);
  const baselineDrills = int('baseline-drills', values['baseline-drills'], 1, 100);
  const bringUps = int('bring-ups', values['bring-ups'], 1, 20);
  const scenarioRuns = int('scenarios', values.scenarios, 1, 20);
  const layerSeconds = int('layer-seconds', values['layer-seconds'], 1, 60);
  const layerRounds = int('layer-rounds', values['layer-rounds'], 1, 10);
  const handKills = int('hand-kills', values['hand-kills'], 1, 20);
  const loadMinutes = int('load-minutes', values['load-minutes'], 0, 240);
  const tuningRuns = int('tuning-runs', values['tuning-runs'], 1, 20);
  const tuningWindows = int('tuning-windows', values['tuning-windows'], 0, 20);
  const tuningProfiles = values.profiles.split(',').map((n) => STUDY_PROFILES.find((p) => p.name === n.trim()) ?? fail(`--profiles takes ${STUDY_PROFILES.map((p) => p.name).join(', ')}, not "${n}"`));
  const stalls = values.stalls.split(',').map((raw) => {
    const n = Number(raw);
    return Number.isFinite(n) && n >= 0.1 && n <= 60 ? n : fail(`--stalls takes seconds from 0.1 to 60, not "${raw}"`);
  });
  const listOf = <T extends string>(name: string, raw: string, known: readonly T[]): T[] => {
    const items = raw.split(',').map((x) => x.trim()).filter(Boolean);
    if (items.length === 0) fail(`--${name} takes one or more of ${known.join(', ')}`);
    for (const x of items) if (!known.includes(x as T)) fail(`--${name} takes ${known.join(', ')}, not "${x}"`);
    return [...new Set(items)] as T[];
  };
  const managers = listOf('managers', values.managers, MANAGER_CONFIGS);
  const managerFaults = listOf('manager-faults', values['manager-faults'], MANAGER_FAULTS);
  const managerReplication = listOf('manager-replication', values['manager-replication'], REPLICATIONS);
  const managerDrills = int('manager-drills', values['manager-drills'], 1, 50);
  const handKillCluster = values['hand-kill-cluster'] === 'library' || values['hand-kill-cluster'] === 'compose' ? values['hand-kill-cluster'] : fail(`--hand-kill-cluster takes library or compose, not "${values['hand-kill-cluster']}"`);

  const configs = configurations(drills, baselineDrills);
  const chosen = values.configs?.split(',').map((s) => s.trim());
  for (const c of chosen ?? []) if (!configs.some((k) => k.name === c)) fail(`--configs takes ${configs.map((k) => k.name).join(', ')}, not "${c}"`);
  const knownScenarios = builtInScenarios();
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of only ?? []) if (!knownScenarios.some((s) => s.name === name)) fail(`--only names an unknown scenario: ${name}`);

  return {
    suites,
    drills,
    baselineDrills,
    bringUps,
    noCold: values['no-cold'],
    scenarioRuns,
    layerSeconds,
    layerRounds,
    handKills,
    handKillCluster,
    loadMinutes,
    tuningRuns,
    tuningWindows,
    tuningProfiles,
    stalls,
    managers,
    managerFaults,
    managerReplication,
    managerDrills,
    configs,
    ...(chosen ? { chosen } : {}),
    knownScenarios,
    ...(only ? { only } : {}),
  };
}
