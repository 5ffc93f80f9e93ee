/** What the runner's steps share in one iteration: set up once, then what the run has seen so far. */
import type { ClusterSnapshot } from '../../cluster/index.ts';
import type { AppClient } from '../client/app-client.ts';
import type { DrillClock } from '../history.ts';
import type { PlanStep } from '../plan.ts';
import type { RunFolder } from '../report/run-folder.ts';
import type { LiveCounts } from '../report/report.ts';
import type { Scenario } from '../scenario.ts';
import type { Workload, WorkloadKind, WorkloadSettings } from '../workloads/workload.ts';
import type { DrillContext, IterationOptions, RecordEvent } from './context.ts';
import type { FaultStack } from './open-faults.ts';

export interface Iteration {
  ctx: DrillContext;
  scenario: Scenario;
  options: IterationOptions;
  run: RunFolder;
  clock: DrillClock;
  recordEvent: RecordEvent;
  /** The faults: the one now (or last) injected, and those on. */
  faults: FaultStack;
  /** The cluster when the iteration began. */
  before: ClusterSnapshot;
  kind: WorkloadKind;
  workloadSettings: WorkloadSettings;
  app: AppClient;
  workload: Workload;
  live: LiveCounts;
  seen: Seen;
}

/** What the watcher and the workload have seen so far, which the steps wait on. */
export interface Seen {
  /** Set before the fault is sent: a switchover only returns once the promotion is long done. */
  faultSentAt?: number;
  promotedTo?: string;
  okWrites: number;
  settleFrom?: { ns: number; primary: string };
  firstOkSettlingNs?: number;
  finalPrimary?: string;
}

export type StepRunner<S extends PlanStep> = (it: Iteration, step: S) => Promise<void>;
