/**
 * What the bench drills: its own cluster (name, ports and subnets of its own, so a cluster you have
 * running is left alone), the configurations it compares with the baseline, and the timing
 * profiles of the detection-tuning study.
 */
import { TIMING_PROFILES, type ClusterOptions } from '../../cluster/index.ts';
import { resolveScenario, type Scenario } from '../scenario.ts';
import type { TuningProfile } from './tuning.ts';

export const BASE: ClusterOptions = { name: 'flipdrill-bench', portBase: 23432, appPort: 23480, backSubnet: '10.213.51.0/24', frontSubnet: '10.213.52.0/24' };
export const killPrimary = resolveScenario('kill-primary');

export interface Config {
  name: string;
  label: string;
  cluster: ClusterOptions;
  scenario: Scenario;
  drills: number;
}
/** repmgr's default timing waits about a minute before it elects: give the drill room to see it. */
const patient: Scenario = { ...killPrimary, hold: { ...killPrimary.hold, maxSecs: 180 }, expect: { ...killPrimary.expect, maxWriteDownSecs: 240 } };

/** The baseline (--baseline-drills drills) and one change at a time (--drills each). */
export function configurations(drills: number, baselineDrills: number): Config[] {
  return [
    { name: 'baseline', label: 'fast, sync, aware, Docker alias', cluster: {}, scenario: killPrimary, drills: baselineDrills },
    { name: 'timing-repmgr-defaults', label: "repmgr's default timing", cluster: { timing: 'repmgr-defaults' }, scenario: patient, drills },
    { name: 'async', label: 'async replication', cluster: { replication: 'async' }, scenario: killPrimary, drills },
    { name: 'naive', label: "the tutorial's Sequelize config", cluster: { appProfile: 'naive' }, scenario: killPrimary, drills },
    { name: 'virtual-ip', label: 'virtual IP', cluster: { endpoint: 'virtual-ip' }, scenario: killPrimary, drills },
    { name: 'do-simulator', label: 'DigitalOcean floating IP (simulator)', cluster: { endpoint: 'do-simulator' }, scenario: killPrimary, drills },
    // The fault file system's cost (the disk faults' drills run on it): the size-limited data file
    // system alone, then with the fault file system over it, against the baseline's plain disk.
    { name: 'data-fs', label: 'data on a 512 MB ext4 image (loop mount)', cluster: { dataFsMb: 512 }, scenario: killPrimary, drills },
    { name: 'fault-fs', label: "data behind flipdrill's fault file system (FUSE) on that image", cluster: { dataFsMb: 512, faultFs: true }, scenario: killPrimary, drills },
  ];
}

/** The profiles the study compares: the two the product has, and one faster candidate (one reconnect attempt). */
export const STUDY_PROFILES: TuningProfile[] = [
  { name: 'repmgr-defaults', timing: TIMING_PROFILES['repmgr-defaults'] },
  { name: 'fast', timing: TIMING_PROFILES.fast },
  { name: 'faster', timing: { monitorIntervalSecs: 1, reconnectAttempts: 1, reconnectInterval: 0 } },
];
