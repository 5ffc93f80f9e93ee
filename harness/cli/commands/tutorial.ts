/** `flipdrill tutorial`: the guided walk through a failover (harness/tutorial.ts). */
import type { ParsedCommand } from '../../cli-args.ts';
import { runTutorial } from '../../tutorial.ts';
import { abortOnSignals } from '../session.ts';

export async function run({ values, cluster }: ParsedCommand): Promise<number> {
  const abort = abortOnSignals('tutorial');
  await runTutorial({ cluster, yes: Boolean(values.yes), keep: Boolean(values.keep), input: process.stdin, output: process.stdout, signal: abort.signal });
  return 0;
}
