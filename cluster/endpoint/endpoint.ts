/**
 * The floating endpoint: the one address the app writes to, held by exactly the current primary.
 * Implemented by a Docker network alias (docker-alias.ts), a DigitalOcean floating IP
 * (digitalocean/endpoint.ts) and a virtual IP (virtual-ip.ts).
 *
 * Fencing: a node that lost the endpoint is cut off from application traffic until the database
 * says it is a standby again, so an old primary that comes back cannot take writes.
 */
/** `url`: what a cluster file's apps use (a proxy, a DNS name, a multi-host URL), moved by the cluster itself. */
export type EndpointKind = 'docker-alias' | 'do-floating-ip' | 'virtual-ip' | 'url';

export interface EndpointState {
  /** The node holding the endpoint, if any. */
  readonly holder?: string;
  /** Data nodes that application traffic can reach (not fenced). */
  readonly reachable: readonly string[];
}

/**
 * The endpoint as an observer sees it: where it is, and which nodes application traffic reaches.
 * This is all a drill gets: the cluster moves its endpoint itself (the endpoint agent, the nodes'
 * promote hooks, DigitalOcean), and the harness only looks.
 */
export interface EndpointView {
  readonly kind: EndpointKind;
  /** The name clients connect to (alias, IP address). */
  readonly address: string;
  state(): Promise<EndpointState>;
}

/** The endpoint as the cluster's own endpoint agent drives it. */
export interface FloatingEndpoint extends EndpointView {
  /** Give the endpoint to `node`; a no-op when it holds it already. Fences the previous holder. */
  moveTo(node: string): Promise<void>;
  /** Cut `node` off from application traffic; a no-op when it is already. */
  fence(node: string): Promise<void>;
  /** Let application traffic reach `node` again (without the endpoint). */
  unfence(node: string): Promise<void>;
}
