/**
 * What the replication link faults share: the node's own link to the other data nodes shaped
 * (its packets to them delayed, or what it sends on the replication network capped) while the
 * app still reaches it as before; the undo takes the shape away.
 */
import type { ReplicationLink } from '../../cluster/index.ts';
import { endures, type FaultKind } from './types.ts';

export function replicationLinkFault(kind: string, link: (options: Record<string, unknown>) => ReplicationLink): Pick<FaultKind, 'roles' | 'rolesBecause' | 'needs' | 'schedule' | 'describe' | 'nemesis'> {
  return {
    roles: ['primary', 'standby'],
    rolesBecause: 'the replication link runs between the data nodes',
    needs: ['replication-link'],
    schedule: { roles: ['primary'], ...endures },
    describe: ({ cluster, node }, options) => cluster.capabilities['replication-link']!.describe(node, link(options)),
    nemesis: (options) => ({
      kind,
      async inject({ cluster, node }) {
        const at = Date.now();
        await cluster.capabilities['replication-link']!.shapeReplicationLink(node, link(options));
        return { kind, node, at, confirmedAt: Date.now(), detail: cluster.capabilities['replication-link']!.describe(node, link(options)) };
      },
      undo: ({ cluster, node }) => cluster.capabilities['replication-link']!.unshapeReplicationLink(node),
      undoing: ({ node }) => `taking the shape off ${node}'s replication link`,
    }),
  };
}
