/**
 * What the connection faults share: every connection open to the node's PostgreSQL when the fault
 * comes is broken (reset, or black-holed: half-open), while new connections work; the undo takes
 * the rules away. This is where pools and drivers misbehave: a pool that hands out a dead
 * connection, a query that waits forever on a socket nobody answers.
 */
import type { ConnectionBreak } from '../../cluster/index.ts';
import { endures, NODE_ROLES, type FaultKind } from './types.ts';

/** Everything of a connection fault kind but its name and summary. */
export function connectionFault(kind: string, how: ConnectionBreak): Omit<FaultKind, 'kind' | 'summary'> {
  return {
    roles: NODE_ROLES.filter((r) => r !== 'witness'),
    rolesBecause: 'the app and the replication connect to the data nodes',
    needs: ['connections'],
    options: {},
    schedule: { roles: ['primary'], ...endures },
    describe: ({ cluster, node }) => cluster.capabilities.connections!.describe(node, how),
    nemesis: () => ({
      kind,
      async inject({ cluster, node }) {
        const at = Date.now();
        await cluster.capabilities.connections!.breakConnections(node, how);
        return { kind, node, at, confirmedAt: Date.now(), detail: cluster.capabilities.connections!.describe(node, how) };
      },
      undo: ({ cluster, node }) => cluster.capabilities.connections!.restoreConnections(node),
      undoing: ({ node }) => `removing the firewall rules that break ${node}'s connections`,
    }),
  };
}
