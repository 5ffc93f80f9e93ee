/**
 * Drills of clusters no one here wrote, through cluster files and the CLI a user runs
 * (`flipdrill drill --cluster <file> --yes`): Patroni with etcd and HAProxy, and pg_auto_failover
 * behind a multi-host endpoint, each built by its own recipe in harness/fixtures/ and started once
 * for its tests. Each drill must PASS (a failover, no acknowledged write lost: both fixtures run
 * synchronous replication here), leave the cluster whole as its manager sees it, and leave no
 * schema of the drill's behind; the dry run must change nothing.
 *
 * The managers are tuned here for the test's time (Patroni's ttl 10 s, loop_wait 2 s through its
 * REST API; pg_auto_failover's monitor calls a node unhealthy after 5 s and gives up on a demotion
 * after 5 s, not 30): the comparison with
 * their defaults is the bench's (docs/benchmarks.md).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWritable, discover, monitorQuery, parseClusterFile, PatroniManager, PgAutoFailoverManager, REPO_ROOT, waitFor, type HaManager } from '../../cluster/index.ts';
import type { DrillReport } from '../report/report.ts';
import { runCommand, type CommandResult } from '../test-support/run-command.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const PW = 'flipdrill';

async function script(file: string, verb: 'start' | 'stop', env: NodeJS.ProcessEnv = {}): Promise<void> {
  const r = await runCommand(path.join(FIXTURES, file), [verb], { timeoutMs: 900_000, env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${file} ${verb} failed (${r.status}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
}

function flipdrill(args: string[]): Promise<CommandResult> {
  return runCommand(process.execPath, ['--import', 'tsx', 'harness/cli.ts', ...args], { cwd: REPO_ROOT, env: { ...process.env, PW }, timeoutMs: 600_000 });
}

async function schemas(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ n: string }>("SELECT nspname AS n FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' ORDER BY 1")).rows.map((r) => r.n);
  } finally {
    await client.end();
  }
}

async function whole(manager: HaManager, timeoutMs = 180_000): Promise<void> {
  await waitFor(`the cluster whole as ${manager.name} sees it`, async () => (await manager.whole().catch((e: Error) => [e.message])).length === 0, { timeoutMs, intervalMs: 1000 });
}

/** A drill through the CLI: its exit, its report, and what it said. */
async function drill(file: string, scenario: string, runs: string): Promise<{ result: CommandResult; report: DrillReport }> {
  const result = await flipdrill(['drill', '--cluster', file, '--yes', '--json', '--scenario', scenario, '--runs-dir', runs]);
  let report: DrillReport;
  try {
    report = JSON.parse(result.stdout) as DrillReport;
  } catch {
    throw new Error(`the drill printed no report (exit ${result.status}): ${result.stderr.trim().split('\n').slice(-8).join(' | ')}`);
  }
  return { result, report };
}

function expectPass({ result, report }: { result: CommandResult; report: DrillReport }, primaryBefore: string): void {
  const failed = report.result.checks.filter((c) => !c.ok).map((c) => `${c.id}: ${c.detail}`);
  expect(failed, result.stderr.split('\n').slice(-15).join('\n')).toEqual([]);
  expect(report.result.verdict).toBe('PASS');
  expect(result.status).toBe(0);
  expect(report.result.lost).toEqual([]);
  expect(report.result.promotion?.node).toBeDefined();
  expect(report.result.promotion?.node).not.toBe(primaryBefore);
  expect(report.result.counts.write.ok).toBeGreaterThan(20);
  expect(result.stderr).toMatch(/is whole again as (patroni|pg_auto_failover) sees it/);
  expect(result.stderr).toContain("dropped the drill's schema flipdrill");
}

async function primaryOf(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ at: string }>("SELECT host(inet_server_addr()) || ':' || inet_server_port() AS at")).rows[0]!.at;
  } finally {
    await client.end();
  }
}

describe.sequential('drilling a Patroni cluster whose nodes are machines reached over SSH, through a cluster file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fd-patroni-'));
  const file = path.join(dir, 'patroni.yaml');
  const key = path.join(dir, 'id_ed25519');
  // Each node a machine: PostgreSQL and Patroni killed, frozen, partitioned and started over SSH
  // (the fixture's SSH mode); its host keys are new with each cluster, known in this file only.
  const text = `
name: patroni-fixture
endpoint: postgres://flipdrill:\${PW}@127.0.0.1:35000/app
replicas: ["postgres://flipdrill:\${PW}@127.0.0.1:35001/app"]
# Tuned below: ttl 10, loop_wait 2.
expect: { maxWriteDownSecs: 30, promotionWithinSecs: 60 }
nodes:
${[1, 2, 3]
  .map(
    (i) => `  - name: pg${i}
    url: "postgres://flipdrill:\${PW}@127.0.0.1:3501${i}/app"
    patroni: "http://127.0.0.1:3502${i}"
    ssh: { host: 10.230.1.1${i}, user: root, key: "${key}", knownHosts: "${path.join(dir, 'known_hosts')}", manager: [patroni], dataDirectory: /var/lib/postgresql/15/fdfix, start: fdfix-start-patroni }`,
  )
  .join('\n')}
`;
  // The key is made in beforeAll; the file is read as it will be then (its key checked there).
  const parsed = parseClusterFile(text.replaceAll(`key: "${key}", `, ''), file, { PW });
  const manager = new PatroniManager(parsed.nodes.map((n) => ({ node: n.name, url: n.patroni! })));
  /** The fixture's pgN is at 10.230.1.(10+N). */
  const node = (at: string) => `pg${Number(at.split(':')[0]!.split('.')[3]) - 10}`;

  beforeAll(async () => {
    const keygen = await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'flipdrill-test', '-f', key], { timeoutMs: 30_000 });
    expect(keygen.status, keygen.stderr).toBe(0);
    writeFileSync(file, text);
    parseClusterFile(text, file, { PW });
    await script('patroni/fixture.sh', 'start', { FDFIX_PATRONI_SYNCHRONOUS_MODE: 'on', FDFIX_PATRONI_SSH: `${key}.pub`, FDFIX_PATRONI_DCS: 'etcd' });
    await whole(manager);
    const patch = await fetch('http://127.0.0.1:35021/config', { method: 'PATCH', body: JSON.stringify({ ttl: 10, loop_wait: 2, retry_timeout: 3 }), signal: AbortSignal.timeout(10_000) });
    expect(patch.ok).toBe(true);
    await waitFor('the endpoint through HAProxy', async () => (await schemas(parsed.endpoint).catch(() => undefined)) !== undefined, { timeoutMs: 60_000, intervalMs: 500 });
    // Both replicas streaming (Patroni 3.0.2 calls a replica running before its WAL receiver streams).
    await waitFor('two streaming replicas', async () => {
      const client = new pg.Client({ connectionString: parsed.endpoint });
      await client.connect();
      try {
        return (await client.query("SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'")).rowCount === 2;
      } finally {
        await client.end();
      }
    }, { timeoutMs: 60_000, intervalMs: 500 });
    // And HAProxy sending reads to them (its checks: every 3 s, up after 2).
    await waitFor("HAProxy's replica port", async () => (await schemas(parsed.replicas[0]!).catch(() => undefined)) !== undefined, { timeoutMs: 60_000, intervalMs: 500 });
  });
  afterAll(async () => {
    await script('patroni/fixture.sh', 'stop');
    rmSync(dir, { recursive: true, force: true });
  });

  it('the dry run names Patroni, the leader and its replicas and what each step runs, and changes nothing', async () => {
    const before = { schemas: await schemas(parsed.endpoint), primary: await primaryOf(parsed.endpoint) };
    const r = await flipdrill(['drill', '--cluster', file, '--dry-run', '--scenario', 'kill-primary,switchover,freeze-primary,partition-primary']);
    expect(r.status, r.stderr).toBe(0);
    const leader = node(before.primary);
    expect(r.stdout).toContain("manager      patroni (Patroni's REST API on pg1)");
    expect(r.stdout).toContain(`primary      ${leader}`);
    expect(r.stdout).toMatch(new RegExp(`${leader === 'pg1' ? 'pg2' : 'pg1'} \\(standby, timeline \\d+, streaming from ${leader}\\)`));
    for (const fault of ['kill', 'freeze', 'partition']) expect(r.stdout).toMatch(new RegExp(`${fault}-primary:[\\s\\S]*fault on ${leader} \\(the primary\\): .*root@10\\.230\\.1\\.${Number(leader.slice(2)) + 10}`));
    expect(r.stdout).toMatch(/POST http:\/\/127\.0\.0\.1:3502\d\/switchover \{"leader":"pg\d","candidate":"pg\d"\}/);
    expect({ schemas: await schemas(parsed.endpoint), primary: await primaryOf(parsed.endpoint) }).toEqual(before);
  });

  // After a switchover HAProxy sends new sessions to the demoted leader until its next health
  // check (seen once in CI: the drill's schema could not be dropped, "read-only transaction").
  it('the drill writes its schema only through a session that can write: an endpoint still reaching a replica is waited out', async () => {
    // A stand-in for a proxy that has not yet seen the failover: HAProxy's replica port first,
    // its primary port once it "checks" again.
    let upstream = 35001;
    const proxy = net.createServer((down) => {
      const up = net.connect(upstream, '127.0.0.1');
      down.pipe(up).pipe(down);
      up.on('error', () => down.destroy());
      down.on('error', () => up.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const url = `postgres://flipdrill:${PW}@127.0.0.1:${(proxy.address() as net.AddressInfo).port}/app`;
    try {
      // Not writable within the deadline: refused, saying why.
      await expect(connectWritable(url, 1500)).rejects.toThrow(/a session that can write through postgres:\/\/flipdrill:\*\*\*@127\.0\.0\.1:\d+\/app; last error: .*read-only/);
      const t0 = Date.now();
      const switched = setTimeout(() => (upstream = 35000), 2000);
      const client = await connectWritable(url, 20_000);
      clearTimeout(switched);
      try {
        expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
        expect((await client.query<{ ro: string }>("SELECT current_setting('transaction_read_only') AS ro")).rows[0]!.ro).toBe('off');
      } finally {
        await client.end();
      }
    } finally {
      proxy.close();
    }
  });

  // Patroni here keeps its leader key in etcd's v2 API: on etcd3, Patroni 3.0.2 lets the thawed
  // leader write the key over its successor's (patroni/patroni#2689), and the successor's
  // acknowledged writes are lost, as the bench records (docs/benchmarks.md). That is Patroni's
  // bug, not the drill's; here the drill of a freeze is what is tested.
  it('freeze-primary: a frozen leader loses its key, a replica is promoted, the thawed one rejoins', async () => {
    const before = node(await primaryOf(parsed.endpoint));
    expectPass(await drill(file, 'freeze-primary', path.join(dir, 'runs')), before);
    // Patroni's own record of the failover is on the report's timeline.
    const runDir = path.join(dir, 'runs', readdirSync(path.join(dir, 'runs')).sort().at(-1)!);
    expect(readFileSync(path.join(runDir, 'events.jsonl'), 'utf8')).toMatch(/"type":"manager","manager":"patroni"/);
    expect(await manager.whole()).toEqual([]);
  });

  it('kill-primary over SSH: Patroni fails over, no acknowledged write is lost, the killed node rejoins, the schema is gone', async () => {
    const before = node(await primaryOf(parsed.endpoint));
    expectPass(await drill(file, 'kill-primary', path.join(dir, 'runs')), before);
    expect(await manager.whole()).toEqual([]);
    expect(await schemas(parsed.endpoint)).not.toContain('flipdrill');
  });

  it('partition-primary: the leader cut off (SSH kept open) loses its key; SSH answers all along; nothing is left', async () => {
    const before = node(await primaryOf(parsed.endpoint));
    const host = `10.230.1.${Number(before.slice(2)) + 10}`;
    const ssh = ['-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${path.join(dir, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=accept-new', '-o', 'ConnectTimeout=3', '-i', key, `root@${host}`, 'true'];
    // SSH to the partitioned node, every second through the drill: a fresh connection each time.
    let answered = 0;
    let refused = 0;
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const t0 = Date.now();
        ((await runCommand('ssh', ssh, { timeoutMs: 10_000 })).status === 0 ? answered++ : refused++);
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - t0))));
      }
    })();
    try {
      expectPass(await drill(file, 'partition-primary', path.join(dir, 'runs')), before);
    } finally {
      probing = false;
      await probe;
    }
    expect(refused).toBe(0);
    expect(answered).toBeGreaterThan(10);
    expect(await manager.whole()).toEqual([]);
  });
  it("switchover: Patroni's own switchover through its REST API", async () => {
    const before = node(await primaryOf(parsed.endpoint));
    expectPass(await drill(file, 'switchover', path.join(dir, 'runs')), before);
    expect(await manager.whole()).toEqual([]);
    expect(await schemas(parsed.endpoint)).not.toContain('flipdrill');
  });

});

describe.sequential('drilling a pg_auto_failover cluster through a cluster file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fd-pgaf-'));
  const file = path.join(dir, 'pgaf.yaml');
  const text = `
name: pgaf-fixture
endpoint: "postgres://flipdrill:\${PW}@127.0.0.1:36001,127.0.0.1:36002/app?target_session_attrs=read-write"
# The fixture's monitor takes its own role over TLS only, with a self-signed certificate.
monitor: postgres://autoctl_node@127.0.0.1:36000/pg_auto_failover?sslmode=no-verify
expect: { maxWriteDownSecs: 45, promotionWithinSecs: 90 }
nodes:
  - { name: node1, url: "postgres://flipdrill:\${PW}@127.0.0.1:36001/app", docker: fdfix-pgaf-node1 }
  - { name: node2, url: "postgres://flipdrill:\${PW}@127.0.0.1:36002/app", docker: fdfix-pgaf-node2 }
`;
  const parsed = parseClusterFile(text, file, { PW });
  const manager = new PgAutoFailoverManager(monitorQuery(parsed.monitor!), parsed.nodes.map((n) => ({ node: n.name })));

  beforeAll(async () => {
    writeFileSync(file, text);
    await script('pg-auto-failover/pgaf.sh', 'start');
    // Faster than the defaults (20 s unhealthy, 5 s checks), for the test's time.
    const settings = { health_check_period: 1000, health_check_timeout: 1000, health_check_max_retries: 1, health_check_retry_delay: 500, node_considered_unhealthy_timeout: 5000, primary_demote_timeout: 5000 };
    // One -c each: ALTER SYSTEM runs outside a transaction block.
    const r = await runCommand('docker', [
      'exec', '-u', 'postgres', 'fdfix-pgaf-monitor', 'psql', '-v', 'ON_ERROR_STOP=1', '-d', 'pg_auto_failover',
      ...Object.entries(settings).flatMap(([k, v]) => ['-c', `ALTER SYSTEM SET pgautofailover.${k} = ${v}`]),
      '-c', 'SELECT pg_reload_conf()',
    ], { timeoutMs: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    await whole(manager);
  });
  afterAll(async () => {
    await script('pg-auto-failover/pgaf.sh', 'stop');
    rmSync(dir, { recursive: true, force: true });
  });

  it('the dry run names pg_auto_failover, the primary and its secondary and what each step runs, and changes nothing', async () => {
    const { primary } = await discover(parsed);
    const url = parsed.nodes.find((n) => n.name === primary)!.url;
    const before = { schemas: await schemas(url), events: (await manager.events(0)).length };
    const r = await flipdrill(['drill', '--cluster', file, '--dry-run', '--scenario', 'kill-primary,switchover']);
    expect(r.status, r.stderr).toBe(0);
    const secondary = primary === 'node1' ? 'node2' : 'node1';
    expect(r.stdout).toContain("manager      pg_auto_failover (the monitor's pgautofailover schema)");
    expect(r.stdout).toContain(`primary      ${primary}`);
    expect(r.stdout).toMatch(new RegExp(`${secondary} \\(standby, timeline \\d+, streaming from ${primary}\\)`));
    expect(r.stdout).toContain(`fault on ${primary} (the primary): docker kill --signal SIGKILL fdfix-pgaf-${primary}`);
    expect(r.stdout).toContain(`fault on ${secondary} (the standby): SELECT pgautofailover.perform_promotion(<formation>, '${secondary}') on the monitor`);
    // No schema made, no event in the monitor's record, the same primary.
    expect({ schemas: await schemas(url), events: (await manager.events(0)).length }).toEqual(before);
    expect((await discover(parsed)).primary).toBe(primary);
  });

  it('kill-primary through the multi-host endpoint: the monitor promotes the secondary, nothing acknowledged is lost', async () => {
    const { primary } = await discover(parsed);
    expectPass(await drill(file, 'kill-primary', path.join(dir, 'runs')), primary!);
    expect(await manager.whole()).toEqual([]);
  });

  it("switchover: the monitor's own promotion of the secondary", async () => {
    const { primary } = await discover(parsed);
    expectPass(await drill(file, 'switchover', path.join(dir, 'runs')), primary!);
    expect(await manager.whole()).toEqual([]);
    const { primary: after } = await discover(parsed);
    expect(await schemas(parsed.nodes.find((n) => n.name === after)!.url)).not.toContain('flipdrill');
  });
});
