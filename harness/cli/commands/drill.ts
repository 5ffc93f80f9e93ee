/**
 * `flipdrill drill`: one scenario, several taking turns (--repeat), or a random schedule; exit 0
 * PASS, 1 FAIL, 2 when the drill stopped with an error, 130 interrupted.
 */
import { describeError, DrillAbortedError } from '../../../cluster/index.ts';
import { number, type ParsedCommand } from '../../cli-args.ts';
import { runDrill } from '../../drill.ts';
import { shownPath } from '../../report/run-folder.ts';
import { renderAggregate, renderSummary } from '../../report/summary.ts';
import { clusterDrill } from '../cluster-drill.ts';
import { clusterDryRun } from '../cluster-dry-run.ts';
import { drillSetup } from '../drill-options.ts';
import { abortOnSignals, sequelizeOptions } from '../session.ts';

export async function run({ values, cluster }: ParsedCommand): Promise<number> {
  if (values.cluster !== undefined) return values['dry-run'] ? clusterDryRun(values) : clusterDrill(values, cluster);
  if (values['sequelize-config'] !== undefined) {
    cluster.sequelizeOptions = await sequelizeOptions(values);
    cluster.appProfile = 'config';
  }
  const abort = abortOnSignals('drill');
  const { progress, drillOptions } = drillSetup('drill', values, cluster, abort.signal);
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
