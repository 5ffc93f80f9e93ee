/**
 * What drill and compare share: the scenario (one, several taking turns, or a random schedule),
 * the seed, the timings and the workload, and the progress they show on stderr.
 */
import { randomInt } from 'node:crypto';
import { ConfigError, type ClusterOptions } from '../../cluster/index.ts';
import { DEFAULT_SCHEDULE_FAULTS, number, type ParsedCommand } from '../cli-args.ts';
import type { DrillOptions } from '../drill.ts';
import { ProgressRenderer, progressMode } from '../report/progress.ts';
import { resolveScenario, type Scenario } from '../scenario.ts';
import { parseDuration, parseFaultKinds, parseInterval, scheduleScenario } from '../schedule.ts';
import { WORKLOAD_NAMES } from '../workloads/registry.ts';
import { logLevel } from './session.ts';

export interface DrillSetup {
  /** Drills and comparisons: phases, live counts (see report/progress.ts). */
  progress: ProgressRenderer;
  /** The drill's options from the command line, read when called (a bad value throws then). */
  drillOptions: () => DrillOptions;
}

export function drillSetup(command: 'drill' | 'compare', values: ParsedCommand['values'], cluster: ClusterOptions, signal: AbortSignal): DrillSetup {
  const progress = new ProgressRenderer(process.stderr, progressMode(process.stderr, process.env, Boolean(values.json)));

  const scenarioNames = () => ((values.scenario as string | undefined) ?? 'kill-primary').split(',').map((n) => n.trim()).filter(Boolean);
  if (scenarioNames().length > 1 && command !== 'drill') throw new ConfigError('several scenarios (a,b,c) are for drill --repeat');
  if (scenarioNames().length > 1 && values.repeat === undefined) throw new ConfigError('several scenarios (a,b,c) take turns over --repeat iterations: give --repeat');
  // --nemesis random: the schedule and the workload share one seed, chosen here when not given, so the report names it.
  const seed = number('seed', values.seed as string | undefined, { min: 0, max: 2 ** 31 - 1 }) ?? (values.nemesis ? randomInt(2 ** 31) : undefined);
  const concurrency = () => number('concurrency', values.concurrency as string | undefined, { min: 1, max: 64 });
  const firstScenario = (): Scenario =>
    values.nemesis
      ? scheduleScenario({
          seed: seed!,
          faults: parseFaultKinds((values.faults as string | undefined) ?? DEFAULT_SCHEDULE_FAULTS),
          forSecs: parseDuration('for', (values.for as string | undefined) ?? '5m'),
          intervalSecs: parseInterval((values.interval as string | undefined) ?? '10-30s'),
          overlap: Boolean(values.overlap),
        })
      : resolveScenario(scenarioNames()[0]!);
  const drillOptions = (): DrillOptions => ({
    cluster,
    runsDir: values['runs-dir'] as string | undefined,
    keep: Boolean(values.keep),
    warmupMs: (number('warmup', values.warmup as string | undefined, { min: 1, max: 600 }) ?? 3) * 1000,
    settleMs: (number('settle', values.settle as string | undefined, { min: 1, max: 600 }) ?? 3) * 1000,
    seed,
    scenario: withConcurrency(firstScenario(), concurrency()),
    // --scenario a,b,c with --repeat: the iterations take turns (a soak across faults).
    ...(scenarioNames().length > 1
      ? { rotation: scenarioNames().map((n) => withConcurrency(resolveScenario(n), concurrency())) }
      : {}),
    maxLost: number('max-lost', values['max-lost'] as string | undefined, { min: 0, max: 1_000_000 }),
    ...(values.workload !== undefined ? { workload: workloadName(values.workload as string) } : {}),
    doFaults: (values['do-faults'] as string | undefined)?.split(',') as DrillOptions['doFaults'],
    signal,
    onStep: (step, phase) => progress.step(step, phase),
    onCounts: (counts) => progress.counts(counts),
    onDrillClock: (wallOriginMs) => progress.drillClock(wallOriginMs),
    logLevel: logLevel(values),
    // --verbose: the run folder's log, human-readable, on stderr too.
    ...(values.verbose ? { logEcho: { write: (line: string) => progress.log(line) } } : {}),
  });
  return { progress, drillOptions };
}

/** --workload: one the registry knows. */
function workloadName(raw: string): string {
  if (!WORKLOAD_NAMES.includes(raw)) throw new ConfigError(`--workload must be ${WORKLOAD_NAMES.join(' or ')}, not "${raw}"`);
  return raw;
}

/** --concurrency overrides the scenario's number of clients. */
function withConcurrency(scenario: Scenario, concurrency: number | undefined): Scenario {
  return concurrency === undefined ? scenario : { ...scenario, workload: { ...scenario.workload, concurrency } };
}
