/**
 * `flipdrill drill --cluster <file> --dry-run`: what a drill of a cluster flipdrill did not build
 * would find and run, and nothing run. It reads the file, looks at every node by SQL (the manager,
 * the primary, each standby's upstream, the drill role's privileges), and prints, for each
 * scenario whose faults the nodes' drivers can take and say in advance, every step with exactly
 * what it would run. Nothing is created, injected or changed.
 */
import { discover, DRILL_SCHEMA, shown, type AttachedFaults, type Discovery, type ForeignClusterFile, type HaManager } from '../../cluster/index.ts';
import { describeFault, faultKind, nemesisForFault, refusal, type FaultTargets } from '../faults/index.ts';
import { planOf, type Scenario } from '../scenario.ts';
import type { CapabilityName } from '../../cluster/index.ts';

export interface DryRun {
  text: string;
  discovery: Discovery;
  /** The scenarios it would drill, and those it could not, each with why. */
  drills: string[];
  refused: { scenario: string; why: string }[];
}

function targetsFor(discovery: Discovery, faults: AttachedFaults, scenario: Scenario): FaultTargets | string {
  const primary = discovery.primary;
  if (!primary) return 'no primary';
  const standby = discovery.nodes.find((n) => n.role === 'standby')?.name;
  const witness = discovery.nodes.find((n) => n.role === 'witness')?.name;
  const role = scenario.fault.target;
  const node = role === 'primary' ? primary : role === 'standby' ? standby : role === 'witness' ? witness : undefined;
  if (!node) return `the cluster has no ${role}`;
  return { cluster: faults, node, primary, ...(standby ? { standby } : {}), ...(witness ? { witness } : {}) };
}

/** The steps of one scenario on this cluster, each with what it runs. */
function steps(file: ForeignClusterFile, discovery: Discovery, scenario: Scenario, targets: FaultTargets, faults: AttachedFaults, manager?: HaManager): string[] {
  const out: string[] = [];
  const nemesis = nemesisForFault(scenario.fault);
  const database = discovery.nodes.find((n) => n.name === discovery.primary)?.privileges?.database ?? 'the endpoint\'s database';
  out.push(`create the drill's schema through the endpoint ${shown(file.endpoint)}: CREATE SCHEMA IF NOT EXISTS ${DRILL_SCHEMA} (database ${database}); its tables only in it`);
  for (const step of planOf(scenario)) {
    switch (step.step) {
      case 'warm-up':
        out.push(`warm up: ${scenario.workload.concurrency} clients write into ${DRILL_SCHEMA}.* through the endpoint for ${step.secs} s`);
        break;
      case 'quiet':
        out.push(`quiet: writes go on for ${step.secs} s`);
        break;
      case 'fault':
        out.push(`fault on ${targets.node} (the ${scenario.fault.target}): ${describeFault(scenario.fault, targets)}`);
        break;
      case 'hold':
        out.push(step.until === 'promotion' ? `hold: until another node answers as primary, at most ${step.maxSecs} s (watched by SQL, nothing run)` : `hold: ${step.maxSecs} s`);
        break;
      case 'heal': {
        const undo = nemesis.undoing?.(targets);
        const down = nemesis.down?.(targets) ?? targets.node;
        out.push(`heal: ${[undo, step.restart ? `start ${down} again: ${faults.describeStart(down)}` : undefined].filter(Boolean).join(', then ') || 'nothing to undo'}`);
        break;
      }
      case 'switchback':
        out.push(`switch back to ${targets.primary}: ${faults.capabilities.switchover?.describe?.(targets.primary, targets.node) ?? 'a planned switchover'}`);
        break;
      case 'settle':
        out.push(`settle: writes through the primary for ${step.secs} s`);
        break;
      case 'final-read':
        out.push(`final read: SELECT the drill's rows from ${DRILL_SCHEMA}.* on the primary`);
        break;
    }
  }
  out.push(`wait until the cluster is whole again as ${manager ? `${manager.name} sees it` : discovery.manager.name !== 'none' ? `its nodes answer (${discovery.manager.name}'s own view is not asked here)` : 'its nodes answer'} (every node back, one primary, replicas streaming)`);
  out.push(`drop the drill's schema: DROP SCHEMA ${DRILL_SCHEMA} CASCADE (unless --keep)`);
  return out;
}

/** Look, plan, print; run nothing. `scenarios`: the ones asked for, or every built-in. */
export async function dryRun(file: ForeignClusterFile, faults: AttachedFaults, scenarios: readonly Scenario[], manager?: HaManager): Promise<DryRun> {
  const discovery = await discover(file);
  const has = Object.keys(faults.capabilities) as CapabilityName[];
  const lines: string[] = [];
  const node = (n: Discovery['nodes'][number]) =>
    n.role === 'down' ? `${n.name} (down: ${n.error})` : `${n.name} (${n.role}${n.timeline !== undefined ? `, timeline ${n.timeline}` : ''}${n.upstream ? `, streaming from ${n.upstream}` : ''})`;
  lines.push(`cluster ${file.name} (${file.source}): ${file.nodes.length} nodes; a dry run: nothing is created, injected or changed`);
  lines.push(`  manager      ${discovery.manager.name} (${discovery.manager.how})`);
  lines.push(`  primary      ${discovery.primary ?? 'none'}`);
  lines.push(`  nodes        ${discovery.nodes.map(node).join('; ')}`);
  if (discovery.replication.length) lines.push(`  replication  ${discovery.replication.map((r) => `${r.name} ${r.state}, ${r.sync}`).join('; ')} (pg_stat_replication on ${discovery.primary})`);
  const writer = discovery.nodes.find((n) => n.name === discovery.primary)?.privileges;
  if (writer) lines.push(`  drill role   ${writer.role}: pg_monitor ${writer.monitor ? 'yes' : 'no'}; may create a schema in ${writer.database}: ${writer.createSchema ? 'yes' : 'no'}`);
  lines.push(`  reached by   ${faults.nodes.join('; ')}`);
  lines.push(`  can          ${has.length ? has.join(', ') : 'the core only'} on every node, besides kill, stop and start${faults.lacking.length ? `; lacking: ${faults.lacking.join('; ')}` : ''}`);
  const drills: string[] = [];
  const refused: DryRun['refused'] = [];
  for (const scenario of scenarios) {
    const kinds = [scenario.fault.type, ...(scenario.plan ?? []).flatMap((s) => (s.step === 'fault' && s.fault ? [s.fault.type] : []))];
    const switchback = scenario.heal.switchback || (scenario.plan ?? []).some((s) => s.step === 'switchback');
    const why =
      refusal([...kinds, ...(switchback ? ['switchover'] : [])], has, 'this cluster') ??
      (kinds.find((k) => !faultKind(k)?.describe) ? `the ${kinds.find((k) => !faultKind(k)?.describe)} fault cannot say in advance what it runs on a cluster flipdrill did not build` : undefined);
    const targets = why ? undefined : targetsFor(discovery, faults, scenario);
    if (why || typeof targets === 'string' || !targets) {
      refused.push({ scenario: scenario.name, why: why ?? (targets as string | undefined) ?? 'no targets' });
      continue;
    }
    drills.push(scenario.name);
    lines.push('', `${scenario.name}: ${scenario.description}`);
    for (const [i, s] of steps(file, discovery, scenario, targets, faults, manager).entries()) lines.push(`  ${i + 1}. ${s}`);
  }
  if (refused.length) lines.push('', 'not drilled here:', ...refused.map((r) => `  ${r.scenario}: ${r.why}`));
  if (discovery.problems.length) lines.push('', 'what keeps a drill from starting:', ...discovery.problems.map((p) => `  ${p}`));
  return { text: `${lines.join('\n')}\n`, discovery, drills, refused };
}
