/**
 * `flipdrill drill --cluster <file>`: a drill of a cluster flipdrill did not build.
 *
 *   read the file → look at the cluster (manager, primary, privileges) → say every step and what
 *   it runs → confirm (a terminal's yes, or --yes) → the drill, writing only into its own schema →
 *   wait until the cluster is whole again as its manager sees it → drop the schema (unless --keep)
 *
 * Exit 0 PASS, 1 FAIL, 2 when the drill could not run or was not confirmed (nothing was touched
 * when that is said before the drill), 3 when the cluster is not whole afterwards (one line naming
 * what is not; the run folder's undo.log says what the drill did and undid), 130 interrupted.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import {
  ConfigError,
  createLogger,
  describeError,
  DrillAbortedError,
  ForeignCluster,
  learnFacts,
  readClusterFile,
  waitFor,
  WaitTimeoutError,
  type ClusterOptions,
} from '../../cluster/index.ts';
import { writeFileSafely } from '../../cluster/lib/safe-write.ts';
import { attachFile, forForeignCluster } from '../attach/attach-file.ts';
import { dryRun } from '../attach/dry-run.ts';
import { number, type ParsedCommand } from '../cli-args.ts';
import { runDrill, type DrillOutcome } from '../drill.ts';
import { shownPath } from '../report/run-folder.ts';
import { renderAggregate, renderSummary } from '../report/summary.ts';
import { drillSetup } from './drill-options.ts';
import { abortOnSignals } from './session.ts';

/** How long the cluster has to be whole again after the drill, as its manager sees it. */
const WHOLE_WITHIN_MS = 180_000;

async function confirmed(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** What the drill did and undid, from its events, for the run folder's undo.log. */
function undoLog(runDir: string): string[] {
  const lines: string[] = [];
  const files = [path.join(runDir, 'events.jsonl')];
  for (const file of files) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
      const e = JSON.parse(line) as Record<string, unknown>;
      const at = new Date(Number(e.wall)).toISOString();
      if (e.type === 'fault') lines.push(`${at} fault ${String(e.kind)} on ${String(e.node)}: ${String(e.detail ?? '')}`);
      if (e.type === 'heal') lines.push(`${at} heal ${String(e.node)}${e.restarted ? `: started again, back as ${String(e.role)} after ${String(e.ms)} ms` : ': fault undone'}`);
      if (e.type === 'switchback') lines.push(`${at} switchback to ${String(e.node)}: ${e.ok ? 'done' : String(e.error ?? 'failed')}`);
    }
  }
  return lines;
}

export async function clusterDrill(values: ParsedCommand['values'], cluster: ClusterOptions): Promise<number> {
  const file = readClusterFile(values.cluster as string);
  // Without a terminal to ask on, --yes is the confirmation: refused before anything is contacted.
  if (!values.yes && !process.stdin.isTTY) throw new ConfigError(`a drill acts on ${file.name}, a cluster flipdrill did not build: confirm on a terminal, or give --yes (--dry-run shows what it would run)`);
  const abort = abortOnSignals('drill');
  const { progress, drillOptions } = drillSetup('drill', values, cluster, abort.signal);
  const options = drillOptions();
  const scenarios = (options.rotation ?? [options.scenario!]).map((s) => forForeignCluster(s, file));
  const commandOutput: string[] = [];
  const attachment = await attachFile(file, {
    logger: createLogger({ level: 'silent' }),
    onOutput: (node, command, stdout, stderr) => commandOutput.push(`## ${new Date().toISOString()} ${node} ${command}`, stdout.trimEnd(), stderr.trimEnd()),
  });
  let foreign: ForeignCluster | undefined;
  let runDir: string | undefined;
  let outcome: DrillOutcome | undefined;
  let failure: unknown;
  try {
    // Say what every step will run before anything runs; refuse what cannot be drilled here.
    const plan = await dryRun(file, attachment.faults, scenarios, attachment.manager);
    const refused = plan.refused[0];
    if (plan.discovery.problems.length || refused) {
      for (const p of plan.discovery.problems) process.stderr.write(`flipdrill: ${p}\n`);
      if (refused) process.stderr.write(`flipdrill: ${refused.scenario} cannot be drilled on ${file.name}: ${refused.why}\n`);
      return 2;
    }
    if (!values.json) process.stderr.write(plan.text.replace(/a dry run: nothing is created, injected or changed/, 'what the drill will do'));
    if (!values.yes) {
      if (!(await confirmed(`\ndrill ${file.name} as above (${scenarios.map((s) => s.name).join(', ')})? [y/N] `))) {
        process.stderr.write('flipdrill: not confirmed; nothing was done\n');
        return 2;
      }
    }
    const facts = await learnFacts(file);
    outcome = await runDrill({
      ...options,
      scenario: scenarios[0]!,
      ...(scenarios.length > 1 ? { rotation: scenarios } : {}),
      repeat: number('repeat', values.repeat as string | undefined, { min: 1, max: 1000 }),
      onRunFolder: (run) => (runDir = run.dir),
      connect: async () => {
        foreign = new ForeignCluster(file, facts, {
          faults: attachment.faults,
          ...(attachment.manager ? { manager: attachment.manager } : {}),
          ...(runDir ? { appLogFile: path.join(runDir, 'app.log') } : {}),
        });
        progress.step(`creating the drill's schema flipdrill in ${facts.database}, through ${foreign.endpoint.address}`);
        await foreign.createSchema();
        progress.step(`starting the app here, writing through ${foreign.endpoint.address} into schema flipdrill`);
        await foreign.useAppProfile(cluster.appProfile ?? 'aware', abort.signal);
        return foreign;
      },
    });
  } catch (error) {
    failure = error;
  } finally {
    progress.end();
  }

  // Whatever happened: the app stops, the cluster must be whole again, the schema goes.
  let notWhole: string | undefined;
  if (foreign) {
    await foreign.release();
    const seenBy = attachment.manager ? `as ${attachment.manager.name} sees it` : 'by SQL';
    process.stderr.write(`waiting until ${file.name} is whole again ${seenBy} (every node back, one primary, replicas streaming)\n`);
    let last: string[] = [];
    try {
      await waitFor(`${file.name} whole again`, async () => (last = await foreign!.wholeness()).length === 0, { timeoutMs: WHOLE_WITHIN_MS, intervalMs: 1000 });
      process.stderr.write(`${file.name} is whole again ${seenBy}\n`);
    } catch (error) {
      if (!(error instanceof WaitTimeoutError)) throw error;
      notWhole = last.join('; ') || 'it did not say';
    }
    if (!values.keep) {
      await foreign
        .dropSchema()
        .then((dropped) => dropped && process.stderr.write(`dropped the drill's schema flipdrill\n`))
        .catch((e: Error) => process.stderr.write(`flipdrill: could not drop the drill's schema flipdrill: ${e.message}\n`));
    }
  }
  await attachment.close();
  if (runDir) {
    const lines = [...undoLog(runDir), notWhole ? `NOT WHOLE after ${WHOLE_WITHIN_MS / 1000} s: ${notWhole}` : foreign ? 'whole again' : 'the drill did not start'];
    writeFileSafely(path.join(runDir, 'undo.log'), `${lines.join('\n')}\n`);
    if (commandOutput.length) writeFileSafely(path.join(runDir, 'commands.log'), `${commandOutput.join('\n')}\n`);
  }

  if (failure) {
    if (failure instanceof DrillAbortedError || abort.signal.aborted) {
      process.stderr.write(`flipdrill: drill interrupted; its faults are undone${runDir ? `; run folder: ${shownPath(runDir)}` : ''}\n`);
      return 130;
    }
    if (!runDir) throw failure;
    process.stderr.write(`flipdrill: ${describeError(failure)}\n  (run folder: ${shownPath(runDir)})\n`);
  }
  if (notWhole) {
    process.stderr.write(`flipdrill: ${file.name} is not whole after the drill: ${notWhole} (what the drill did and undid: ${shownPath(path.join(runDir ?? '.', 'undo.log'))})\n`);
    return 3;
  }
  if (failure || !outcome) return 2;
  const { report, aggregate } = outcome;
  if (aggregate) {
    process.stdout.write(values.json ? `${JSON.stringify(aggregate, null, 2)}\n` : `\n${renderAggregate(aggregate, shownPath(runDir!))}\n`);
    return aggregate.verdict === 'PASS' ? 0 : 1;
  }
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `\n${renderSummary(report.result, shownPath(runDir!), report.scenario)}\n`);
  return report.result.verdict === 'PASS' ? 0 : 1;
}
