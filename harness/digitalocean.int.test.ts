/**
 * The DigitalOcean path end to end, locally: each node container plays a droplet, the API
 * simulator runs in its own container on the replication network, the promote hook inside the new
 * primary moves the floating IP through the real do-wrapper, and the simulator's assignment decides
 * which node the app's endpoint reaches.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attachCluster, createLogger, removeClusters } from '../cluster/index.ts';
import { runDrill } from './drill.ts';
import { resolveScenario } from './scenario.ts';
import { leftovers, testDocker } from './test-support/docker.ts';
import { clusterSecrets, secretsInInspect } from './test-support/inspect-secrets.ts';

const CLUSTER = { name: 'fdtest-do', portBase: 33432, appPort: 33480, backSubnet: '10.219.1.0/24', frontSubnet: '10.219.2.0/24', endpoint: 'do-simulator' as const };
const runsDir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-do-runs-'));

/** The cluster's DigitalOcean tokens, as flipdrill finds them again. */
async function attachTokens() {
  return (await attachCluster(await testDocker(), createLogger(), CLUSTER.name))?.credentials.doTokens;
}

afterAll(async () => {
  await removeClusters(await testDocker(), createLogger(), CLUSTER.name);
  rmSync(runsDir, { recursive: true, force: true });
});

describe('a drill through a DigitalOcean floating IP (API simulator)', () => {
  it('kill-primary: the hook waits out a 429 and a pending event, moves the IP to the new primary, and the report says how long the move took', async () => {
    const { report } = await runDrill({ cluster: CLUSTER, runsDir, doFaults: ['429', 'pending-event'], warmupMs: 2000, settleMs: 2000, keep: true });
    const { result } = report;
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.floatingIp).toMatchObject({ ip: '203.0.113.10', holder: 'node2' });
    expect(result.floatingIp!.assignRequests.map((r) => r.status)).toEqual([429, 422, 201]);
    // The 429 said retry-after 1: the hook's next request came at least a second later.
    const [refused, pending] = result.floatingIp!.assignRequests;
    expect(pending!.atMs - refused!.atMs).toBeGreaterThanOrEqual(1000);
    expect(result.floatingIp!.moveMs).toBeGreaterThan(0);
    expect(result.endpointMove?.node).toBe('node2');
    expect(result.lost).toEqual([]);
  });

  it('docker inspect of every container (the nodes, the endpoint agent, the app, the DigitalOcean API simulator) shows no password and no token', async () => {
    const secrets = await clusterSecrets(CLUSTER.name);
    const { containers, shown } = await secretsInInspect(CLUSTER.name, secrets);
    expect(containers).toEqual([`${CLUSTER.name}-app`, `${CLUSTER.name}-do-api`, `${CLUSTER.name}-endpoint-agent`, `${CLUSTER.name}-node1`, `${CLUSTER.name}-node2`, `${CLUSTER.name}-node3`]);
    expect(shown).toEqual([]);
  });

  it("the DigitalOcean token is root's alone, on the data nodes only: not in node.env, not on the witness, and a database superuser's COPY ... FROM PROGRAM (run as postgres) cannot read it", async () => {
    const docker = await testDocker();
    const { hook } = (await attachTokens())!;
    // node1, killed by the drill, is stopped: its files are read through the engine.
    for (const node of ['node1', 'node2', 'node3']) {
      const settings = await docker.readFile(`${CLUSTER.name}-${node}`, '/etc/flipdrill/node.env', 64 * 1024);
      expect(settings, node).toContain('NODE_NAME=');
      expect(settings, `${node}'s node.env`).not.toContain(hook);
    }
    // The witness never moves the IP: no token there in any form.
    const witness = await docker.exec(`${CLUSTER.name}-node3`, ['sh', '-c', 'ls /etc/flipdrill /run/flipdrill-secrets; env']);
    expect(witness.stdout).not.toMatch(/do-token|DIGITALOCEAN_TOKEN/);
    expect((await docker.inspectContainer(`${CLUSTER.name}-node3`))!.env.DIGITALOCEAN_TOKEN_FILE).toBeUndefined();
    // On the primary (node2, whose hook moved the IP in the drill above), as a superuser would.
    const sql = [
      'CREATE TEMP TABLE leak (line text)',
      "COPY leak FROM PROGRAM 'for f in /etc/flipdrill/node.env /etc/flipdrill/do-token /run/flipdrill-secrets/DIGITALOCEAN_TOKEN; do cat $f 2>&1; done; true'",
      "SELECT string_agg(line, E'\\n') FROM leak",
    ];
    const copied = await docker.exec(`${CLUSTER.name}-node2`, ['psql', '-X', '-qAt', '-v', 'ON_ERROR_STOP=1', '-d', 'postgres', ...sql.flatMap((c) => ['-c', c])], { user: 'postgres' });
    expect(copied.exitCode, copied.stderr).toBe(0);
    expect(copied.stdout).not.toContain(hook);
    expect(copied.stdout).toContain('FLIPDRILL_FLOATING_IP=');
    expect(copied.stdout).toMatch(/do-token: Permission denied/);
  });

  it('postgres may run as root exactly the commands the hooks run, with exactly their arguments', async () => {
    const docker = await testDocker();
    const allowed = async (...command: string[]) => (await docker.exec(`${CLUSTER.name}-node2`, ['sudo', '-n', '-l', ...command], { user: 'postgres' })).exitCode === 0;
    // flipdrill-vip with any arguments was allowed.
    expect(await allowed('/usr/local/bin/flipdrill-vip', 'anything')).toBe(false);
    expect(await allowed('/usr/local/bin/flipdrill-vip', 'up', '--anything')).toBe(false);
    expect(await allowed('/usr/local/bin/flipdrill-flip-here', 'anything')).toBe(false);
    expect(await allowed('/bin/cat', '/etc/flipdrill/do-token')).toBe(false);
    expect(await allowed('/usr/local/bin/flipdrill-vip', 'up')).toBe(true);
    expect(await allowed('/usr/local/bin/flipdrill-vip', 'down')).toBe(true);
    expect(await allowed('/usr/local/bin/flipdrill-flip-here', 'promote')).toBe(true);
  });

  it('the postgres superuser is refused from the application network (where the app is), as repmgr is; the app\'s user is not', async () => {
    const docker = await testDocker();
    const node2 = (await docker.inspectContainer(`${CLUSTER.name}-node2`))!;
    const address = node2.networks[`${CLUSTER.name}-front`]!.ipv4Address;
    // From the app's container, on the application network: a startup message as `user`, and
    // PostgreSQL's first answer: 'R' (it asks for the password: pg_hba.conf let the user in) or
    // its error. No password is needed to see which.
    const probe = (user: string) =>
      docker.exec(`${CLUSTER.name}-app`, [
        'node',
        '-e',
        `const s = require('net').connect(5432, ${JSON.stringify(address)});
         const body = Buffer.from('user\\0' + process.argv[1] + '\\0database\\0postgres\\0\\0');
         const head = Buffer.alloc(8); head.writeInt32BE(8 + body.length, 0); head.writeInt32BE(196608, 4);
         s.setTimeout(10000, () => { console.log('timeout'); process.exit(1); });
         s.on('connect', () => s.write(Buffer.concat([head, body])));
         s.on('data', (d) => { console.log(d[0] === 0x52 ? 'asks for a password' : d.toString('latin1').replace(/[^ -~]+/g, ' ')); process.exit(0); });
         s.on('error', (e) => { console.log(e.message); process.exit(1); });`,
        user,
      ]);
    const app = await probe('flipdrill_app');
    expect(app.stdout.trim()).toBe('asks for a password');
    const superuser = await probe('postgres');
    expect(superuser.stdout).toMatch(/pg_hba\.conf rejects connection for host "[\d.]+", user "postgres"/);
  });

  it('a script run as root parses node.env, never sources it: a command written into it is not run', async () => {
    const docker = await testDocker();
    const node = `${CLUSTER.name}-node2`;
    const marker = '/tmp/flipdrill-node-env-was-sourced';
    const setup = await docker.exec(node, ['sh', '-c', `rm -f ${marker} && cp -p /etc/flipdrill/node.env /tmp/node.env.kept && echo 'NODE_NAME=$(touch ${marker})' >>/etc/flipdrill/node.env`]);
    expect(setup.exitCode, setup.stderr).toBe(0);
    try {
      // flipdrill-flip-here runs as root (the hook's sudo); it moves the IP here, where it is already.
      const ran = await docker.exec(node, ['/usr/local/bin/flipdrill-flip-here', 'promote']);
      expect(ran.exitCode, ran.stderr).toBe(0);
      const log = await docker.exec(node, ['tail', '-n', '5', '/var/log/flipdrill/repmgrd.log']);
      // It still read its settings: the floating IP, parsed out of the file.
      expect(log.stdout).toMatch(/flipdrill-flip-here: moving 203\.0\.113\.10 to this droplet \(promote\)/);
      expect((await docker.exec(node, ['test', '-e', marker])).exitCode).not.toBe(0);
    } finally {
      await docker.exec(node, ['sh', '-c', `mv /tmp/node.env.kept /etc/flipdrill/node.env; rm -f ${marker}`]);
    }
  });

  it('a planned switchover moves the IP too, at the promotion (repmgr runs no promote_command then: its standby_promote event does it)', async () => {
    await removeClusters(await testDocker(), createLogger(), CLUSTER.name);
    const { report } = await runDrill({ cluster: CLUSTER, runsDir, scenario: resolveScenario('switchover'), warmupMs: 1500, settleMs: 1500 });
    const { result } = report;
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.floatingIp).toMatchObject({ holder: 'node2' });
    expect(result.floatingIp!.assignRequests.map((r) => r.status)).toEqual([201]);
  });
});

describe('afterwards', () => {
  it('leaves nothing of the cluster behind once removed', async () => {
    await removeClusters(await testDocker(), createLogger(), CLUSTER.name);
    expect(await leftovers(CLUSTER.name)).toEqual([]);
  });
});
