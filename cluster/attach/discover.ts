/**
 * What a cluster file's cluster is, found by SQL alone (and the HA manager's own API where it has
 * one): each node's role and timeline, whom each standby streams from, the primary's replication
 * as it reports it, which HA manager runs it, and whether the drill's role may do what a drill
 * needs (read the monitoring views, make a schema of its own). Everything asked is what any
 * PostgreSQL 13+ answers to a role with pg_monitor; nothing is changed.
 */
import pg from 'pg';
import type { ForeignClusterFile, ForeignNode, ManagerName } from './cluster-file.ts';

/** One look at one node. */
export const DISCOVER_QUERY = `
  SELECT pg_is_in_recovery() AS in_recovery,
         CASE WHEN pg_is_in_recovery()
              THEN (SELECT received_tli FROM pg_stat_wal_receiver LIMIT 1)
              ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int
         END AS timeline,
         (SELECT sender_host FROM pg_stat_wal_receiver LIMIT 1) AS upstream,
         current_setting('server_version_num')::int AS version,
         CASE WHEN pg_has_role(current_user, 'pg_read_all_settings', 'MEMBER') THEN current_setting('shared_preload_libraries') ELSE '' END AS preload,
         host(inet_server_addr()) AS address,
         current_user AS role,
         pg_has_role(current_user, 'pg_monitor', 'MEMBER') AS monitor,
         has_database_privilege(current_user, current_database(), 'CREATE') AS create_schema,
         current_database() AS database,
         EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgautofailover_replicator') AS pgaf_node`;

export const REPLICATION_QUERY = `SELECT application_name, host(client_addr) AS client, state, sync_state FROM pg_stat_replication ORDER BY application_name`;

interface NodeRow {
  in_recovery: boolean;
  timeline: number | null;
  upstream: string | null;
  version: number;
  preload: string;
  address: string | null;
  role: string;
  monitor: boolean;
  create_schema: boolean;
  database: string;
  pgaf_node: boolean;
}

export interface DiscoveredNode {
  name: string;
  role: 'primary' | 'standby' | 'witness' | 'down';
  /** Why it counts as down. */
  error?: string;
  timeline?: number;
  /** For a standby: the node it streams from (by name when it is one of the file's, else the host it gives). */
  upstream?: string;
  version?: number;
  /** The drill's role here: may it read the monitoring views, make a schema in this database? */
  privileges?: { role: string; database: string; monitor: boolean; createSchema: boolean };
}

export interface Discovery {
  manager: { name: ManagerName | 'none'; how: string };
  nodes: DiscoveredNode[];
  primary?: string;
  /** What the primary says of its standbys (pg_stat_replication). */
  replication: { name: string; client: string | null; state: string; sync: string }[];
  /** Each thing that keeps a drill from starting, one line each (none: it may). */
  problems: string[];
}

const TIMEOUT_MS = 3000;

async function ask<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: TIMEOUT_MS, query_timeout: TIMEOUT_MS, application_name: 'flipdrill-discover' });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A URL without its password, for messages. */
export function shown(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*):[^@/]*@/, '$1:***@');
}

async function patroniAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/patroni', url), { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const body = (await response.json()) as { patroni?: { version?: string } };
    return typeof body.patroni?.version === 'string';
  } catch {
    return false;
  }
}

async function monitorAnswers(url: string): Promise<boolean> {
  try {
    await ask(url, 'SELECT 1 FROM pgautofailover.node LIMIT 1');
    return true;
  } catch {
    return false;
  }
}

/** The HA manager: the file's word for it, checked, or what the nodes show. */
async function managerOf(file: ForeignClusterFile, rows: (NodeRow | undefined)[]): Promise<Discovery['manager']> {
  const patroniNode = file.nodes.find((n) => n.patroni);
  const checks: Record<ManagerName, () => Promise<string | undefined>> = {
    repmgr: async () => (rows.some((r) => r?.preload.split(',').map((s) => s.trim()).includes('repmgr')) ? 'repmgr in shared_preload_libraries' : undefined),
    patroni: async () => (patroniNode?.patroni && (await patroniAnswers(patroniNode.patroni)) ? `Patroni's REST API on ${patroniNode.name}` : undefined),
    pg_auto_failover: async () =>
      file.monitor && (await monitorAnswers(file.monitor)) ? "the monitor's pgautofailover schema" : rows.some((r) => r?.pgaf_node) ? "the nodes' pgautofailover_replicator role" : undefined,
  };
  const order: ManagerName[] = file.manager ? [file.manager] : ['patroni', 'pg_auto_failover', 'repmgr'];
  for (const name of order) {
    const how = await checks[name]();
    if (how) return { name, how };
  }
  return file.manager ? { name: 'none', how: `the file says ${file.manager}, and no sign of it answered` } : { name: 'none', how: 'no sign of repmgr, Patroni or pg_auto_failover' };
}

function upstreamName(file: ForeignClusterFile, rows: (NodeRow | undefined)[], upstream: string | null): string | undefined {
  if (!upstream) return undefined;
  const i = file.nodes.findIndex((n, k) => n.name === upstream || rows[k]?.address === upstream || hostOf(n) === upstream);
  return i >= 0 ? file.nodes[i]!.name : upstream;
}

const hostOf = (node: ForeignNode) => /^postgres(?:ql)?:\/\/(?:[^@/]*@)?([^:/?,]+)/.exec(node.url)?.[1];

/** Look at every node of the file once, and say what stands in a drill's way. */
export async function discover(file: ForeignClusterFile): Promise<Discovery> {
  const answers = await Promise.all(
    file.nodes.map(async (node) => {
      try {
        const [row] = await ask<NodeRow>(node.url, DISCOVER_QUERY);
        return { row };
      } catch (error) {
        return { error: (error as Error).message };
      }
    }),
  );
  const rows = answers.map((a) => a.row);
  const nodes: DiscoveredNode[] = file.nodes.map((node, i) => {
    const { row, error } = answers[i]!;
    if (!row) return { name: node.name, role: 'down', error: error ?? 'no answer' };
    return {
      name: node.name,
      role: node.witness ? 'witness' : row.in_recovery ? 'standby' : 'primary',
      ...(row.timeline !== null && !node.witness ? { timeline: row.timeline } : {}),
      ...(row.upstream ? { upstream: upstreamName(file, rows, row.upstream) } : {}),
      version: row.version,
      privileges: { role: row.role, database: row.database, monitor: row.monitor, createSchema: row.create_schema },
    };
  });
  const primaries = nodes.filter((n) => n.role === 'primary');
  const primary = primaries.length === 1 ? primaries[0]!.name : undefined;
  let replication: Discovery['replication'] = [];
  if (primary) {
    const url = file.nodes.find((n) => n.name === primary)!.url;
    replication = (await ask<{ application_name: string; client: string | null; state: string; sync_state: string }>(url, REPLICATION_QUERY).catch(() => [])).map((r) => ({
      name: r.application_name,
      client: r.client,
      state: r.state,
      sync: r.sync_state,
    }));
  }
  const problems: string[] = [];
  for (const [i, n] of nodes.entries()) {
    if (n.role === 'down') problems.push(`node ${n.name} does not answer at ${shown(file.nodes[i]!.url)}: ${n.error}`);
    else if (n.version !== undefined && n.version < 130000) problems.push(`node ${n.name} runs PostgreSQL ${Math.floor(n.version / 10000)}; flipdrill needs 13 or later`);
    else if (n.privileges && !n.privileges.monitor) problems.push(`role ${n.privileges.role} on node ${n.name} is not a member of pg_monitor: GRANT pg_monitor TO ${n.privileges.role}`);
  }
  if (primaries.length > 1) problems.push(`${primaries.length} nodes answer as primary (${primaries.map((n) => n.name).join(', ')}): a drill starts from a whole cluster`);
  if (primaries.length === 0 && nodes.some((n) => n.role !== 'down')) problems.push('no node answers as primary: a drill starts from a whole cluster');
  const writer = nodes.find((n) => n.name === primary);
  if (writer?.privileges && !writer.privileges.createSchema) {
    problems.push(`role ${writer.privileges.role} may not create a schema in database ${writer.privileges.database} on the primary: GRANT CREATE ON DATABASE ${writer.privileges.database} TO ${writer.privileges.role} (the drill writes only into a schema of its own)`);
  }
  return { manager: await managerOf(file, rows), nodes, ...(primary ? { primary } : {}), replication, problems };
}
