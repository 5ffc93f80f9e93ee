/**
 * The steps that act on the cluster, through a nemesis only: fault (with its preparation), heal
 * (the undo, then a restart or the rejoin a planned promotion makes) and switchback (fail back by
 * a planned switchover).
 */
import { chooseTarget, ClusterError, type ClusterSnapshot, type DrillTarget, type SwitchoverCapability } from '../../cluster/index.ts';
import { faultKind, nemesisForFault, type FaultSpec } from '../faults/index.ts';
import type { PlanStep } from '../plan.ts';
import { armDoFaults } from './cluster-records.ts';
import { hold, roleOf, waitForHealthy, waitForRole, waitOrUndefined, type DrillContext } from './context.ts';
import type { OpenFault } from './open-faults.ts';
import type { Iteration } from './state.ts';

/** Who is who for a fault: the node its target role names, with the primary, a standby and the witness of that moment. */
export function faultOn(ctx: DrillContext, snapshot: ClusterSnapshot, spec: FaultSpec, scenarioName: string): OpenFault {
  const primary = chooseTarget(snapshot)!.name;
  const standby = snapshot.nodes.find((n) => n.role === 'standby')?.name;
  const witness = snapshot.nodes.find((n) => n.role === 'witness')?.name;
  const node = spec.target === 'app' ? 'app' : spec.target === 'primary' ? primary : spec.target === 'standby' ? standby : witness;
  if (!node) throw new ClusterError(`the ${scenarioName} scenario needs a ${spec.target}, and the cluster has none`);
  return { spec, nemesis: nemesisForFault(spec), targets: { cluster: ctx.cluster, node, primary, ...(standby ? { standby } : {}), ...(witness ? { witness } : {}) } };
}

export async function fault(it: Iteration, step: Extract<PlanStep, { step: 'fault' }>): Promise<void> {
  let next = it.faults.current;
  if (it.faults.injected > 0 || step.fault) {
    // A later fault of the plan (or one the step names): it comes once the cluster is whole again,
    // and hits whoever holds its target role now.
    const spec = step.fault ?? it.scenario.fault;
    const now = it.faults.injected > 0 ? await waitForHealthy(it.ctx, spec.target !== 'witness' || it.scenario.expect.promotion !== false) : it.before;
    next = faultOn(it.ctx, now, spec, it.scenario.name);
    it.seen.promotedTo = undefined;
  }
  it.faults.push(next);
  const { ctx, clock } = it;
  const { nemesis, targets, spec } = next;
  const { node, primary, standby } = targets;
  if (nemesis.prepare) {
    const detail = await nemesis.prepare.run(targets);
    it.recordEvent({ type: 'phase', phase: 'prepare', detail });
    ctx.onStep(`${detail}; writes go on for ${nemesis.prepare.holdMs / 1000} s`);
    await hold(nemesis.prepare.holdMs, ctx.signal);
  }
  if (ctx.cluster.spec.endpoint === 'do-simulator') await armDoFaults(ctx.cluster, it.options.doFaults ?? [], it.recordEvent);
  ctx.onStep(`fault: ${it.faults.injected > 1 || spec !== it.scenario.fault ? `${spec.type} on the ${spec.target}` : it.scenario.description} (${node})`, 'fault');
  // The standbys as the fault finds them: a switchover's inject returns with the roles already swapped.
  const standbys = (ctx.latest ?? it.before).nodes.filter((n) => n.role === 'standby').map((n) => n.name);
  it.seen.faultSentAt = Date.now();
  const injected = await nemesis.inject(targets);
  it.recordEvent({ type: 'fault', kind: injected.kind, node, primary, standby, standbys, detail: injected.detail, confirmedAfterMs: injected.confirmedAt - injected.at, wall: injected.at, time: clock.nsOf(injected.at) });
}

export async function heal(it: Iteration, step: Extract<PlanStep, { step: 'heal' }>): Promise<void> {
  const { nemesis, targets, spec } = it.faults.pop();
  const { node, primary, standby } = targets;
  const { ctx } = it;
  const promotedTo = it.seen.promotedTo;
  // The endpoint follows the new primary before anything is healed: a thawed or reconnected old
  // primary must find itself fenced.
  if (promotedTo) await waitOrUndefined('the endpoint on the new primary', async () => (await ctx.cluster.endpoint.state()).holder === promotedTo, 30_000, ctx.signal);
  const undoing = nemesis.undoing?.(targets);
  // The node the fault left down: the one it hit, unless the nemesis says otherwise.
  const down = nemesis.down?.(targets) ?? node;
  const restarting = step.restart ? `restarting ${down}` : undefined;
  // A planned promotion (a switchover): the manager rejoins the old primary itself.
  const planned = faultKind(spec.type)?.plannedPromotion === true;
  const rejoining = planned ? `nothing to undo (the HA manager rejoins ${primary} as a standby itself)` : undefined;
  const order = nemesis.undoAfterRestart ? [restarting, undoing] : [undoing, restarting];
  ctx.onStep(`healing: ${order.filter(Boolean).join(', then ') || rejoining || `nothing to undo (${down} stays down)`}`, 'heal');
  if (!(step.restart && nemesis.undoAfterRestart)) await nemesis.undo(targets);
  if (step.restart) {
    const t0 = Date.now();
    await ctx.cluster.startNode(down);
    // A data node comes back as a standby of whoever was promoted; with nobody promoted, an old primary is primary again.
    const wantedRole = down !== standby && down !== primary ? 'witness' : down === primary && !promotedTo ? 'primary' : 'standby';
    const back = await waitForRole(ctx, down, wantedRole, t0);
    it.recordEvent({ type: 'heal', node: down, restarted: true, role: back ? wantedRole : roleOf(ctx, down), ms: Date.now() - t0 });
    ctx.onStep(back ? `${down} is back as a ${wantedRole} after ${((Date.now() - t0) / 1000).toFixed(1)} s` : `${down} did not come back as a ${wantedRole}`);
    if (nemesis.undoAfterRestart) await nemesis.undo(targets);
  } else if (planned) {
    // The manager made the old primary rejoin during the switchover; the heal is seeing it stream.
    const t0 = Date.now();
    const back = await waitForRole(ctx, primary, 'standby', t0);
    it.recordEvent({ type: 'heal', node: primary, restarted: false, role: back ? 'standby' : roleOf(ctx, primary), ms: Date.now() - t0 });
    ctx.onStep(back ? `${primary} is a standby of ${node}` : `${primary} did not come back as a standby`);
  } else {
    it.recordEvent({ type: 'heal', node, restarted: false });
  }
}

/** The target's switchover (the drill refused a switchback on a target without one before it began). */
function switchoverOf(cluster: DrillTarget): SwitchoverCapability {
  const capability = cluster.capabilities.switchover;
  if (!capability) throw new ClusterError(`${cluster.driver} has no switchover capability to switch back with`);
  return capability;
}

/** Fail back: the old primary, a standby again, becomes primary again by a planned switchover. */
export async function switchback(it: Iteration): Promise<void> {
  const { ctx, clock } = it;
  const { primary } = it.faults.current.targets;
  const promotedTo = it.seen.promotedTo;
  if (!(promotedTo && roleOf(ctx, primary) === 'standby')) {
    const why = promotedTo ? `${primary} is ${roleOf(ctx, primary)}, not a standby` : 'nothing was promoted';
    it.recordEvent({ type: 'switchback', node: primary, ok: false, ms: 0, error: `cannot switch back: ${why}` });
    ctx.onStep(`not switching back: ${why}`);
    return;
  }
  ctx.onStep(`switching back: a planned switchover to ${primary}`);
  const t0 = Date.now();
  it.recordEvent({ type: 'phase', phase: 'switchback', detail: `a planned switchover to ${primary}` });
  let error: string | undefined;
  await switchoverOf(ctx.cluster).switchover(primary).catch((e: Error) => (error = e.message));
  const followed = error ? undefined : await waitOrUndefined(`the endpoint on ${primary}`, async () => (await ctx.cluster.endpoint.state()).holder === primary, 30_000, ctx.signal);
  // Timed from when it was asked for, so the endpoint's move (during the switchover) comes after it.
  it.recordEvent({ type: 'switchback', node: primary, ok: Boolean(followed), ms: Date.now() - t0, ...(error ? { error } : {}), wall: t0, time: clock.nsOf(t0) });
  ctx.onStep(followed ? `${primary} is primary again and holds the endpoint after ${((Date.now() - t0) / 1000).toFixed(1)} s` : `switching back to ${primary} failed: ${error ?? 'the endpoint did not follow'}`);
  // The new standby must be back before the settle phase measures writes through the primary.
  await waitForRole(ctx, promotedTo, 'standby', Date.now());
}
