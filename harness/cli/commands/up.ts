/**
 * `flipdrill up`: starts a cluster and leaves it running (images built first, cached after); one
 * already running is kept, its app replaced when another profile is asked for.
 */
import { attachCluster, DrillAbortedError, ImageBuilder, startCluster } from '../../../cluster/index.ts';
import type { ParsedCommand } from '../../cli-args.ts';
import { abortOnSignals, connectEngine, sequelizeOptions, stepPrinter } from '../session.ts';

export async function run({ values, cluster }: ParsedCommand): Promise<number> {
  if (values['sequelize-config'] !== undefined) {
    cluster.sequelizeOptions = await sequelizeOptions(values);
    cluster.appProfile = 'config';
  }
  const abort = abortOnSignals('up');
  const onStep = stepPrinter(false);
  const { logger, docker } = await connectEngine(values, onStep);
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
