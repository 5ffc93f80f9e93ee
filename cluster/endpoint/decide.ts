/**
 * The endpoint controller's decision: a pure function of one cluster snapshot and the endpoint's
 * state, returning one action and the sentence that explains it (Patroni's run_cycle shape).
 * Safety comes first: a second primary is fenced before anything else happens.
 */
import type { ClusterSnapshot, NodeState } from '../observe.ts';
import type { EndpointState } from './endpoint.ts';

export type Decision =
  | { action: 'none'; reason: string }
  | { action: 'move' | 'fence' | 'unfence'; node: string; reason: string };

/**
 * The primary the endpoint should lead to: the only one, or, when several nodes say they are
 * primary (an old primary came back), the one on the newest timeline. Undefined when there is
 * none, or when two primaries share the newest timeline and neither holds the endpoint.
 */
export function chooseTarget(snapshot: ClusterSnapshot, holder?: string): NodeState | undefined {
  const primaries = snapshot.nodes.filter((n) => n.role === 'primary');
  if (primaries.length <= 1) return primaries[0];
  const newest = Math.max(...primaries.map((p) => p.timeline ?? 0));
  const onNewest = primaries.filter((p) => (p.timeline ?? 0) === newest);
  if (onNewest.length === 1) return onNewest[0];
  return onNewest.find((p) => p.name === holder);
}

export function decide(snapshot: ClusterSnapshot, endpoint: EndpointState): Decision {
  const target = chooseTarget(snapshot, endpoint.holder);
  const reachable = new Set(endpoint.reachable);
  const dataNodes = snapshot.nodes.filter((n) => n.role !== 'witness');

  for (const node of dataNodes) {
    if (node.role === 'primary' && node.name !== target?.name && reachable.has(node.name)) {
      const why = target
        ? `${target.name} is primary on timeline ${target.timeline ?? '?'}`
        : 'no single primary can be chosen';
      return {
        action: 'fence',
        node: node.name,
        reason: `${node.name} says it is primary (timeline ${node.timeline ?? '?'}) but ${why}: fencing ${node.name} from application traffic`,
      };
    }
  }

  if (!target) {
    const primaries = dataNodes.filter((n) => n.role === 'primary');
    return {
      action: 'none',
      reason:
        primaries.length > 1
          ? `split brain: ${primaries.map((p) => p.name).join(' and ')} are primaries on the same timeline; endpoint left as it is`
          : `no primary visible; endpoint left ${endpoint.holder ? `on ${endpoint.holder}` : 'unassigned'}`,
    };
  }

  if (endpoint.holder !== target.name) {
    return {
      action: 'move',
      node: target.name,
      reason: `${target.name} is primary (timeline ${target.timeline ?? '?'}) and the endpoint is ${endpoint.holder ? `on ${endpoint.holder}` : 'unassigned'}: moving it to ${target.name}`,
    };
  }

  for (const node of dataNodes) {
    if (node.role === 'down' && reachable.has(node.name)) {
      return {
        action: 'fence',
        node: node.name,
        reason: `${node.name} is down (${node.error ?? 'no answer'}): fencing it so it cannot come back to application traffic as it was`,
      };
    }
  }

  for (const node of dataNodes) {
    if (node.role === 'standby' && !reachable.has(node.name)) {
      return {
        action: 'unfence',
        node: node.name,
        reason: `${node.name} is a standby again${node.upstream ? ` (streaming from ${node.upstream})` : ''}: letting application reads reach it`,
      };
    }
  }

  return { action: 'none', reason: `endpoint on ${target.name}, the primary; nothing to do` };
}
