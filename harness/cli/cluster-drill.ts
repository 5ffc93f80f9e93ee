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
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { ConfigError, connectDocker, describeError, DrillAbortedError, ForeignAppImage, prepareClientModule, readClusterFile, type ClusterOptions } from '../../cluster/index.ts';
import { forForeignCluster } from '../attach/attach-file.ts';
import { drillFile } from '../attach/drill-file.ts';
import { number, type ParsedCommand } from '../cli-args.ts';
import { shownPath } from '../report/run-folder.ts';
import { renderAggregate, renderSummary } from '../report/summary.ts';
import { drillSetup } from './drill-options.ts';
import { abortOnSignals } from './session.ts';

async function confirmed(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export async function clusterDrill(values: ParsedCommand['values'], cluster: ClusterOptions): Promise<number> {
  const file = readClusterFile(values.cluster as string);
  // Without a terminal to ask on, --yes is the confirmation: refused before anything is contacted.
  if (!values.yes && !process.stdin.isTTY) throw new ConfigError(`a drill acts on ${file.name}, a cluster flipdrill did not build: confirm on a terminal, or give --yes (--dry-run shows what it would run)`);
  const abort = abortOnSignals('drill');
  const { progress, drillOptions } = drillSetup('drill', values, cluster, abort.signal);
  const options = drillOptions();
  const scenarios = (options.rotation ?? [options.scenario!]).map((s) => forForeignCluster(s, file));
  const say = (line: string) => process.stderr.write(`${line}\n`);
  // Your app's image runs in a container of this machine's engine (none is installed for it), checked first.
  const appImage = cluster.appImage ? new ForeignAppImage(await connectDocker({ allowInstall: false }), cluster.appImage, `flipdrill-${file.name}-app`) : undefined;
  await appImage?.check();
  // Your module, checked (and a TypeScript one bundled) before anything is contacted.
  const client = cluster.client ? await prepareClientModule(cluster.client) : undefined;
  const app = client
    ? `your client module ${client.name}, served by the client host on this machine (127.0.0.1)`
    : appImage
      ? `your app image ${appImage.image}, in the container ${appImage.name} on this machine's network (127.0.0.1)`
      : "flipdrill's app, on this machine (127.0.0.1)";
  let r: Awaited<ReturnType<typeof drillFile>>;
  try {
    r = await drillFile({
      file,
      scenarios,
      ...(client ? { client } : {}),
      ...(appImage ? { appImage } : {}),
      drill: { ...options, repeat: number('repeat', values.repeat as string | undefined, { min: 1, max: 1000 }) },
      appProfile: cluster.appProfile ?? 'aware',
      signal: abort.signal,
      step: (line) => progress.step(line),
      say,
      keep: Boolean(values.keep),
      afterDrill: () => progress.end(),
      // Say what every step will run before anything runs; then a terminal's yes, or --yes.
      confirm: async (plan) => {
        if (!values.json) process.stderr.write(`${plan.text.replace(/a dry run: nothing is created, injected or changed/, 'what the drill will do')}the app: ${app}\n`);
        if (values.yes) return true;
        if (await confirmed(`\ndrill ${file.name} as above (${scenarios.map((s) => s.name).join(', ')})? [y/N] `)) return true;
        say('flipdrill: not confirmed; nothing was done');
        return false;
      },
    });
  } finally {
    // A TypeScript module's bundle, whatever happened (the drill disposes of it once loaded).
    client?.dispose();
  }
  const { runDir, outcome, failure, notWhole } = r;
  if (r.refused) {
    for (const p of r.refused.problems) say(`flipdrill: ${p}`);
    if (r.refused.scenario) say(`flipdrill: ${r.refused.scenario.scenario} cannot be drilled on ${file.name}: ${r.refused.scenario.why}`);
    return 2;
  }
  if (r.notConfirmed) return 2;
  if (r.wholeError) throw r.wholeError;
  if (r.dropError) say(`flipdrill: could not drop the drill's schema flipdrill: ${r.dropError}`);

  // A cluster left not whole is said first, whatever else happened (an error, Ctrl-C): exit 3.
  if (notWhole) {
    if (failure && !(failure instanceof DrillAbortedError)) say(`flipdrill: ${describeError(failure)}`);
    say(`flipdrill: ${file.name} is not whole after the drill: ${notWhole} (what the drill did and undid: ${shownPath(path.join(runDir ?? '.', 'undo.log'))})`);
    return 3;
  }
  if (failure) {
    if (failure instanceof DrillAbortedError || abort.signal.aborted) {
      say(`flipdrill: drill interrupted; its faults are undone${runDir ? `; run folder: ${shownPath(runDir)}` : ''}`);
      return 130;
    }
    if (!runDir) throw failure;
    say(`flipdrill: ${describeError(failure)}\n  (run folder: ${shownPath(runDir)})`);
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
