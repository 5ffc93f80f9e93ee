/** `flipdrill down`: removes the cluster of that name (default flipdrill) and all it made. */
import { removeClusters } from '../../../cluster/index.ts';
import type { ParsedCommand } from '../../cli-args.ts';
import { abortOnSignals, connectEngine, stepPrinter } from '../session.ts';

export async function run({ values, cluster }: ParsedCommand): Promise<number> {
  abortOnSignals('down');
  const { logger, docker } = await connectEngine(values, stepPrinter(false));
  const removed = await removeClusters(docker, logger, cluster.name);
  if (values.json) process.stdout.write(`${JSON.stringify({ removed })}\n`);
  else process.stdout.write(removed.length ? `removed ${removed.join(', ')}\n` : 'nothing of flipdrill to remove\n');
  return 0;
}
