/**
 * Latency between the data nodes only: every packet the node sends the other data nodes delayed,
 * the app's traffic untouched. With synchronous replication every commit waits a round trip to
 * the standby more; nothing fails over.
 */
import { replicationLinkFault } from './replication-link.ts';
import { defineFault } from './types.ts';

export default defineFault({
  kind: 'replication-latency',
  summary: 'every packet the node sends the other data nodes delayed; the app reaches it as before',
  options: {
    delayMs: { type: 'number', min: 1, max: 30000, integer: true, default: 50, doc: 'milliseconds added to every packet the node sends the other data nodes' },
  },
  ...replicationLinkFault('replication-latency', (o) => ({ delayMs: o.delayMs as number })),
});
