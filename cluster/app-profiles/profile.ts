/**
 * What an app profile is to the cluster: how flipdrill's app reaches the database (the
 * failover-aware layer, the tutorial's setup, a Sequelize config of yours, the aware layer's
 * Aurora DSQL profile) and everything the cluster and a drill do differently for it. One module
 * per profile (cluster/app-profiles/), one line in the registry (./index.ts); the rest of the
 * cluster and the harness ask the profile and never its name.
 *
 * A profile reads the cluster through the plain shapes below, not through cluster/spec.ts: the
 * spec lists the profiles (its options name one, which checks them), so a profile that imported
 * the spec would close an import cycle. A Docker cluster's spec and facts have every field named
 * here.
 */
import type { DockerClient } from '../docker/docker-client.ts';

/** What an app may promise a session of its reads (harness/checker/parts/sessions.ts judges them; the checks' ids). */
export const SESSION_GUARANTEES = ['read-your-writes', 'monotonic-reads', 'no-deposed-read'] as const;
export type SessionGuarantee = (typeof SESSION_GUARANTEES)[number];

/** What a profile reads of the cluster's spec (cluster/spec.ts's ClusterSpec). */
export interface ProfileSpec {
  /** The config profile's Sequelize options (yours). */
  sequelizeOptions?: Record<string, unknown>;
  /** The DSQL stand-in's address on the client network, and its stats port on 127.0.0.1. */
  dsqlStandIn: { frontIp: string; statsPort: number };
}

/** What a profile checks of a cluster's options (defineCluster), with the ports worked out so far. */
export interface OptionsCheck {
  options: { client?: string; appImage?: string; tls?: boolean; sequelizeOptions?: Record<string, unknown> };
  spec: ProfileSpec;
  /** The node ports on 127.0.0.1: the first to the last. */
  nodePorts: { first: number; last: number };
  /** A ConfigError naming `name` unless `port` is one from 1024 to 65535. */
  checkPort(name: string, port: number): number;
}

/** Where flipdrill's app connects, and as whom. */
export interface AppConnection {
  /** The floating endpoint: the alias, or the virtual IP the primary holds. */
  host: string;
  user: string;
  password: string;
  database: string;
  /** The app's second database (seed 003: one app, several databases). */
  analyticsDatabase: string;
}

/** What a profile's app environment is made of. */
export interface AppEnvParts {
  /** The part every profile shares: where the app connects, as whom, its replicas and databases. */
  shared: Record<string, string>;
  app: AppConnection;
  spec: ProfileSpec;
}

/** An event a drill records (events.jsonl), beside its own. */
export interface ProfileEvent {
  type: string;
  [key: string]: unknown;
}

/** What a container in front of the endpoint is started with, worked out by the cluster's start. */
export interface FrontHost {
  docker: DockerClient;
  /** The node image: Node and flipdrill's bundles. */
  image: string;
  /** Its container's name and labels. */
  name: string;
  labels: Record<string, string>;
  /** The client network, where the app and the floating endpoint are. */
  network: string;
  spec: ProfileSpec;
  app: AppConnection;
  signal?: AbortSignal;
}

/**
 * A container a profile needs in front of the cluster's endpoint, between it and the app: started
 * with the cluster, before the app. What it counts is read before and after each drill, and the
 * difference recorded as the drill's event.
 */
export interface FrontContainer<Counts = unknown> {
  /** What it is called in messages: "DSQL stand-in". */
  title: string;
  /** Its role label; its container is named after it. */
  role: string;
  /** The step said while it starts. */
  starting: string;
  /** Its ports on 127.0.0.1, which must be free before the cluster starts. */
  hostPorts(spec: ProfileSpec): number[];
  /** Start it; returns once it answers. */
  start(on: FrontHost): Promise<void>;
  /** What it counted since it started. */
  counts(spec: ProfileSpec): Promise<Counts>;
  /** The drill's event: what it counted between two readings (no `before`: since it started). */
  event(after: Counts, before: Counts | undefined): ProfileEvent;
}

export interface AppProfileKind<Name extends string = string> {
  /** The name --app and ClusterOptions.appProfile take. */
  name: Name;
  /** Whether --app offers it (config comes with a Sequelize config of yours instead). */
  offered: boolean;
  /** Whether its rows name the node that committed them (committed_by): false where nodes have no names. */
  nodeStamps: boolean;
  /**
   * The session guarantees its reads keep, which a drill holds it to (an anomaly against one FAILs
   * the drill; the others are reported): the checker's ids.
   */
  sessionGuarantees: readonly SessionGuarantee[];
  /**
   * Whether a running app's environment is this profile's. Absent: APP_PROFILE names the profile
   * (an environment without one is the aware app's).
   */
  recognise?(env: Record<string, string | undefined>): boolean;
  /** Its checks of a cluster's options, beyond the common ones: a ConfigError says what does not go with it. */
  checkOptions?(check: OptionsCheck): void;
  /** The app container's environment. */
  appEnv(parts: AppEnvParts): Record<string, string>;
  /**
   * Whether a running app can become this profile's by changing APP_PROFILE alone (the rest of its
   * environment kept): a ClusterError says what the running cluster lacks.
   */
  checkReplacing?(env: Record<string, string>, cluster: string): void;
  /** A container it needs in front of the endpoint. */
  frontContainer?: FrontContainer;
}
