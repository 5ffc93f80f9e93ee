/**
 * A thin replication link: what the node sends on the replication network capped (a token bucket,
 * tc tbf). On the primary, WAL reaches the standby no faster than that: with synchronous
 * replication commits slow down to it; with asynchronous replication the standby's lag grows, and
 * so does what a failover would lose.
 */
import { replicationLinkFault } from './replication-link.ts';
import { defineFault } from './types.ts';

export default defineFault({
  kind: 'replication-bandwidth',
  summary: 'what the node sends on the replication network capped at rateKbit (a token bucket)',
  options: {
    rateKbit: { type: 'number', min: 8, max: 1000000, integer: true, default: 100, doc: 'kbit/s the node may send on the replication network' },
  },
  ...replicationLinkFault('replication-bandwidth', (o) => ({ rateKbit: o.rateKbit as number })),
});
