/**
 * The runtime facts of a Docker cluster that its container recipes read: its spec, the secrets
 * generated at its start, its data nodes, where its app answers. A StartedCluster has them all.
 */
import type { Credentials } from '../observe.ts';
import type { ClusterSpec, NodeSpec } from '../spec.ts';

/** The app's second database (seed 003: one app, several databases). */
export const ANALYTICS_DATABASE = 'flipdrill_analytics';

export interface ClusterCredentials {
  superuser: Credentials;
  repmgrPassword: string;
  app: Credentials;
  /** PEM of the cluster's CA, when the nodes serve TLS. */
  ca?: string;
  /** DigitalOcean API tokens the simulator accepts: the nodes' hook's, flipdrill's own, the endpoint agent's (separate rate limits). */
  doTokens?: { hook: string; harness: string; agent: string };
}

export interface ClusterFacts {
  readonly spec: ClusterSpec;
  readonly credentials: ClusterCredentials;
  readonly dataNodes: NodeSpec[];
  /** Where the app answers, from this host. */
  readonly appUrl: string;
}
