/**
 * The playbook in ansible/, proven without VMs: plain Debian machines played by containers (the
 * packages already present, since containers cannot download; everything else done for real)
 * are converged through Ansible's Docker connection, a second run changes nothing, and flipdrill
 * drills the result over SSH with --target, as it would Vagrant VMs or droplets.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadInventory, RemoteCluster, REPO_ROOT, removeClusters } from '../cluster/index.ts';
import { runDrill } from './drill.ts';
import { resolveScenario } from './scenario.ts';
import { testDocker, printNodeLogs } from './test-support/docker.ts';
import { startMachines, type Machines } from './test-support/machines.ts';

const NAME = 'fdtest-machines';
const SUBNET = '10.229.9.0/24';
const ANSIBLE_DIR = path.join(REPO_ROOT, 'ansible');
const work = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-machines-'));
const runsDir = path.join(work, 'runs');
let machines: Machines;

interface Recap {
  ok: number;
  changed: number;
  failed: number;
  unreachable: number;
  /** The tasks (and handlers) that changed something on this host. */
  changedTasks: string[];
}

/** Run a command in ansible/; its output and exit code. */
function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ANSIBLE_DIR, env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0', PY_COLORS: '0' } });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function playbook(): Promise<Record<string, Recap>> {
  const { code, output } = await run('ansible-playbook', ['-i', machines.ansibleInventory, 'site.yml']);
  const changedTasks: Record<string, string[]> = {};
  let task = '';
  for (const line of output.split('\n')) {
    const header = /^(?:TASK|RUNNING HANDLER) \[(?:flipdrill_node : )?(.*?)\]/.exec(line);
    if (header) task = header[1]!;
    const changed = /^changed: \[(\S+?)\]/.exec(line);
    if (changed) (changedTasks[changed[1]!] ??= []).push(task);
  }
  const recap: Record<string, Recap> = {};
  for (const m of output.matchAll(/^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    recap[m[1]!] = { ok: Number(m[2]), changed: Number(m[3]), unreachable: Number(m[4]), failed: Number(m[5]), changedTasks: changedTasks[m[1]!] ?? [] };
  }
  if (code !== 0) process.stderr.write(`\n===== ansible-playbook exited ${code} =====\n${output.split('\n').slice(-80).join('\n')}\n`);
  expect(code).toBe(0);
  return recap;
}

/** repmgr's own view, from node1: name → role and status. */
async function clusterShow(from = 'node1'): Promise<string> {
  const r = await (await testDocker()).exec(`${NAME}-${from}`, ['repmgr', '-f', '/etc/repmgr.conf', 'cluster', 'show', '--compact'], { user: 'postgres' });
  return r.stdout;
}

async function watchRunning(): Promise<Record<string, boolean>> {
  const running: Record<string, boolean> = {};
  for (const node of machines.names) {
    const r = await (await testDocker()).exec(`${NAME}-${node}`, ['/etc/init.d/flipdrill-repmgrd-watch', 'status']);
    running[node] = r.exitCode === 0;
  }
  return running;
}

async function vipHolders(): Promise<string[]> {
  const held: string[] = [];
  for (const node of ['node1', 'node2']) {
    const r = await (await testDocker()).exec(`${NAME}-${node}`, ['ip', '-o', '-4', 'addr', 'show']);
    if (r.stdout.includes(` ${machines.vip}/`)) held.push(node);
  }
  return held;
}

beforeAll(async () => {
  const docker = await testDocker();
  await removeClusters(docker, createLogger(), NAME);
  machines = await startMachines(docker, { name: NAME, subnet: SUBNET }, work);
});

afterAll(async () => {
  await removeClusters(await testDocker(), createLogger(), NAME);
  rmSync(work, { recursive: true, force: true });
});

describe('ansible/: lint', () => {
  it('passes ansible-playbook --syntax-check and ansible-lint', async () => {
    const syntax = await run('ansible-playbook', ['--syntax-check', '-i', machines.ansibleInventory, 'site.yml']);
    expect(syntax.output).toContain('playbook: site.yml');
    expect(syntax.code).toBe(0);
    const lint = await run('ansible-lint', ['site.yml']);
    if (lint.code !== 0) process.stderr.write(lint.output);
    expect(lint.code).toBe(0);
  });
});

describe('Vagrantfile', () => {
  it('passes vagrant validate (without a provider: CI machines run no VMs)', async () => {
    const result = await new Promise<{ code: number; output: string }>((resolve, reject) => {
      const child = spawn('vagrant', ['validate', '--ignore-provider', '--no-color'], { cwd: REPO_ROOT });
      let output = '';
      child.stdout.on('data', (b: Buffer) => (output += b.toString()));
      child.stderr.on('data', (b: Buffer) => (output += b.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? 1, output }));
    });
    expect(result.output).toContain('Vagrantfile validated successfully');
    expect(result.code).toBe(0);
  });

  it('gives its VMs the addresses the Vagrant inventory uses', () => {
    const vagrantfile = readFileSync(path.join(REPO_ROOT, 'Vagrantfile'), 'utf8');
    const inventory = readFileSync(path.join(ANSIBLE_DIR, 'inventories/vagrant/hosts.yml'), 'utf8');
    const vms = [...vagrantfile.matchAll(/name: "(node\d)", ip: "([\d.]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
    const hosts = [...inventory.matchAll(/^ {8}(node\d):\n {10}ansible_host: ([\d.]+)/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(vms).toHaveLength(3);
    expect(hosts).toEqual(vms);
  });
});

describe('ansible/: a real converge of plain Debian machines', () => {
  it('makes a repmgr cluster: node1 primary, node2 standby streaming synchronously, node3 witness, the virtual IP on node1', async () => {
    const recap = await playbook();
    for (const node of machines.names) expect(recap[node]).toMatchObject({ failed: 0, unreachable: 0 });
    expect(recap.node1!.changed).toBeGreaterThan(10);
    const show = await clusterShow();
    expect(show).toMatch(/node1\s*\|\s*primary\s*\|\s*\* running/);
    expect(show).toMatch(/node2\s*\|\s*standby\s*\|\s*running\s*\|\s*node1/);
    expect(show).toMatch(/node3\s*\|\s*witness\s*\|\s*\* running/);
    const sync = await (await testDocker()).exec(`${NAME}-node1`, ['psql', '-qAt', '-c', 'SELECT sync_state FROM pg_stat_replication'], { user: 'postgres' });
    expect(sync.stdout.trim()).toBe('sync');
    expect(await vipHolders()).toEqual(['node1']);
    // The repmgrd watch runs on the data nodes (from its init script), not on the witness, and
    // finds the nodes by repmgr's names.
    expect(await watchRunning()).toEqual({ node1: true, node2: true, node3: false });
    const hosts = await (await testDocker()).exec(`${NAME}-node2`, ['getent', 'hosts', 'node1']);
    expect(hosts.stdout).toContain(machines.addresses.node1);
  });

  it('changes nothing on a second run', async () => {
    const recap = await playbook();
    expect(Object.fromEntries(machines.names.map((n) => [n, recap[n]?.changed]))).toEqual({ node1: 0, node2: 0, node3: 0 });
  });

  it("lets postgres run as root exactly repmgr's service commands and the hooks', each with exactly its arguments", async () => {
    const docker = await testDocker();
    const allowed = async (...command: string[]) => (await docker.exec(`${NAME}-node1`, ['sudo', '-n', '-l', ...command], { user: 'postgres' })).exitCode === 0;
    // What `pg_ctlcluster 15 main *` let through: other actions, and options that run anything.
    expect(await allowed('/usr/bin/pg_ctlcluster', '15', 'main', 'start', '-o', '-c archive_command=id')).toBe(false);
    expect(await allowed('/usr/bin/pg_ctlcluster', '15', 'main', 'promote')).toBe(false);
    expect(await allowed('/usr/bin/pg_ctlcluster', '15', 'main', 'stop', '-m', 'immediate')).toBe(false);
    expect(await allowed('/usr/local/bin/flipdrill-vip', 'up', 'extra')).toBe(false);
    // What the hooks and repmgr run.
    for (const command of [['start'], ['stop', '-m', 'fast'], ['restart', '-m', 'fast'], ['reload']]) {
      expect(await allowed('/usr/bin/pg_ctlcluster', '15', 'main', ...command), command.join(' ')).toBe(true);
    }
    expect(await allowed('/usr/local/bin/flipdrill-vip', 'up')).toBe(true);
    expect(await allowed('/usr/local/bin/flipdrill-flip-here', 'promote')).toBe(true);
  });

  it('lets the postgres superuser in as repmgr: from the replication network or the node itself, nowhere else', async () => {
    const docker = await testDocker();
    const rules = await docker.exec(
      `${NAME}-node1`,
      ['psql', '-X', '-qAt', '-c', "SELECT type, address, auth_method FROM pg_hba_file_rules WHERE 'postgres' = ANY(user_name) ORDER BY line_number"],
      { user: 'postgres' },
    );
    expect(rules.stdout.trim().split('\n')).toEqual(['local||peer', `host|${SUBNET.split('/')[0]}|scram-sha-256`, 'host|samehost|scram-sha-256', 'host|all|reject']);
  });

  it('over SSH, reads node.env as settings and never runs it as root: a command written into it is not run', async () => {
    const docker = await testDocker();
    const node = `${NAME}-node1`;
    // A file only root can make: the hooks, which source node.env as postgres, cannot make it.
    const marker = '/etc/flipdrill/node-env-was-run-by-root';
    const setup = await docker.exec(node, ['sh', '-c', `rm -f ${marker} && cp -p /etc/flipdrill/node.env /tmp/node.env.kept && echo 'NODE_NAME=$(touch ${marker})' >>/etc/flipdrill/node.env`]);
    expect(setup.exitCode, setup.stderr).toBe(0);
    try {
      const cluster = new RemoteCluster(await loadInventory(machines.sshInventory), createLogger());
      // Both still read their settings (PGDATA, PG_CONF_DIR), parsed out of the file.
      expect(await cluster.isRunning('node1')).toBe(true);
      expect(await cluster.endpointView('node1', machines.vip)).toEqual({ holds: true, fenced: false });
      expect((await docker.exec(node, ['test', '-e', marker])).exitCode).not.toBe(0);
    } finally {
      await docker.exec(node, ['sh', '-c', `mv /tmp/node.env.kept /etc/flipdrill/node.env; rm -f ${marker}`]);
    }
  });

  it('passes the kill-primary drill, run over SSH with --target: node2 promoted, the virtual IP on node2 alone, nothing lost', async () => {
    try {
      const { report } = await runDrill({ target: machines.sshInventory, scenario: resolveScenario('kill-primary'), runsDir, warmupMs: 2000, settleMs: 2000 });
      const { result } = report;
      expect(result.checks.filter((c) => !c.ok)).toEqual([]);
      expect(result.verdict).toBe('PASS');
      expect(result.promotion?.node).toBe('node2');
      expect(result.lost).toEqual([]);
      expect(await vipHolders()).toEqual(['node2']);
    } catch (error) {
      printNodeLogs(runsDir);
      throw error;
    }
  });

  it('run again after the failover, brings the killed old primary back as a standby of node2, not as a second primary', async () => {
    const recap = await playbook();
    expect(recap.node1?.failed).toBe(0);
    // flipdrill-start, and nothing else: the drill fenced nothing (the nodes give up the virtual IP themselves).
    expect(recap.node1?.changedTasks).toEqual(['Start a registered node that is down (flipdrill-start)']);
    expect([recap.node2?.changed, recap.node3?.changed]).toEqual([0, 0]);
    const show = await clusterShow('node2');
    expect(show).toMatch(/node1\s*\|\s*standby\s*\|\s*running\s*\|\s*node2/);
    expect(show).toMatch(/node2\s*\|\s*primary\s*\|\s*\* running/);
    expect(await vipHolders()).toEqual(['node2']);
  });

  it("passes the mid-query freeze of the primary over SSH: node1's repmgrd watch closes the stuck connection, node1 is promoted and alone holds the virtual IP", async () => {
    try {
      const { report } = await runDrill({ target: machines.sshInventory, scenario: resolveScenario('freeze-primary-mid-query'), runsDir, warmupMs: 2000, settleMs: 2000 });
      const { result } = report;
      expect(result.checks.filter((c) => !c.ok)).toEqual([]);
      expect(result.promotion?.node).toBe('node1');
      const docker = await testDocker();
      // The watch acted: on containers, without it, repmgrd waited for the thaw (not tried on these machines).
      const watchLog = await docker.exec(`${NAME}-node1`, ['cat', '/var/log/flipdrill/flipdrill-repmgrd-watch.log']);
      expect(watchLog.stdout).toMatch(/flipdrill-repmgrd-watch\[node1\] repmgrd silent for \d+ s while node2 \([\d.]+\) answers no new connection: closed \d+ connection/);
      expect(await vipHolders()).toEqual(['node1']);
      // Nothing on node2 is left stopped (its backend was thawed with it).
      expect((await docker.exec(`${NAME}-node2`, ['sh', '-c', "ps -eo stat= | grep -c '^T' || true"])).stdout.trim()).toBe('0');
    } catch (error) {
      printNodeLogs(runsDir);
      throw error;
    }
  });

  it('with the digitalocean endpoint, puts the token in a file only root reads, on the data nodes only, and never in node.env', async () => {
    const token = `dop_v1_test-${Date.now().toString(16)}-not-a-real-token`;
    const play = path.join(work, 'do-files.yml');
    // The role's files alone, as the digitalocean endpoint has them (nothing here calls its API).
    writeFileSync(
      play,
      [
        '- hosts: primary:standby:witness',
        '  become: true',
        '  gather_facts: false',
        '  tasks:',
        '    - ansible.builtin.include_role: { name: flipdrill_node, tasks_from: files }',
        `      vars: { flipdrill_source_dir: "${REPO_ROOT}", flipdrill_endpoint: digitalocean, flipdrill_floating_ip: 203.0.113.77, flipdrill_do_token: "${token}" }`,
        '',
      ].join('\n'),
    );
    const { code, output } = await run('ansible-playbook', ['-i', machines.ansibleInventory, play]);
    if (code !== 0) process.stderr.write(output.split('\n').slice(-40).join('\n'));
    expect(code).toBe(0);
    expect(output).not.toContain(token);
    const docker = await testDocker();
    for (const node of machines.names) {
      const settings = await docker.exec(`${NAME}-${node}`, ['cat', '/etc/flipdrill/node.env']);
      expect(settings.stdout, node).toContain('FLIPDRILL_FLOATING_IP=203.0.113.77');
      expect(settings.stdout, node).not.toContain(token);
      // What a database superuser reaches: whatever postgres can read.
      const asPostgres = await docker.exec(`${NAME}-${node}`, ['sh', '-c', 'cat /etc/flipdrill/* 2>&1; true'], { user: 'postgres' });
      expect(asPostgres.stdout, node).not.toContain(token);
    }
    const stat = async (node: string) => (await docker.exec(`${NAME}-${node}`, ['stat', '-c', '%U:%G %a', '/etc/flipdrill/do-token'])).stdout.trim();
    expect([await stat('node1'), await stat('node2'), await stat('node3')]).toEqual(['root:root 600', 'root:root 600', '']);
    expect((await docker.exec(`${NAME}-node2`, ['cat', '/etc/flipdrill/do-token'])).stdout.trim()).toBe(token);
  });
});
