/**
 * flipdrill's command line. From a clone: `npm run flipdrill -- <command>`; `npm run drill` is
 * `flipdrill drill`. Exit codes: 0 PASS (or success), 1 FAIL, 2 usage or environment error,
 * 130 interrupted. Errors are one line; the details are in the run folder's log.
 */
import { randomInt } from 'node:crypto';
import {
  attachCluster,
  ConfigError,
  connectDocker,
  createLogger,
  describeError,
  DrillAbortedError,
  FlipdrillError,
  ImageBuilder,
  removeClusters,
  startCluster,
} from '../cluster/index.ts';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_SCHEDULE_FAULTS, number, parseCommandLine, USAGE, VERSION } from './cli-args.ts';
import { commandHelp, type Command } from './cli-help.ts';
import { REPORT_SCHEMA, type DrillReport } from './report/report.ts';
import { shownPath } from './report/run-folder.ts';
import { MalformedHistoryError } from './checker/history.ts';
import { HistoryFormatError } from './history.ts';
import { builtInScenarios, resolveScenario, type Scenario } from './scenario.ts';
import { parseDuration, parseFaultKinds, parseInterval, scheduleScenario } from './schedule.ts';
import { loadRun, RunFolderError } from './report/stored-run.ts';
import { runDrill, type DrillOptions } from './drill.ts';
import { renderComparison, runComparison } from './compare.ts';
import { printable, renderAggregate, renderSummary } from './report/summary.ts';
import { ProgressRenderer, progressMode } from './report/progress.ts';
import { runTutorial } from './tutorial.ts';
import { WORKLOAD_NAMES } from './workloads/registry.ts';
import { loadSequelizeConfig } from './sequelize-config.ts';

/** Progress lines on stderr, with the time since the command started; stdout stays for results. */
function stepPrinter(quiet: boolean): (step: string) => void {
  const started = Date.now();
  return (step) => {
    if (quiet) return;
    process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${step}\n`);
  };
}

/** With --json, stdout holds JSON only: results, and errors as {"error", "hint"}. */
let jsonOutput = false;

async function main(argv: string[]): Promise<number> {
  jsonOutput = argv.includes('--json');
  const { command, target, values, cluster } = parseCommandLine(argv);
  if (command === 'version') {
    process.stdout.write(values.json ? `${JSON.stringify({ version: VERSION })}\n` : `flipdrill ${VERSION}\n`);
    return 0;
  }
  if (command === 'help') {
    process.stdout.write(`${target ? commandHelp(target as Command) : USAGE}\n`);
    return 0;
  }
  if (command === 'check') return checkCommand(target!, values);
  if (command === 'report') {
    if (!existsSync(target!)) throw new ConfigError(`no folder at ${target}`, { hint: 'give the folder drills write their run folders to (default runs)' });
    const { writeRunsIndex } = await import('./report/runs-index.ts');
    const { file, runs } = writeRunsIndex(target!);
    process.stdout.write(values.json ? `${JSON.stringify({ file: shownPath(file), runs })}\n` : `${runs} runs: ${shownPath(file)}\n`);
    return 0;
  }
  // Your Sequelize config, read here (it may be JavaScript): one environment of it, for the app.
  if (values['sequelize-config'] !== undefined) {
    cluster.sequelizeOptions = await loadSequelizeConfig(values['sequelize-config'] as string, (values['sequelize-env'] as string | undefined) ?? 'production');
    if (command !== 'compare') cluster.appProfile = 'config';
  }
  if (command === 'flip') {
    // The same program the nodes' promote hook runs (cluster/endpoint/digitalocean/flip-cli.ts).
    const { runFlip: flip } = await import('../cluster/endpoint/digitalocean/flip-cli.ts');
    return flip([target!, ...(values.ip ? ['--ip', values.ip as string] : []), ...(values.droplet ? ['--droplet', values.droplet as string] : [])], process.env);
  }
  if (command === 'scenarios') {
    const all = builtInScenarios();
    if (values.json) {
      process.stdout.write(`${JSON.stringify(all.map((s) => ({ name: s.name, description: s.description, fault: s.fault, expect: s.expect })), null, 2)}\n`);
      return 0;
    }
    const width = Math.max(...all.map((s) => s.name.length));
    const expects = all.map((s) => `${s.expect.promotion === 'either' ? 'failover or none' : s.expect.promotion ? 'failover' : 'no failover'}, writes down ≤ ${s.expect.maxWriteDownSecs} s`);
    const expectWidth = Math.max(...expects.map((e) => e.length));
    process.stdout.write(`${'scenario'.padEnd(width)}  ${'expected'.padEnd(expectWidth)}  fault\n`);
    all.forEach((s, i) => process.stdout.write(`${s.name.padEnd(width)}  ${expects[i]!.padEnd(expectWidth)}  ${s.description}\n`));
    return 0;
  }
  const abort = new AbortController();
  let firstInterrupt = 0;
  const onSignal = () => {
    // One Ctrl-C can arrive twice (from the terminal and relayed by tsx's parent process): only a
    // second press a moment later means "quit now, skip the cleanup".
    if (firstInterrupt && Date.now() - firstInterrupt > 1000) process.exit(130);
    if (firstInterrupt) return;
    firstInterrupt = Date.now();
    const cleanup = command === 'drill' || command === 'compare' || command === 'up' ? ' and removing what flipdrill created' : '';
    process.stderr.write(`\ninterrupted: stopping${cleanup} (Ctrl-C again to quit at once)\n`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const onStep = stepPrinter(command === 'status' && Boolean(values.json));
  const logLevel = values.verbose ? 'debug' : 'info';
  // Drills and comparisons: phases, live counts (see report/progress.ts).
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
    signal: abort.signal,
    onStep: (step, phase) => progress.step(step, phase),
    onCounts: (counts) => progress.counts(counts),
    onDrillClock: (wallOriginMs) => progress.drillClock(wallOriginMs),
    logLevel,
    // --verbose: the run folder's log, human-readable, on stderr too.
    ...(values.verbose ? { logEcho: { write: (line: string) => progress.log(line) } } : {}),
  });

  if (command === 'compare') {
    if (values.repeat !== undefined) throw new ConfigError('compare runs each profile once; --repeat is for drill');
    try {
      // With a Sequelize config of yours: yours beside the aware app, instead of the tutorial's.
      const comparison = await runComparison({ ...drillOptions(), ...(cluster.sequelizeOptions ? { profiles: ['config', 'aware'] as const } : {}) }).finally(() => progress.end());
      process.stdout.write(values.json ? `${JSON.stringify(comparison, null, 2)}\n` : `\n${renderComparison(comparison)}\n`);
      // Exit 0 when your client passes (with --client), else when the aware app does.
      const judged = comparison.columns.find((c) => c.profile === 'client') ?? comparison.columns.find((c) => c.profile === 'aware');
      return judged?.verdict === 'PASS' ? 0 : 1;
    } catch (error) {
      if (error instanceof DrillAbortedError || abort.signal.aborted) {
        process.stderr.write('flipdrill: compare interrupted; everything it created is removed\n');
        return 130;
      }
      throw error;
    }
  }

  if (command === 'tutorial') {
    await runTutorial({ cluster, yes: Boolean(values.yes), keep: Boolean(values.keep), input: process.stdin, output: process.stdout, signal: abort.signal });
    return 0;
  }

  if (command === 'drill') {
    let runDir: string | undefined;
    try {
      const { report, aggregate } = await runDrill({
        ...drillOptions(),
        repeat: number('repeat', values.repeat as string | undefined, { min: 1, max: 1000 }),
        ...(values.target ? { target: values.target as string } : {}),
        onRunFolder: (run) => (runDir = run.dir),
      }).finally(() => progress.end());
      if (aggregate) {
        process.stdout.write(values.json ? `${JSON.stringify(aggregate, null, 2)}\n` : `\n${renderAggregate(aggregate, shownPath(runDir!))}\n`);
        return aggregate.verdict === 'PASS' ? 0 : 1;
      }
      process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `\n${renderSummary(report.result, shownPath(runDir!), report.scenario)}\n`);
      return report.result.verdict === 'PASS' ? 0 : 1;
    } catch (error) {
      if (error instanceof DrillAbortedError || abort.signal.aborted) {
        process.stderr.write(`flipdrill: drill interrupted; everything it created is removed${runDir ? `; run folder: ${shownPath(runDir)}` : ''}\n`);
        return 130;
      }
      if (!runDir) throw error;
      // What went wrong first, in one line; then where the record of it is.
      if (values.json) process.stdout.write(`${JSON.stringify({ error: describeError(error), runFolder: shownPath(runDir) })}\n`);
      process.stderr.write(`flipdrill: ${describeError(error)}\n  (run folder: ${shownPath(runDir)})\n`);
      return 2;
    }
  }

  const logger = createLogger({ file: process.env.FLIPDRILL_LOG_FILE, level: logLevel });
  const docker = await connectDocker({ logger, onStep });

  if (command === 'down') {
    const removed = await removeClusters(docker, logger, cluster.name);
    if (values.json) process.stdout.write(`${JSON.stringify({ removed })}\n`);
    else process.stdout.write(removed.length ? `removed ${removed.join(', ')}\n` : 'nothing of flipdrill to remove\n');
    return 0;
  }

  if (command === 'status') {
    const started = await attachCluster(docker, logger, cluster.name);
    if (!started) throw new FlipdrillError(`no cluster named "${cluster.name ?? 'flipdrill'}" is running`, { hint: 'run: npm run flipdrill -- up' });
    const status = await started.status();
    if (values.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    else {
      for (const n of status.nodes) process.stdout.write(`${n.name.padEnd(6)} ${n.role.padEnd(8)} ${n.container}\n`);
      process.stdout.write(`endpoint ${status.endpoint.kind} on ${status.endpoint.holder ?? 'nobody'}\n`);
      process.stdout.write(`agent  ${status.agent.running ? 'running' : `NOT RUNNING: ${status.agent.problem ?? ''}`}  ${status.agent.container}\n`);
      process.stdout.write(`app ${status.app.url}\n`);
    }
    return 0;
  }

  // up
  const existing = await attachCluster(docker, logger, cluster.name);
  if (existing) {
    onStep(`cluster "${existing.spec.name}" is already running`);
    if (cluster.appProfile && cluster.appProfile !== (await existing.appProfile())) {
      onStep(`replacing the app with the ${cluster.appProfile} one`);
      await existing.useAppProfile(cluster.appProfile, abort.signal);
    }
    if (values.json) process.stdout.write(`${JSON.stringify(await existing.status(), null, 2)}\n`);
  } else {
    onStep('building images (cached after the first run)');
    const images = await new ImageBuilder({ docker, logger, onStep }).ensureAll();
    if (abort.signal.aborted) throw new DrillAbortedError('interrupted');
    const t0 = Date.now();
    const started = await startCluster(cluster, { docker, images, logger, onStep, signal: abort.signal });
    onStep(`cluster up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const status = await started.status();
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ ...status, nodes: status.nodes.map((n) => ({ ...n, hostPort: started.node(n.name).hostPort })) }, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(
      `${status.nodes.map((n) => `${n.name} ${n.role} 127.0.0.1:${started.node(n.name).hostPort}`).join('\n')}\n` +
        `app ${status.app.url}\nendpoint ${started.spec.endpointAlias} on ${status.endpoint.holder}\n` +
        `The endpoint agent (${status.agent.container}) moves the endpoint to a promoted standby; follow it with: docker logs -f ${status.agent.container}\n` +
        `Remove everything with: npm run flipdrill -- down\n`,
    );
  }
  return 0;
}

/** --concurrency overrides the scenario's number of clients. */
function workloadName(raw: string): string {
  if (!WORKLOAD_NAMES.includes(raw)) throw new ConfigError(`--workload must be ${WORKLOAD_NAMES.join(' or ')}, not "${raw}"`);
  return raw;
}

function withConcurrency(scenario: Scenario, concurrency: number | undefined): Scenario {
  return concurrency === undefined ? scenario : { ...scenario, workload: { ...scenario.workload, concurrency } };
}

/** `flipdrill check <run folder>`: 0 valid, 1 anomalies, 2 malformed (never PASS). */
function checkCommand(dir: string, values: Record<string, string | boolean | undefined>): number {
  const maxLost = number('max-lost', values['max-lost'] as string | undefined, { min: 0, max: 1_000_000 });
  try {
    const stored = loadRun(dir);
    const result = stored.check(maxLost === undefined ? {} : { maxLost });
    // A run folder may come from anywhere: what it says reaches the terminal without control characters.
    process.stdout.write(values.json ? `${JSON.stringify(reportDocument(dir, stored.settings, result), null, 2)}\n` : `${printable(renderSummary(result, shownPath(dir), stored.settings?.scenario))}\n`);
    return result.verdict === 'PASS' ? 0 : 1;
  } catch (error) {
    if (error instanceof MalformedHistoryError || error instanceof HistoryFormatError || error instanceof RunFolderError) {
      if (values.json) process.stdout.write(`${JSON.stringify({ error: `malformed run, not checked: ${error.message}` })}\n`);
      process.stderr.write(`flipdrill: malformed run, not checked: ${printable(error.message)}\n`);
      return 2;
    }
    throw error;
  }
}

/**
 * `check --json`: the report document, as report.json holds it, with the checker's new result; a
 * run cut off before its report.json gets the parts its run.json gives.
 */
function reportDocument(dir: string, settings: ReturnType<typeof loadRun>['settings'], result: DrillReport['result']): DrillReport | Record<string, unknown> {
  const file = path.join(dir, 'report.json');
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as DrillReport;
    if (stored.schema === REPORT_SCHEMA) return { ...stored, result };
  }
  return { schema: REPORT_SCHEMA, runId: settings?.runId ?? path.basename(dir), scenario: settings?.scenario ?? null, startedAt: settings?.startedAt ?? null, seed: settings?.seed ?? null, result };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof DrillAbortedError) {
      if (jsonOutput) process.stdout.write(`${JSON.stringify({ error: 'interrupted; everything created was removed' })}\n`);
      process.stderr.write('flipdrill: interrupted; everything created was removed\n');
      process.exit(130);
    }
    const known = error instanceof FlipdrillError;
    if (jsonOutput) process.stdout.write(`${JSON.stringify({ error: known ? error.message : describeError(error), ...(known && error.hint ? { hint: error.hint } : {}) })}\n`);
    process.stderr.write(`flipdrill: ${describeError(error)}\n`);
    if (!known && process.env.FLIPDRILL_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(2);
  },
);
