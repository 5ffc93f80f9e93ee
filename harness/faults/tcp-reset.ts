/**
 * Every connection open to the node's PostgreSQL is reset (a TCP RST at its next packet), as a
 * load balancer, a firewall or a restarted proxy does; new connections work. The app must notice,
 * open new connections and go on; nothing fails over.
 */
import { connectionFault } from './connections.ts';
import { defineFault } from './types.ts';

export default defineFault({
  kind: 'tcp-reset',
  summary: "every connection open to the node's PostgreSQL reset at its next packet; new connections work",
  ...connectionFault('tcp-reset', 'reset'),
});
