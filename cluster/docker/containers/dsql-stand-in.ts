/**
 * The dsql app's part of a Docker cluster: the Aurora DSQL stand-in's container in front of the
 * endpoint, what it counted, and the app's environment that points at it. The dsql profile
 * (cluster/app-profiles/dsql.ts) starts it with its cluster.
 */
import { randomBytes } from 'node:crypto';
import { ClusterError } from '../../errors.ts';
import { waitFor } from '../../lib/wait-for.ts';
import type { AppConnection, FrontHost, ProfileSpec } from '../../app-profiles/profile.ts';
import { secretFiles } from '../secret-files.ts';

/** The DSQL stand-in's name on the client network (the dsql app's write endpoint). */
const DSQL_STAND_IN_HOST = 'dsql';

/** What the DSQL stand-in counted, as its /stats gives it. */
export interface DsqlStandInCounts {
  refused: Record<string, number>;
  conflicts: number;
  sessions: number;
}

/** What the stand-in counted since it started (statements refused by rule, write conflicts answered as OC000, client sessions). */
export async function dsqlStandInCounts(spec: ProfileSpec): Promise<DsqlStandInCounts> {
  const res = await fetch(`http://127.0.0.1:${spec.dsqlStandIn.statsPort}/stats`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new ClusterError(`the DSQL stand-in answered ${res.status} to /stats`);
  return (await res.json()) as DsqlStandInCounts;
}

/**
 * The Aurora DSQL stand-in (cluster/dsql/stand-in.ts) in its own container, from the node image's
 * Node and bundle, on the client network in front of the floating endpoint: it logs in there as the
 * databases' owner for every session, so a session after a failover reaches the new primary. Its
 * counts are published on 127.0.0.1 only.
 */
export async function startDsqlStandInContainer(on: FrontHost): Promise<void> {
  const { docker, name, spec, app, signal } = on;
  // The databases' owner's password as a root-only file, not in its environment.
  const secrets = secretFiles({ DSQL_UPSTREAM_PASSWORD: app.password });
  await docker.createContainer({
    name,
    hostname: 'dsql',
    image: on.image,
    entrypoint: ['/usr/local/bin/node', '/usr/local/lib/flipdrill/flipdrill-dsql.cjs'],
    env: {
      DSQL_UPSTREAM_HOST: app.host,
      DSQL_DATABASES: `${app.database},${app.analyticsDatabase}`,
      DSQL_UPSTREAM_USER: app.user,
      ...secrets.env,
      // Every address of its own container: the client network and the published stats port.
      DSQL_HOST: '0.0.0.0',
    },
    labels: on.labels,
    files: secrets.files,
    publish: { 8080: spec.dsqlStandIn.statsPort },
    networks: [{ network: on.network, ipv4Address: spec.dsqlStandIn.frontIp, aliases: [DSQL_STAND_IN_HOST] }],
    stopTimeoutSecs: 2,
  });
  await docker.startContainer(name);
  await waitFor(
    'the DSQL stand-in to answer',
    async () => {
      const info = await docker.inspectContainer(name);
      if (info && !info.running && info.status === 'exited') throw new ClusterError(`the DSQL stand-in ${name} exited at start: ${(await docker.logs(name, 5).catch(() => '')).trim().split('\n').slice(-2).join(' | ')}`);
      return (await dsqlStandInCounts(spec).then(() => true, () => false));
    },
    { timeoutMs: 70_000, intervalMs: 200, ...(signal ? { signal } : {}), hint: `see: docker logs ${name}`, fatal: (e) => e instanceof ClusterError },
  );
}

/** The dsql app container's environment: the aware layer's Aurora DSQL profile, through the stand-in. */
export function dsqlAppEnv(app: Pick<AppConnection, 'database' | 'analyticsDatabase'>): Record<string, string> {
  return {
    // The aware layer's Aurora DSQL profile, as it runs against DSQL, through the stand-in.
    APP_PROFILE: 'aware',
    DB_PLATFORM: 'dsql',
    DB_WRITE_HOST: DSQL_STAND_IN_HOST,
    // DSQL's admin role (its tables in public, where the harness's final read finds them). The
    // stand-in takes any password as a token; DB_DSQL_AUTH=password sends this one through the
    // connector's seam instead of signing one with AWS credentials.
    DB_USER: 'admin',
    DB_DSQL_AUTH: 'password',
    DB_PASSWORD: `stand-in-token-${randomBytes(6).toString('hex')}`,
    DB_NAME: app.database,
    DB_SSLMODE: 'disable',
    ANALYTICS_DB_NAME: app.analyticsDatabase,
  };
}
