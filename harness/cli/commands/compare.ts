/** `flipdrill compare`: the same drill against the naive app and the aware one (or your client), side by side. */
import { ConfigError, DrillAbortedError } from '../../../cluster/index.ts';
import type { ParsedCommand } from '../../cli-args.ts';
import { renderComparison, runComparison } from '../../compare.ts';
import { drillSetup } from '../drill-options.ts';
import { abortOnSignals, sequelizeOptions } from '../session.ts';

export async function run({ values, cluster }: ParsedCommand): Promise<number> {
  if (values['sequelize-config'] !== undefined) cluster.sequelizeOptions = await sequelizeOptions(values);
  const abort = abortOnSignals('compare');
  const { progress, drillOptions } = drillSetup('compare', values, cluster, abort.signal);
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
