/**
 * flipdrill's look at clusters no one here wrote (harness/fixtures/): discovery by SQL finds each
 * one's manager, primary and standbys; the dry run prints each step with its command and changes
 * nothing; and each manager, asked through its own interface, says the cluster is whole and does a
 * planned switchover itself (Patroni's REST API, pg_auto_failover's monitor).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachFaults, discover, DockerodeClient, monitorQuery, parseClusterFile, PatroniManager, PgAutoFailoverManager, waitFor, withManagerSwitchover, type HaManager } from '../../cluster/index.ts';
import { resolveScenario } from '../scenario.ts';
import { runCommand } from '../test-support/run-command.ts';
import { dryRun } from './dry-run.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const env = { PW: 'flipdrill' };

async function script(file: string, verb: 'start' | 'stop'): Promise<void> {
  const r = await runCommand(path.join(FIXTURES, file), [verb], { timeoutMs: 600_000 });
  if (r.status !== 0) throw new Error(`${file} ${verb} failed (${r.status}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
}

/** The schemas of the app database, and which node is primary: what a look must not change. */
async function state(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ n: string }>('SELECT nspname AS n FROM pg_namespace ORDER BY 1')).rows.map((r) => r.n);
  } finally {
    await client.end();
  }
}

async function whole(manager: HaManager, timeoutMs = 120_000): Promise<void> {
  await waitFor(`the cluster whole as ${manager.name} sees it`, async () => (await manager.whole().catch((e: Error) => [e.message])).length === 0, { timeoutMs, intervalMs: 1000 });
}

describe('a Patroni cluster no one here wrote', () => {
  const text = `
name: patroni-fixture
endpoint: postgres://flipdrill:\${PW}@127.0.0.1:35000/app
replicas: ["postgres://flipdrill:\${PW}@127.0.0.1:35001/app"]
nodes:
${[1, 2, 3].map((i) => `  - { name: pg${i}, url: "postgres://flipdrill:\${PW}@127.0.0.1:3501${i}/app", docker: fdfix-patroni-pg${i}, patroni: "http://127.0.0.1:3502${i}" }`).join('\n')}
`;
  const file = parseClusterFile(text, 'patroni.yaml', env);
  const manager = new PatroniManager(file.nodes.map((n) => ({ node: n.name, url: n.patroni! })));

  beforeAll(async () => {
    await script('patroni/fixture.sh', 'start');
    await whole(manager);
    // HAProxy routes to the leader once its checks pass (every 3 s, up after 2).
    await waitFor('the endpoint through HAProxy', async () => (await state(file.endpoint).catch(() => undefined)) !== undefined, { timeoutMs: 60_000, intervalMs: 500 });
  });
  afterAll(async () => {
    await script('patroni/fixture.sh', 'stop');
  });

  it('discovery finds Patroni, the leader and two streaming replicas; the dry run says what each step runs; nothing changes', async () => {
    // Patroni 3.0.2 calls a replica running before its WAL receiver streams: wait for both to stream.
    const found = await waitFor('both replicas streaming', async () => {
      const d = await discover(file);
      return d.nodes.filter((n) => n.role === 'standby' && n.upstream === d.primary).length === 2 && d;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    expect(found.problems).toEqual([]);
    expect(found.manager).toEqual({ name: 'patroni', how: "Patroni's REST API on pg1" });
    expect(found.nodes.filter((n) => n.role === 'standby').map((n) => n.upstream)).toEqual([found.primary, found.primary]);
    const before = await state(file.endpoint);
    const faults = withManagerSwitchover(attachFaults(file, { docker: () => new DockerodeClient(), helperImage: async () => { throw new Error('a dry run runs no helper'); } }), manager, async () => (await discover(file)).primary);
    const plan = await dryRun(file, faults, ['kill-primary', 'switchover'].map(resolveScenario), manager);
    expect(plan.drills).toEqual(['kill-primary', 'switchover']);
    expect(plan.text).toContain(`fault on ${found.primary} (the primary): docker kill --signal SIGKILL fdfix-patroni-${found.primary}`);
    expect(plan.text).toMatch(/POST http:\/\/127\.0\.0\.1:3502\d\/switchover \{"leader":"pg\d","candidate":"pg\d"\}/);
    expect(await state(file.endpoint)).toEqual(before);
  });

  it("Patroni switches over itself when asked through its REST API, and says the cluster is whole again", async () => {
    const since = Date.now();
    const { primary } = await discover(file);
    const candidate = file.nodes.map((n) => n.name).find((n) => n !== primary)!;
    expect(await manager.switchover(candidate, primary!)).toMatch(/switched over/i);
    await waitFor(`${candidate} primary`, async () => (await discover(file)).primary === candidate, { timeoutMs: 60_000, intervalMs: 500 });
    await whole(manager);
    expect((await manager.events(since - 60_000)).some((e) => e.node === candidate)).toBe(true);
  });
});

describe('a pg_auto_failover cluster no one here wrote', () => {
  const text = `
name: pgaf-fixture
endpoint: "postgres://flipdrill:\${PW}@127.0.0.1:36001,127.0.0.1:36002/app?target_session_attrs=read-write"
# The fixture's monitor takes its own role over TLS only, with a self-signed certificate.
monitor: postgres://autoctl_node@127.0.0.1:36000/pg_auto_failover?sslmode=no-verify
nodes:
  - { name: node1, url: "postgres://flipdrill:\${PW}@127.0.0.1:36001/app", docker: fdfix-pgaf-node1 }
  - { name: node2, url: "postgres://flipdrill:\${PW}@127.0.0.1:36002/app", docker: fdfix-pgaf-node2 }
`;
  const file = parseClusterFile(text, 'pgaf.yaml', env);
  const manager = new PgAutoFailoverManager(monitorQuery(file.monitor!), file.nodes.map((n) => ({ node: n.name })));

  beforeAll(async () => {
    await script('pg-auto-failover/pgaf.sh', 'start');
    await whole(manager);
  });
  afterAll(async () => {
    await script('pg-auto-failover/pgaf.sh', 'stop');
  });

  it('discovery finds pg_auto_failover by its monitor, the primary and its secondary', async () => {
    const found = await discover(file);
    expect(found.problems).toEqual([]);
    expect(found.manager).toEqual({ name: 'pg_auto_failover', how: "the monitor's pgautofailover schema" });
    expect(found.nodes.map((n) => n.role).sort()).toEqual(['primary', 'standby']);
  });

  it('the monitor switches over when asked, and says the cluster is whole again', async () => {
    const { primary } = await discover(file);
    const candidate = file.nodes.map((n) => n.name).find((n) => n !== primary)!;
    await manager.switchover(candidate);
    await waitFor(`${candidate} primary`, async () => (await discover(file)).primary === candidate, { timeoutMs: 90_000, intervalMs: 1000 });
    await whole(manager);
  });
});
