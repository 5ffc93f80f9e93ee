/**
 * What the cluster recorded of itself during an iteration, put beside what the harness saw: the
 * DigitalOcean simulator's requests and actions (and the refusals armed for the hook), repmgr's
 * events, and the endpoint agent's own account of its moves.
 */
import { dropletIdOf, type DrillTarget } from '../../cluster/index.ts';
import { tokenFingerprint } from '../../cluster/endpoint/digitalocean/simulator.ts';
import type { DrillClock } from '../history.ts';
import type { RecordEvent } from './context.ts';

/** Queue the simulator's refusals for the hook's next assign requests. */
export async function armDoFaults(cluster: DrillTarget, faults: ('429' | 'pending-event')[], recordEvent: RecordEvent): Promise<void> {
  for (const fault of faults) {
    const response =
      fault === '429'
        ? { status: 429, body: { id: 'too_many_requests', message: 'API Rate limit exceeded.' }, headers: { 'retry-after': '1', 'ratelimit-remaining': '0' } }
        : { status: 422, body: { id: 'unprocessable_entity', message: 'The floating IP already has a pending event.' } };
    await cluster.doSimulator('faults', { match: { method: 'POST', pathRegex: '/actions$' }, times: 1, response });
  }
  if (faults.length) recordEvent({ type: 'phase', phase: 'do-faults', detail: `the simulator will refuse the next assign requests: ${faults.join(', ')}` });
}

interface SimAction {
  id: number;
  status: string;
  type: string;
  started_at: string;
  completed_at: string | null;
}

/**
 * What DigitalOcean saw: the hook's assign requests (with the answer each got) and the actions,
 * from the simulator's own records, and who holds the IP now.
 */
async function recordFloatingIp(cluster: DrillTarget, clock: DrillClock, recordEvent: RecordEvent): Promise<void> {
  const state = await cluster.doSimulator<{ ips: { ip: string; dropletId: number | null }[]; actions: SimAction[] }>('state');
  const { requests } = await cluster.doSimulator<{ requests: { at: number; method: string; path: string; status: number; token: string | null }[] }>('requests');
  // The simulator names tokens by their fingerprint, never gives them back.
  const hookToken = cluster.credentials.doTokens?.hook;
  const hook = hookToken ? tokenFingerprint(hookToken) : undefined;
  const assigns = requests
    .filter((r) => r.method === 'POST' && r.path.endsWith('/actions') && r.at >= clock.wallOrigin && r.token === hook)
    .map((r) => ({ at: r.at, status: r.status }));
  const floatingIp = cluster.spec.doSimulator?.floatingIp;
  const holder = state.ips.find((i) => i.ip === floatingIp)?.dropletId ?? null;
  const node = cluster.spec.nodes.find((n) => dropletIdOf(n) === holder)?.name ?? null;
  recordEvent({
    type: 'floating-ip',
    ip: floatingIp ?? '',
    holderDroplet: holder,
    holder: node,
    assignRequests: assigns.map((a) => ({ status: a.status, atMs: a.at - clock.wallOrigin })),
    actions: state.actions
      .filter((a) => Date.parse(a.started_at) >= clock.wallOrigin - 1000)
      .map((a) => ({ id: a.id, status: a.status, startedAt: a.started_at, completedAt: a.completed_at })),
  });
}

/** What the target's HA manager recorded since the iteration began, asked through its own interface. */
export async function recordManagerEvents(cluster: DrillTarget, clock: DrillClock, recordEvent: RecordEvent): Promise<boolean> {
  if (!cluster.managerEvents) return false;
  for (const e of await cluster.managerEvents(clock.wallOrigin)) {
    recordEvent({ type: 'manager', manager: cluster.managerName ?? 'the HA manager', event: e.event, ...(e.node ? { node: e.node } : {}), ...(e.details ? { details: e.details } : {}), wall: e.at, time: clock.nsOf(e.at) });
  }
  return true;
}

/** repmgr's events since the iteration began, as the node it reads them from has them. */
export async function recordRepmgrEvents(cluster: DrillTarget, node: string, clock: DrillClock, recordEvent: RecordEvent): Promise<void> {
  const repmgrEvents = await cluster.query<{ node_name: string; event: string; successful: boolean; at: string; details: string | null }>(
    node,
    `SELECT n.node_name, e.event, e.successful, (extract(epoch FROM e.event_timestamp) * 1000)::float8::text AS at, e.details
       FROM repmgr.events e JOIN repmgr.nodes n USING (node_id)
      WHERE e.event_timestamp >= to_timestamp($1 / 1000.0) ORDER BY e.event_timestamp`,
    [clock.wallOrigin],
    'repmgr',
  );
  for (const e of repmgrEvents) {
    const wall = Number(e.at);
    recordEvent({ type: 'repmgr', event: e.event, node: e.node_name, successful: e.successful, details: e.details, wall, time: clock.nsOf(wall) });
  }
}

/** What DigitalOcean saw (with the simulator), and what the cluster's endpoint agent did, in its own words. */
export async function recordEndpointMoves(cluster: DrillTarget, clock: DrillClock, recordEvent: RecordEvent): Promise<void> {
  if (cluster.spec.endpoint === 'do-simulator') await recordFloatingIp(cluster, clock, recordEvent);
  for (const e of await cluster.endpointActions(clock.wallOrigin)) {
    recordEvent({ type: 'endpoint-agent', action: e.action, ...(e.node ? { node: e.node } : {}), reason: e.reason, durationMs: e.durationMs, wall: e.at, time: clock.nsOf(e.at) });
  }
}
