/**
 * A real client's view beside the app's: while a drill runs, a plain psql loop in a container of
 * its own on the application network inserts through the same endpoint the app writes to (each
 * attempt cut at 0.5 s), so the bench's window is not only flipdrill measuring itself. The loop
 * starts with the warm-up, the fault's moment is taken when the drill injects it, and the loop is
 * read once the drill is over (the drill keeps its cluster; the caller removes it).
 */
import { attachCluster, type DockerClient, type Logger } from '../../cluster/index.ts';
import type { DrillPhase } from '../report/report.ts';
import { startInsertLoop, writeGapMs, type InsertLoop } from '../probe/front-probe.ts';

export interface PsqlView {
  /** Pass to the drill: starts the loop on the warm-up, notes the fault's moment. */
  onStep(step: string, phase?: DrillPhase): void;
  /** After the drill: the longest stretch psql could not commit, from the last commit before the fault on (ms). */
  writeGapMs(): Promise<number | null>;
}

export function psqlView(o: { docker: DockerClient; logger: Logger; cluster: string; say?: (line: string) => void }): PsqlView {
  let loop: Promise<InsertLoop | undefined> | undefined;
  let faultAt: number | undefined;
  const start = async (): Promise<InsertLoop | undefined> => {
    const cluster = await attachCluster(o.docker, o.logger, o.cluster);
    if (!cluster) return undefined;
    const { spec } = cluster;
    const endpoint = spec.endpoint === 'virtual-ip' ? spec.virtualIp.address : spec.endpointAlias;
    return startInsertLoop({ docker: o.docker, cluster: o.cluster, app: cluster.credentials.app, endpoint }, { attemptMs: 500, maxSecs: 180 });
  };
  return {
    onStep(_step, phase) {
      if (phase === 'warm-up' && !loop) {
        loop = start().catch((error: Error) => {
          o.say?.(`the psql loop did not start: ${error.message.split('\n')[0]}`);
          return undefined;
        });
      }
      if (phase === 'fault' && faultAt === undefined) faultAt = Date.now();
    },
    async writeGapMs() {
      const started = await loop;
      if (!started) return null;
      const record = await started.stop();
      return faultAt === undefined ? null : (writeGapMs(record.attempts, faultAt) ?? null);
    },
  };
}
