/**
 * Every connection open to the node's PostgreSQL goes silent both ways (no data, no RST), as when
 * a NAT or a firewall forgets them; new connections work. A client waits on such a connection
 * until its own timeout says it is dead (TCP keepalives, tcp_user_timeout, a query timeout), and a
 * pool may keep handing it out: the fault shows how long that is.
 */
import { connectionFault } from './connections.ts';
import { defineFault } from './types.ts';

export default defineFault({
  kind: 'half-open',
  summary: "every connection open to the node's PostgreSQL silently black-holed both ways; new connections work",
  ...connectionFault('half-open', 'half-open'),
});
