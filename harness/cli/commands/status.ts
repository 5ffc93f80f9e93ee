/** `flipdrill status`: the running cluster's nodes and roles, the endpoint, its agent and the app. */
import { attachCluster, FlipdrillError } from '../../../cluster/index.ts';
import type { ParsedCommand } from '../../cli-args.ts';
import { abortOnSignals, connectEngine, stepPrinter } from '../session.ts';

export async function run({ values, cluster }: ParsedCommand): Promise<number> {
  abortOnSignals('status');
  // --json: no progress lines on stderr either.
  const { logger, docker } = await connectEngine(values, stepPrinter(Boolean(values.json)));
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
