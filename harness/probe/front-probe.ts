/**
 * Looking at a cluster the way a user's own client does: from a fresh container on the cluster's
 * application network, with plain psql and getent, and nothing of flipdrill's in the path. Used by
 * the bench (writes through `pg-primary` across a hand kill) and by the endpoint agent's tests.
 *
 * Every probe container carries the cluster's labels (so `flipdrill down` removes a leftover), runs
 * from the cluster's own node image (it has psql), and is removed when done.
 */
import { randomBytes } from 'node:crypto';
import { ClusterError, hostAddress, projectLabels, waitFor, type DockerClient } from '../../cluster/index.ts';

export interface ProbeTarget {
  docker: DockerClient;
  /** The cluster's name: its front network is <name>-front, its first node <name>-node1. */
  cluster: string;
  app: { user: string; password: string; database: string };
  /** The endpoint's name on the front network. */
  endpoint?: string;
}

/** Probe containers take addresses from .40 up on the front network (nodes .11-.16, the app .20). */
let nextOffset = 40;

async function probeContainer(t: ProbeTarget, script: string): Promise<string> {
  const front = `${t.cluster}-front`;
  const [network] = await t.docker.listNetworks(projectLabels(t.cluster)).then((ns) => ns.filter((n) => n.name === front));
  const subnet = network?.subnets[0];
  if (!subnet) throw new ClusterError(`cluster ${t.cluster} has no front network ${front}`);
  const node1 = await t.docker.inspectContainer(`${t.cluster}-node1`);
  if (!node1) throw new ClusterError(`cluster ${t.cluster} has no node1 container (for its image)`);
  const offset = nextOffset;
  nextOffset = nextOffset >= 60 ? 40 : nextOffset + 1;
  const name = `${t.cluster}-probe-${randomBytes(3).toString('hex')}`;
  await t.docker.createContainer({
    name,
    hostname: 'probe',
    image: node1.image,
    entrypoint: ['bash', '-c', script],
    env: { PGPASSWORD: t.app.password, PGUSER: t.app.user, PGDATABASE: t.app.database, PGHOST: t.endpoint ?? 'pg-primary', PGCONNECT_TIMEOUT: '2' },
    labels: { ...projectLabels(t.cluster), 'io.flipdrill.role': 'probe' },
    publish: {},
    networks: [{ network: front, ipv4Address: hostAddress(subnet, offset), aliases: [] }],
    stopTimeoutSecs: 1,
  });
  await t.docker.startContainer(name);
  return name;
}

async function output(t: ProbeTarget, name: string): Promise<string> {
  const text = await t.docker.logs(name, 100_000);
  await t.docker.removeContainer(name).catch(() => {});
  return text;
}

/** Run a script to its end in a fresh container on the front network; its output. */
async function runProbe(t: ProbeTarget, script: string, timeoutMs = 30_000): Promise<string> {
  const name = await probeContainer(t, script);
  try {
    await waitFor(`the probe ${name} to finish`, async () => !(await t.docker.inspectContainer(name))?.running, { timeoutMs, intervalMs: 100 });
  } catch (error) {
    await t.docker.removeContainer(name).catch(() => {});
    throw error;
  }
  return output(t, name);
}

/** The addresses the endpoint's name resolves to, from a fresh container (Docker's DNS). */
export async function resolveEndpoint(t: ProbeTarget): Promise<string[]> {
  const out = await runProbe(t, 'getent ahostsv4 "$PGHOST" | awk \'{print $1}\' | sort -u');
  return out.split('\n').map((l) => l.trim()).filter((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l));
}

/** One INSERT through the endpoint with psql: did it commit? (And what psql said.) */
export async function insertThroughEndpoint(t: ProbeTarget): Promise<{ ok: boolean; said: string }> {
  const out = await runProbe(
    t,
    'psql -Xq -v ON_ERROR_STOP=1 -c "CREATE TABLE IF NOT EXISTS probe_writes (n bigint, at timestamptz DEFAULT clock_timestamp())" -c "INSERT INTO probe_writes (n) VALUES (1)" && echo INSERTED',
  );
  return { ok: out.includes('INSERTED'), said: out.trim() };
}

export interface LoopRecord {
  /** Every INSERT attempt: the wall-clock millisecond it ended, and whether it committed. */
  attempts: { at: number; ok: boolean }[];
  /** Every look-up of the endpoint's name before an attempt: when, and the addresses it gave. */
  lookups: { at: number; addresses: string[] }[];
}

export interface InsertLoop {
  /** Commits so far that ended after `sinceMs` (read from the loop's output while it runs). */
  committedSince(sinceMs: number): Promise<number>;
  /** Stop the loop; what it saw. */
  stop(): Promise<LoopRecord>;
}

function recordIn(text: string): LoopRecord {
  const record: LoopRecord = { attempts: [], lookups: [] };
  for (const line of text.split('\n')) {
    const attempt = /^(ok|fail) (\d+)$/.exec(line.trim());
    if (attempt) record.attempts.push({ at: Number(attempt[2]), ok: attempt[1] === 'ok' });
    const lookup = /^dns (\d+) ?([\d.,]*)$/.exec(line.trim());
    if (lookup) record.lookups.push({ at: Number(lookup[1]), addresses: lookup[2]!.split(',').filter(Boolean) });
  }
  return record;
}

/**
 * psql in a loop through the endpoint, each attempt cut at `attemptMs` (timeout(1)), for at most
 * `maxSecs`: the way a user measures "writes stopped for N seconds". Before each attempt the loop
 * looks the endpoint's name up (getent: no cache in the container, so every look asks Docker's
 * DNS), which tells when the name moved without starting a container per look: on a 2-core
 * machine those would compete with the cluster for the engine while it moves the endpoint.
 */
export async function startInsertLoop(t: ProbeTarget, options: { attemptMs?: number; maxSecs?: number } = {}): Promise<InsertLoop> {
  const attempt = ((options.attemptMs ?? 500) / 1000).toFixed(3);
  const maxSecs = options.maxSecs ?? 120;
  const script = [
    'psql -Xq -c "CREATE TABLE IF NOT EXISTS probe_writes (n bigint, at timestamptz DEFAULT clock_timestamp())" >/dev/null 2>&1',
    'i=0; end=$((SECONDS + ' + String(maxSecs) + '))',
    'while [ $SECONDS -lt $end ]; do',
    '  i=$((i + 1))',
    `  echo "dns $(date +%s%3N) $(timeout ${attempt} getent ahostsv4 "$PGHOST" | awk '{print $1}' | sort -u | paste -sd,)"`,
    `  if timeout ${attempt} psql -Xq -c "INSERT INTO probe_writes (n) VALUES ($i)" >/dev/null 2>&1; then echo "ok $(date +%s%3N)"; else echo "fail $(date +%s%3N)"; sleep 0.05; fi`,
    'done',
  ].join('\n');
  const name = await probeContainer(t, script);
  return {
    async committedSince(sinceMs) {
      return recordIn(await t.docker.logs(name, 100_000)).attempts.filter((a) => a.ok && a.at > sinceMs).length;
    },
    async stop() {
      await t.docker.killContainer(name, 'SIGKILL').catch(() => {});
      return recordIn(await output(t, name));
    },
  };
}

/**
 * When the endpoint's name settled after `faultAt`: the first look-up from which on it gave one
 * address, not `oldAddress`, and kept giving that one. Undefined when it never did.
 */
export function settledLookup(lookups: LoopRecord['lookups'], faultAt: number, oldAddress: string): { at: number; address: string } | undefined {
  const after = lookups.filter((l) => l.at > faultAt).sort((a, b) => a.at - b.at);
  const last = after.at(-1);
  if (!last || last.addresses.length !== 1 || last.addresses[0] === oldAddress) return undefined;
  const address = last.addresses[0]!;
  let first = after.length - 1;
  while (first > 0 && after[first - 1]!.addresses.length === 1 && after[first - 1]!.addresses[0] === address) first--;
  return { at: after[first]!.at, address };
}

/**
 * How long writes stopped after `faultAt`: the longest gap between two commits in a row, from the
 * last commit before it on (a commit can still land on the old primary just after the kill was
 * sent). Undefined when nothing committed after it.
 */
export function writeGapMs(attempts: readonly { at: number; ok: boolean }[], faultAt: number): number | undefined {
  const ok = attempts.filter((a) => a.ok).map((a) => a.at).sort((a, b) => a - b);
  const after = ok.filter((at) => at > faultAt);
  if (!after.length) return undefined;
  let previous = ok.filter((at) => at <= faultAt).at(-1) ?? faultAt;
  let longest = 0;
  for (const at of after) {
    longest = Math.max(longest, at - previous);
    previous = at;
  }
  return longest;
}
