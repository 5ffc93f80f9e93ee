/**
 * A cluster file made ready for a drill or a dry run: each node's driver, the cluster looked at by
 * SQL (discovery), its HA manager asked through its own interface (with the manager's planned
 * switchover as the cluster's switchover), and the scenarios as they run on a cluster flipdrill
 * did not build (a node a fault leaves down is always started again; the file's expectations).
 */
import {
  attachFaults,
  CORE_FAULTS,
  discover,
  DockerodeClient,
  ImageBuilder,
  managerOf,
  monitorQuery,
  nodeImageOf,
  SshRunner,
  withDatabase,
  withManagerSwitchover,
  type AttachedFaults,
  type Discovery,
  type ForeignClusterFile,
  type HaManager,
  type Logger,
} from '../../cluster/index.ts';
import { planOf, type Scenario } from '../scenario.ts';

export interface FileAttachment {
  file: ForeignClusterFile;
  discovery: Discovery;
  faults: AttachedFaults;
  manager?: HaManager;
  /** Let go of SSH connections. */
  close(): Promise<void>;
}

export interface AttachFileOptions {
  logger: Logger;
  /** Each command a commands node ran, with its output (kept in the run folder). */
  onOutput?: (node: string, command: string, stdout: string, stderr: string) => void;
  /** A dry run starts no helper container (it only says what one would run). */
  dryRun?: boolean;
}

export async function attachFile(file: ForeignClusterFile, options: AttachFileOptions): Promise<FileAttachment> {
  const { logger } = options;
  let docker: DockerodeClient | undefined;
  let ssh: SshRunner | undefined;
  const attached = attachFaults(file, {
    docker: () => (docker ??= new DockerodeClient({ logger })),
    helperImage: options.dryRun
      ? async () => {
          throw new Error('a dry run starts no helper container');
        }
      : () => nodeImageOf(new ImageBuilder({ docker: (docker ??= new DockerodeClient({ logger })), logger }))(),
    ssh: () => (ssh ??= new SshRunner()),
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
  });
  const discovery = await discover(file);
  const primaryUrl = async () => {
    const { primary } = await discover(file);
    const node = file.nodes.find((n) => n.name === primary);
    if (!node) throw new Error('no primary answers');
    return withDatabase(node.url, 'repmgr');
  };
  const manager = managerOf(file, {
    name: discovery.manager.name,
    repmgrQuery: async (sql, params) => monitorQuery(await primaryUrl())(sql, params),
    exec: (node, cmd, o) => attached.exec(node, cmd, o),
  });
  const faults = manager ? withManagerSwitchover(attached, manager, async () => (await discover(file)).primary) : attached;
  return { file, discovery, faults, ...(manager ? { manager } : {}), close: async () => void (await ssh?.close()) };
}

/**
 * A scenario as it runs on a cluster flipdrill did not build: a node killed or stopped is started
 * again in the heal (the drill leaves the cluster whole), and the file's expectations replace the
 * scenario's (its writes-down bound, how long to wait for a promotion).
 */
export function forForeignCluster(scenario: Scenario, file: Pick<ForeignClusterFile, 'expect'>): Scenario {
  const leavesDown = (type: string) => (CORE_FAULTS as readonly string[]).includes(type);
  const kinds = [scenario.fault.type, ...(scenario.plan ?? []).flatMap((s) => (s.step === 'fault' && s.fault ? [s.fault.type] : []))];
  const restart = kinds.some(leavesDown);
  const promotionSecs = file.expect?.promotionWithinSecs;
  const plan = scenario.plan?.map((s) =>
    s.step === 'heal' && restart ? { ...s, restart: true } : s.step === 'hold' && promotionSecs !== undefined ? { ...s, maxSecs: Math.max(s.maxSecs, promotionSecs) } : s,
  );
  const out: Scenario = {
    ...scenario,
    heal: { ...scenario.heal, restart: scenario.heal.restart || restart },
    hold: promotionSecs !== undefined && scenario.hold.until === 'promotion' ? { ...scenario.hold, maxSecs: Math.max(scenario.hold.maxSecs, promotionSecs) } : scenario.hold,
    expect: { ...scenario.expect, ...(file.expect?.maxWriteDownSecs !== undefined ? { maxWriteDownSecs: file.expect.maxWriteDownSecs } : {}) },
    ...(plan ? { plan } : {}),
  };
  // The plan derived from the keys must be valid as it was (a restart keeps the grammar).
  planOf(out);
  return out;
}
