/**
 * `flipdrill drill --cluster <file> --dry-run`: the cluster file read, the cluster looked at by SQL,
 * and every step a drill would run printed with its command; nothing created, injected or changed.
 * Exit 0 when a drill could start, 2 when something stands in its way (each said in one line).
 */
import { createLogger, readClusterFile } from '../../cluster/index.ts';
import { attachFile, forForeignCluster } from '../attach/attach-file.ts';
import { dryRun } from '../attach/dry-run.ts';
import { builtInScenarios, resolveScenario } from '../scenario.ts';

export async function clusterDryRun(values: Record<string, unknown>): Promise<number> {
  const file = readClusterFile(values.cluster as string);
  const attachment = await attachFile(file, { logger: createLogger({ level: 'silent' }), dryRun: true });
  try {
    const scenarios = (values.scenario ? String(values.scenario).split(',').map((s) => resolveScenario(s.trim())) : builtInScenarios()).map((s) => forForeignCluster(s, file));
    const plan = await dryRun(file, attachment.faults, scenarios, attachment.manager);
    if (values.json) process.stdout.write(`${JSON.stringify({ discovery: plan.discovery, drills: plan.drills, refused: plan.refused }, null, 2)}\n`);
    else process.stdout.write(plan.text);
    return plan.discovery.problems.length ? 2 : 0;
  } finally {
    await attachment.close();
  }
}
