/**
 * `flipdrill drill --cluster <file> --dry-run`: the cluster file read, the cluster looked at by SQL,
 * and every step a drill would run printed with its command; nothing created, injected or changed.
 * Exit 0 when a drill could start, 2 when something stands in its way (each said in one line).
 */
import {
  createLogger,
  DockerodeClient,
  ImageBuilder,
  monitorQuery,
  nodeImageOf,
  PatroniManager,
  PgAutoFailoverManager,
  readClusterFile,
  SshRunner,
  attachFaults,
  discover,
  withManagerSwitchover,
  type ForeignClusterFile,
  type HaManager,
} from '../../cluster/index.ts';
import { dryRun } from '../attach/dry-run.ts';
import { builtInScenarios, resolveScenario } from '../scenario.ts';

/** The manager's interface as the file gives it (Patroni's REST URLs, pg_auto_failover's monitor). */
function managerFromFile(file: ForeignClusterFile): HaManager | undefined {
  const apis = file.nodes.flatMap((n) => (n.patroni ? [{ node: n.name, url: n.patroni }] : []));
  if ((file.manager === undefined || file.manager === 'patroni') && apis.length) return new PatroniManager(apis);
  if ((file.manager === undefined || file.manager === 'pg_auto_failover') && file.monitor) {
    return new PgAutoFailoverManager(
      monitorQuery(file.monitor),
      file.nodes.map((n) => {
        const m = /@([^:/?,]+)(?::(\d+))?/.exec(n.url);
        return { node: n.name, ...(m ? { host: m[1]!, ...(m[2] ? { port: Number(m[2]) } : {}) } : {}) };
      }),
    );
  }
  return undefined;
}

export async function clusterDryRun(values: Record<string, unknown>): Promise<number> {
  const file = readClusterFile(values.cluster as string);
  const logger = createLogger({ level: 'silent' });
  let docker: DockerodeClient | undefined;
  let ssh: SshRunner | undefined;
  const attached = attachFaults(file, {
    docker: () => (docker ??= new DockerodeClient({ logger })),
    helperImage: () => nodeImageOf(new ImageBuilder({ docker: (docker ??= new DockerodeClient({ logger })), logger }))(),
    ssh: () => (ssh ??= new SshRunner()),
  });
  const manager = managerFromFile(file);
  // The manager's own planned switchover, where the file gives its interface.
  const faults = manager ? withManagerSwitchover(attached, manager, async () => (await discover(file)).primary) : attached;
  const scenarios = values.scenario ? String(values.scenario).split(',').map((s) => resolveScenario(s.trim())) : builtInScenarios();
  const plan = await dryRun(file, faults, scenarios, manager);
  if (values.json) process.stdout.write(`${JSON.stringify({ discovery: plan.discovery, drills: plan.drills, refused: plan.refused }, null, 2)}\n`);
  else process.stdout.write(plan.text);
  return plan.discovery.problems.length ? 2 : 0;
}
