/**
 * The cluster heals itself: with no flipdrill process watching (only the library's handle, which
 * looks and decides nothing), the primary's container is killed by hand; the endpoint agent inside
 * the cluster moves `pg-primary` to the promoted node, and the old primary, started again, rejoins
 * as a standby and never gets the endpoint back. Seen from a fresh container on the application
 * network with getent and psql, as a user's own client sees it.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { attachCluster, createLogger, removeClusters, waitFor } from '../cluster/index.ts';
import { runDrill } from './drill.ts';
import { startCluster, type FlipdrillCluster } from '../cluster/library.ts';
import { insertThroughEndpoint, resolveEndpoint, type ProbeTarget } from './probe/front-probe.ts';
import { testDocker } from './test-support/docker.ts';
import { junitSchemaErrors } from './test-support/report-files.ts';
import { FILTER_SOCKET } from '../cluster/endpoint/agent/engine-filter.ts';

const CLUSTER = { name: 'fdtest-agent', portBase: 26832, appPort: 26880, backSubnet: '10.213.85.0/24', frontSubnet: '10.213.86.0/24' };
const NODE1_FRONT = '10.213.86.11';
const NODE2_FRONT = '10.213.86.12';

async function inRecovery(port: number, password: string): Promise<boolean | undefined> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres', connectionTimeoutMillis: 1500 });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
}

describe('the endpoint agent, with nobody watching', () => {
  let cluster: FlipdrillCluster;
  let probe: ProbeTarget;

  beforeAll(async () => {
    cluster = await startCluster(CLUSTER);
    probe = { docker: await testDocker(), cluster: CLUSTER.name, app: cluster.connection };
  });

  afterAll(async () => {
    await cluster?.stop().catch(() => {});
    await removeClusters(await testDocker(), createLogger(), CLUSTER.name);
  });

  it('runs in its own container of the cluster, and pg-primary resolves to node1 alone at the start', async () => {
    const docker = await testDocker();
    const agent = await docker.inspectContainer(`${CLUSTER.name}-endpoint-agent`);
    expect(agent?.running).toBe(true);
    expect(agent?.labels['io.flipdrill.cluster']).toBe(CLUSTER.name);
    expect(await resolveEndpoint(probe)).toEqual([NODE1_FRONT]);
  });

  it("from inside its container, as the agent's own user, the engine answers only the agent's calls: no container made, no exec, no other container seen or connected, and the raw socket out of reach", async () => {
    const docker = await testDocker();
    const agent = `${CLUSTER.name}-endpoint-agent`;
    const node1 = `${CLUSTER.name}-node1`;
    // The agent's process: the one running endpoint-agent.cjs that has no child of its own (this
    // probe aside, whose own text names it); its uid.
    const findAgent = [
      "const fs = require('fs');",
      "const ps = fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).map((pid) => { try { const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8'); return { pid, cmd: fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'), ppid: /PPid:\\s+(\\d+)/.exec(status)[1], uid: /Uid:\\s+(\\d+)/.exec(status)[1] }; } catch { return undefined; } }).filter(Boolean);",
      "const agents = ps.filter((p) => p.pid !== String(process.pid) && p.cmd.includes('endpoint-agent.cjs') && !ps.some((c) => c.ppid === p.pid && c.cmd.includes('endpoint-agent.cjs')));",
      'console.log(JSON.stringify(agents.map((p) => p.uid)));',
    ].join('\n');
    const found = await docker.exec(agent, ['node', '-e', findAgent]);
    expect(found.exitCode, found.stderr).toBe(0);
    const uids = JSON.parse(found.stdout) as string[];
    expect(uids).toHaveLength(1);
    const uid = uids[0]!;

    // A container that is not the cluster's, to be looked at and connected.
    const bystander = `${CLUSTER.name}-bystander`;
    const image = (await docker.inspectContainer(agent))!.image;
    await docker.createContainer({ name: bystander, hostname: 'bystander', image, command: ['true'], env: {}, labels: { 'io.flipdrill.project': 'flipdrill' }, publish: {}, networks: [] });
    const intruder = `${CLUSTER.name}-intruder`;
    const front = `${CLUSTER.name}-front`;
    const ourList = `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: ['io.flipdrill.project=flipdrill', `io.flipdrill.cluster=${CLUSTER.name}`] }))}`;
    const calls = {
      ping: ['GET', '/_ping'],
      create: ['POST', `/containers/create?name=${intruder}`, { Image: image, Cmd: ['true'], Labels: { 'io.flipdrill.project': 'flipdrill', 'io.flipdrill.cluster': CLUSTER.name }, HostConfig: { Privileged: true, Binds: ['/:/host'] } }],
      execShell: ['POST', `/containers/${node1}/exec`, { Cmd: ['sh', '-c', 'id'], AttachStdout: true, AttachStderr: true, User: 'root' }],
      listAll: ['GET', '/containers/json?all=1'],
      inspectBystander: ['GET', `/containers/${bystander}/json`],
      connectBystander: ['POST', `/networks/${front}/connect`, { Container: bystander, EndpointConfig: { Aliases: ['pg-primary'], IPAMConfig: { IPv4Address: '10.213.86.77' } } }],
      listOurs: ['GET', ourList],
      inspectNode1: ['GET', `/containers/${node1}/json`],
    } as const;
    // Each call on each socket there is: the engine's own, and the filter's. Status, or the error's code.
    const ask = [
      "const http = require('http');",
      'const [sockets, calls] = JSON.parse(process.argv[1]);',
      'const one = (socketPath, [method, path, body]) => new Promise((resolve) => {',
      '  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));',
      "  const req = http.request({ socketPath, method, path, timeout: 5000, headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {} }, (res) => {",
      "    let text = ''; res.on('data', (c) => (text += c)); res.on('end', () => resolve({ status: res.statusCode, body: text }));",
      '  });',
      "  req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));",
      "  req.on('error', (e) => resolve({ error: e.code ?? e.message }));",
      '  req.end(payload);',
      '});',
      '(async () => { const out = {}; for (const s of sockets) { out[s] = {}; for (const [name, call] of Object.entries(calls)) out[s][name] = await one(s, call); }',
      // The one exec the agent runs, made and started through the filter: the engine's stream comes back whole.
      "  const made = await one(sockets[1], ['POST', `/containers/${process.argv[2]}/exec`, { Cmd: ['ip', '-o', '-4', 'addr', 'show'], AttachStdout: true, AttachStderr: true }]);",
      "  out.exec = { made, started: made.status === 201 ? await one(sockets[1], ['POST', `/exec/${JSON.parse(made.body).Id}/start`, { Detach: false, Tty: false }]) : undefined };",
      '  console.log(JSON.stringify(out)); })();',
    ].join('\n');
    const RAW = '/var/run/docker.sock';
    try {
      const r = await docker.exec(agent, ['node', '-e', ask, JSON.stringify([[RAW, FILTER_SOCKET], calls]), node1], { user: `${uid}:${uid}` });
      expect(r.exitCode, r.stderr).toBe(0);
      type Said = { status?: number; error?: string; body?: string };
      const said = JSON.parse(r.stdout) as Record<string, Record<keyof typeof calls, Said>> & { exec: { made: Said; started?: Said } };
      expect(said.exec.made.status, JSON.stringify(said.exec)).toBe(201);
      expect(said.exec.started?.status).toBe(200);
      expect(said.exec.started?.body).toContain('inet 10.213.85.');
      // The engine's socket does not even open.
      for (const [name, answer] of Object.entries(said[RAW]!)) expect(answer, `${name} on the engine's socket`).toEqual({ error: 'EACCES' });
      // The filter refuses all but the agent's calls ...
      const filter = said[FILTER_SOCKET]!;
      for (const name of ['create', 'execShell', 'listAll', 'inspectBystander', 'connectBystander'] as const) {
        expect(filter[name].status, `${name} through the filter: ${JSON.stringify(filter[name])}`).toBe(403);
        expect(filter[name].body).toMatch(/flipdrill engine filter/);
      }
      // ... and passes those on.
      expect(filter.ping.status).toBe(200);
      expect(filter.inspectNode1.status).toBe(200);
      expect(filter.listOurs.status).toBe(200);
      const listed = (JSON.parse(filter.listOurs.body ?? '[]') as { Names: string[] }[]).map((c) => c.Names[0]);
      expect(listed).toContain(`/${node1}`);
      expect(listed).not.toContain(`/${bystander}`);
      // Nothing was made or changed; the refusals are in the agent's log.
      expect(await docker.inspectContainer(intruder)).toBeUndefined();
      expect(Object.keys((await docker.inspectContainer(bystander))!.networks)).not.toContain(front);
      expect(await docker.logs(agent, 200)).toMatch(/"method":"POST","path":"\/containers\/create".*engine call refused/);
    } finally {
      await docker.removeContainer(intruder).catch(() => {});
      await docker.removeContainer(bystander).catch(() => {});
    }
  });

  it('in a node, root owns /etc/flipdrill and /var/log/flipdrill, and postgres cannot replace the settings root-run scripts read', async () => {
    const docker = await testDocker();
    const node = `${CLUSTER.name}-node2`;
    const owners = await docker.exec(node, ['stat', '-c', '%n %U:%G %a', '/etc/flipdrill', '/var/log/flipdrill', '/etc/flipdrill/node.env', '/var/log/flipdrill/repmgrd.log']);
    expect(owners.stdout.trim().split('\n')).toEqual([
      '/etc/flipdrill root:root 755',
      '/var/log/flipdrill root:root 755',
      '/etc/flipdrill/node.env root:postgres 640',
      '/var/log/flipdrill/repmgrd.log postgres:postgres 644',
    ]);
    const before = (await docker.exec(node, ['sha256sum', '/etc/flipdrill/node.env'])).stdout;
    for (const attempt of [
      'echo FLIPDRILL_VIP=1.2.3.4/24 >>/etc/flipdrill/node.env',
      'mv /etc/flipdrill/node.env /tmp/node.env',
      'rm -f /etc/flipdrill/node.env',
      'printf "FLIPDRILL_VIP=1.2.3.4/24\\n" >/tmp/evil && ln -sf /tmp/evil /etc/flipdrill/node.env',
      'ln -s /etc/shadow /var/log/flipdrill/evil.log',
      'mv /var/log/flipdrill/repmgrd.log /var/log/flipdrill/moved.log',
    ]) {
      const r = await docker.exec(node, ['bash', '-c', attempt], { user: 'postgres' });
      expect(r.exitCode, attempt).not.toBe(0);
    }
    expect((await docker.exec(node, ['sha256sum', '/etc/flipdrill/node.env'])).stdout).toBe(before);
    // And postgres may still write the log file that is its own.
    expect((await docker.exec(node, ['bash', '-c', 'echo ok >>/var/log/flipdrill/repmgrd.log'], { user: 'postgres' })).exitCode).toBe(0);
  });

  it("no password or private key in the nodes' or the agent's environment (docker inspect): they are files only root reads", async () => {
    const docker = await testDocker();
    const attached = await attachCluster(docker, createLogger(), CLUSTER.name);
    expect(attached?.credentials.superuser.password).toBe(cluster.superuser.password);
    const secrets = [cluster.superuser.password, attached!.credentials.repmgrPassword, cluster.connection.password, 'PRIVATE KEY'];
    for (const container of ['node1', 'node2', 'node3', 'endpoint-agent'].map((c) => `${CLUSTER.name}-${c}`)) {
      const env = Object.entries((await docker.inspectContainer(container))!.env).map(([k, v]) => `${k}=${v}`).join('\n');
      for (const secret of secrets) expect(env.includes(secret), `${container}'s environment holds a secret`).toBe(false);
    }
    const node = `${CLUSTER.name}-node1`;
    const files = await docker.exec(node, ['bash', '-c', 'stat -c "%n %U:%G %a" /run/flipdrill-secrets /run/flipdrill-secrets/*']);
    expect(files.stdout.trim().split('\n')).toEqual([
      '/run/flipdrill-secrets root:root 700',
      ...['APP_DB_PASSWORD', 'FLIPDRILL_SSH_PRIVATE_KEY', 'POSTGRES_PASSWORD', 'REPMGR_PASSWORD'].map((f) => `/run/flipdrill-secrets/${f} root:root 400`),
    ]);
    expect((await docker.exec(node, ['cat', '/run/flipdrill-secrets/POSTGRES_PASSWORD'], { user: 'postgres' })).exitCode).not.toBe(0);
  });

  it("pg_hba.conf: the superusers (postgres, repmgr) only from the replication network or the node itself, never from the application network nor from outside the cluster's networks", async () => {
    const docker = await testDocker();
    const outside = `${CLUSTER.name}-outside`;
    const labels = { 'io.flipdrill.project': 'flipdrill', 'io.flipdrill.cluster': CLUSTER.name };
    // A third network this test makes, with its own subnet; node2 joins it, so it can be reached from there.
    await docker.createNetwork({ name: outside, subnet: '10.213.87.0/24', gateway: '10.213.87.1', labels });
    await docker.connectNetwork(outside, `${CLUSTER.name}-node2`, { ipv4Address: '10.213.87.12', aliases: [] });
    const repmgrPassword = (await docker.exec(`${CLUSTER.name}-node2`, ['cat', '/run/flipdrill-secrets/REPMGR_PASSWORD'])).stdout.trim();
    expect(repmgrPassword).not.toBe('');
    const login = async (network: string, ip: string, host: string, user = 'postgres') => {
      const name = `${CLUSTER.name}-login-${ip.replaceAll('.', '-')}`;
      await docker.createContainer({
        name,
        hostname: 'login',
        image: (await docker.inspectContainer(`${CLUSTER.name}-node2`))!.image,
        entrypoint: ['bash', '-c', `psql -XqAt -h ${host} -U ${user} -d postgres -c 'SELECT 1' 2>&1; true`],
        env: { PGPASSWORD: user === 'repmgr' ? repmgrPassword : cluster.superuser.password, PGCONNECT_TIMEOUT: '5' },
        labels,
        publish: {},
        networks: [{ network, ipv4Address: ip, aliases: [] }],
      });
      await docker.startContainer(name);
      await waitFor(`${name} to finish`, async () => !(await docker.inspectContainer(name))?.running, { timeoutMs: 30_000, intervalMs: 100 });
      const said = await docker.logs(name, 20);
      await docker.removeContainer(name);
      return said.trim();
    };
    try {
      expect(await login(outside, '10.213.87.50', '10.213.87.12')).toMatch(/pg_hba\.conf rejects connection for host "10\.213\.87\.50", user "postgres"/);
      // The postgres superuser can run programs on the node (COPY ... TO PROGRAM): not from the app's network ...
      expect(await login(`${CLUSTER.name}-front`, '10.213.86.50', '10.213.86.12')).toMatch(/pg_hba\.conf rejects connection for host "10\.213\.86\.50", user "postgres"/);
      // ... but from the replication network, where flipdrill's observers and the endpoint agent are.
      expect(await login(`${CLUSTER.name}-back`, '10.213.85.50', '10.213.85.12')).toBe('1');
      // repmgr is a superuser: nothing on the application network logs in as repmgr ...
      expect(await login(`${CLUSTER.name}-front`, '10.213.86.51', '10.213.86.12', 'repmgr')).toMatch(/pg_hba\.conf rejects connection for host "10\.213\.86\.51", user "repmgr"/);
      // ... but it does from the replication network; and a node reaches itself as repmgr does, by
      // its own name, which may resolve to its application-network address first.
      expect(await login(`${CLUSTER.name}-back`, '10.213.85.51', '10.213.85.12', 'repmgr')).toBe('1');
      const self = (host: string) =>
        docker.exec(`${CLUSTER.name}-node2`, ['bash', '-c', `PGPASSWORD="$(cat /run/flipdrill-secrets/REPMGR_PASSWORD)" psql -XqAt -h ${host} -U repmgr -d repmgr -c 'SELECT inet_client_addr()' 2>&1`]);
      expect((await self(NODE2_FRONT)).stdout.trim()).toBe(NODE2_FRONT);
      expect((await self('node2')).exitCode).toBe(0);
    } finally {
      await docker.disconnectNetwork(outside, `${CLUSTER.name}-node2`).catch(() => {});
      await docker.removeNetwork(outside);
    }
  });

  it("a pg_basebackup's WAL stream (as repmgr's clone runs it) is never counted as a standby nor made the synchronous one", async () => {
    const docker = await testDocker();
    const node1 = `${CLUSTER.name}-node1`;
    const sql = async (query: string) => (await docker.exec(node1, ['psql', '-XqAt', '-d', 'postgres', '-c', query], { user: 'postgres' })).stdout.trim();
    // From the witness, as repmgr clones a standby: a slot, WAL streamed beside the copy; slowed
    // down so that it is still running while we look.
    const clone = 'setsid nohup pg_basebackup -h node1 -U repmgr -D /tmp/fdtest-bb -X stream -C -S fdtest_bb --max-rate=32k >/tmp/fdtest-bb.log 2>&1 &';
    expect((await docker.exec(`${CLUSTER.name}-node3`, ['bash', '-c', clone], { user: 'postgres' })).exitCode).toBe(0);
    try {
      await waitFor('the pg_basebackup WAL stream on node1', async () => (await sql("SELECT state FROM pg_stat_replication WHERE application_name = 'pg_basebackup' AND state = 'streaming'")) === 'streaming', {
        timeoutMs: 30_000,
        intervalMs: 250,
      });
      // The guard runs again (as on any repmgr event): it names node2, the one standby, and only it.
      expect((await docker.exec(node1, ['/usr/local/bin/flipdrill-sync-guard', 'recheck'], { user: 'postgres' })).exitCode).toBe(0);
      expect(await sql('SHOW synchronous_standby_names')).toBe('FIRST 1 (node2)');
      expect(await sql("SELECT application_name || ' ' || sync_state FROM pg_stat_replication WHERE state = 'streaming' ORDER BY 1")).toBe('node2 sync\npg_basebackup async');
    } finally {
      await docker.exec(`${CLUSTER.name}-node3`, ['pkill', '-f', 'fdtest-bb'], { user: 'postgres' });
      await waitFor('the pg_basebackup walsender to end', async () => (await sql("SELECT count(*) FROM pg_stat_replication WHERE application_name = 'pg_basebackup'")) === '0', { timeoutMs: 20_000, intervalMs: 250 });
      await docker.exec(`${CLUSTER.name}-node3`, ['rm', '-rf', '/tmp/fdtest-bb', '/tmp/fdtest-bb.log'], { user: 'postgres' });
      await sql("SELECT pg_drop_replication_slot('fdtest_bb') FROM pg_replication_slots WHERE slot_name = 'fdtest_bb'");
    }
  });

  it("repmgr's ping of an address where nothing answers (a killed node's, while Docker's DNS still gives it out) gives up at tcp_user_timeout, before connect_timeout", async () => {
    const docker = await testDocker();
    // node1's registered connection string, aimed at an address of the replication network that no
    // container holds: the connection attempt gets no answer at all, as one to a node killed a
    // moment ago does. libpq's connect_timeout (2 s, its floor) would say "timeout expired"; the
    // kernel's tcp_user_timeout ends it first, as "Connection timed out".
    const script = [
      `conninfo=$(runuser -u postgres -- psql -XqAt -d repmgr -c "SELECT conninfo FROM repmgr.nodes WHERE node_name = 'node1'")`,
      'silent=$(printf "%s" "$conninfo" | sed "s/host=node1 /host=10.213.85.99 /")',
      '[ "$silent" != "$conninfo" ] || { echo "no host=node1 in: $conninfo"; exit 1; }',
      'runuser -u postgres -- psql -XqAt "$silent" -c "SELECT 1" 2>&1; true',
    ].join('\n');
    const said = (await docker.exec(`${CLUSTER.name}-node2`, ['bash', '-c', script])).stdout;
    expect(said).toMatch(/Connection timed out/);
    expect(said).not.toMatch(/timeout expired/);
  });

  it("repmgr's connections give up on a silent peer within seconds: a query on an open connection, cut off mid-way, fails instead of waiting for the network", async () => {
    const docker = await testDocker();
    const node2 = `${CLUSTER.name}-node2`;
    // node1's connection string as repmgr registered it, used by an OS user of its own (nobody), so
    // that a firewall rule on that user's packets cuts this connection alone: repmgrd and replication
    // go on undisturbed. The second query is sent once the cut is in place; the time counts from then.
    const script = [
      'rm -f /tmp/cut.out /tmp/cut.done /tmp/cut.sent',
      `conninfo=$(runuser -u postgres -- psql -XqAt -d repmgr -c "SELECT conninfo FROM repmgr.nodes WHERE node_name = 'node1'")`,
      'install -m 600 -o nobody /var/lib/postgresql/.pgpass /tmp/cut.pgpass',
      `{ echo 'SELECT 1;'; while [ ! -e /tmp/cut.done ]; do sleep 0.05; done; date +%s%N >/tmp/cut.sent; echo 'SELECT 2;'; } | PGPASSFILE=/tmp/cut.pgpass timeout 20 setpriv --reuid=nobody --regid=nogroup --clear-groups psql -XqAt "$conninfo" >/tmp/cut.out 2>&1`,
      'cat /tmp/cut.out',
      'echo "elapsed_ms $(( ($(date +%s%N) - $(cat /tmp/cut.sent)) / 1000000 ))"',
    ].join('\n');
    const cutRule = ['OUTPUT', '-m', 'owner', '--uid-owner', 'nobody', '-j', 'DROP'];
    const running = docker.exec(node2, ['bash', '-c', script]);
    try {
      await waitFor('the first query answered', async () => (await docker.exec(node2, ['grep', '-qx', '1', '/tmp/cut.out'])).exitCode === 0, { timeoutMs: 30_000, intervalMs: 100 });
      expect((await docker.exec(node2, ['iptables', '-I', ...cutRule])).exitCode).toBe(0);
      await docker.exec(node2, ['touch', '/tmp/cut.done']);
      const said = (await running).stdout;
      expect(said).toMatch(/^1$/m);
      expect(said).not.toMatch(/^2$/m);
      expect(said).toContain('connection to server was lost');
      // tcp_user_timeout is 1 s; without it the query waits for the network until `timeout 20` ends it.
      const elapsed = Number(/elapsed_ms (\d+)/.exec(said)?.[1]);
      expect(elapsed).toBeLessThan(10_000);
    } finally {
      await docker.exec(node2, ['touch', '/tmp/cut.done']);
      await running.catch(() => {});
      await docker.exec(node2, ['iptables', '-D', ...cutRule]);
      await docker.exec(node2, ['rm', '-f', '/tmp/cut.pgpass']);
    }
  });

  it('after a hand kill of the primary: pg-primary resolves to the promoted node2 alone, and an INSERT through it commits', async () => {
    const docker = await testDocker();
    const killedAt = Date.now();
    await docker.killContainer(`${CLUSTER.name}-node1`, 'SIGKILL');
    // The speed is the bench's business (docs/benchmarks.md); this checks where it ends up.
    await waitFor('pg-primary to resolve to node2 alone', async () => {
      const addresses = await resolveEndpoint(probe);
      return addresses.length === 1 && addresses[0] === NODE2_FRONT;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    process.stderr.write(`pg-primary on node2 ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill (as seen from a fresh container)\n`);
    const insert = await insertThroughEndpoint(probe);
    expect(insert.said).toContain('INSERTED');
    // The agent says what it did, and why.
    const log = await docker.logs(`${CLUSTER.name}-endpoint-agent`, 200);
    expect(log).toMatch(/"node":"node2","action":"move".*node2 is primary/);
  });

  it('the killed node, started again by hand, rejoins as a standby and never gets pg-primary back (watched for 20 s)', async () => {
    const docker = await testDocker();
    const node1 = `${CLUSTER.name}-node1`;
    await docker.startContainer(node1);
    const password = cluster.superuser.password;
    await waitFor('node1 to be a standby again, its entrypoint done', async () => {
      if ((await inRecovery(CLUSTER.portBase, password)) !== true) return false;
      return (await docker.exec(node1, ['test', '-f', '/run/flipdrill/ready'])).exitCode === 0;
    }, { timeoutMs: 120_000, intervalMs: 500 });
    const until = Date.now() + 20_000;
    let looks = 0;
    while (Date.now() < until) {
      const info = await docker.inspectContainer(node1);
      expect(info?.running).toBe(true);
      expect(info?.networks[`${CLUSTER.name}-front`]?.aliases ?? []).not.toContain('pg-primary');
      looks += 1;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(looks).toBeGreaterThan(20);
    expect(await inRecovery(CLUSTER.portBase, password)).toBe(true);
    expect(await resolveEndpoint(probe)).toEqual([NODE2_FRONT]);
  });

  it("the library's floating endpoint on 127.0.0.1 followed the agent: a write through it lands on node2", async () => {
    expect(cluster.endpoint.holder).toBe('node2');
    const client = new pg.Client({ ...cluster.connection, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      const { rows } = await client.query<{ primary: boolean; server: string }>("SELECT NOT pg_is_in_recovery() AS primary, inet_server_addr()::text AS server");
      expect(rows[0]?.primary).toBe(true);
      expect(rows[0]?.server).toMatch(/^172\.|^10\.|^127\./);
    } finally {
      await client.end();
    }
  });

  it('when the agent is not running, nothing pretends: status says so, and a drill refuses to start in one line', async () => {
    const docker = await testDocker();
    await docker.stopContainer(`${CLUSTER.name}-endpoint-agent`, 5);
    const attached = await attachCluster(docker, createLogger(), CLUSTER.name);
    const status = await attached!.status();
    expect(status.agent).toMatchObject({ container: `${CLUSTER.name}-endpoint-agent`, running: false });
    expect(status.agent.problem).toMatch(/is exited/);
    const runsDir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-agent-runs-'));
    try {
      let runDir: string | undefined;
      const drill = runDrill({ cluster: CLUSTER, runsDir, warmupMs: 1000, settleMs: 1000, onRunFolder: (run) => (runDir = run.dir) });
      await expect(drill).rejects.toThrow(/^the cluster cannot move its endpoint: the endpoint agent fdtest-agent-endpoint-agent is exited/);
      // No verdict, but a junit.xml a CI gate can read: one case in error, with the reason.
      const junit = path.join(runDir!, 'junit.xml');
      expect(junitSchemaErrors(junit)).toEqual([]);
      expect(readFileSync(junit, 'utf8')).toMatch(/<error message="the cluster cannot move its endpoint: the endpoint agent fdtest-agent-endpoint-agent is exited/);
    } finally {
      rmSync(runsDir, { recursive: true, force: true });
    }
    // Started again, it takes over where it was.
    await docker.startContainer(`${CLUSTER.name}-endpoint-agent`);
    expect((await attached!.status()).agent.running).toBe(true);
  });
});
