/**
 * The Ansible role never opens PostgreSQL to any address by default: pg_hba.conf's two networks
 * (flipdrill_back_cidr, flipdrill_front_cidr) come from the inventory or from the virtual IP's
 * subnet, and without either the role stops before it changes anything. Read from the role's
 * files, and run for real: ansible-playbook plays the role's check on this machine alone
 * (connection local, only the assert), against the example inventories and one without networks.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../cluster/index.ts';

const ROLE = path.join(REPO_ROOT, 'ansible/roles/flipdrill_node');
const INVENTORIES = path.join(REPO_ROOT, 'ansible/inventories');
const hasAnsible = spawnSync('ansible-playbook', ['--version'], { stdio: 'ignore' }).status === 0;
const work = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-ansible-role-'));

afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Task {
  name?: string;
  'ansible.builtin.import_tasks'?: string;
  'ansible.builtin.assert'?: { that: string[]; fail_msg: string };
}

const readYaml = (file: string): unknown => parse(readFileSync(file, 'utf8'));

describe('the role flipdrill_node: who may reach PostgreSQL', () => {
  it('has no open default for flipdrill_back_cidr and flipdrill_front_cidr', () => {
    const defaults = readYaml(path.join(ROLE, 'defaults/main.yml')) as Record<string, string>;
    for (const name of ['flipdrill_back_cidr', 'flipdrill_front_cidr']) {
      expect(defaults[name], name).toBeDefined();
      expect(defaults[name], name).not.toMatch(/0\.0\.0\.0\/0|::\/0/);
      // Only the virtual IP's subnet may stand in for an explicit value.
      expect(defaults[name], name).toBe("{{ flipdrill_vip_subnet | default('', true) }}");
    }
  });

  it('checks both networks first thing in prepare, before any package or file', () => {
    const prepare = readYaml(path.join(ROLE, 'tasks/prepare.yml')) as Task[];
    const firstChange = prepare.findIndex((t) => t['ansible.builtin.import_tasks'] === 'packages.yml');
    const check = prepare.findIndex((t) => t['ansible.builtin.import_tasks'] === 'check-networks.yml');
    expect(check).toBeGreaterThanOrEqual(0);
    expect(check).toBeLessThan(firstChange);
    const tasks = readYaml(path.join(ROLE, 'tasks/check-networks.yml')) as Task[];
    expect(tasks).toHaveLength(1);
    const assert = tasks[0]!['ansible.builtin.assert']!;
    expect(assert.that.join('\n')).toContain('flipdrill_back_cidr');
    expect(assert.that.join('\n')).toContain('flipdrill_front_cidr');
    expect(assert.fail_msg).toContain('flipdrill_back_cidr');
  });

  it('sets the VPC range in the DigitalOcean example inventory (which has no virtual IP)', () => {
    const inventory = readYaml(path.join(INVENTORIES, 'digitalocean/hosts.yml')) as { all: { vars: Record<string, string>; children: Record<string, { hosts: Record<string, Record<string, string>> }> } };
    const vars = inventory.all.vars;
    expect(vars.flipdrill_vip_subnet).toBeUndefined();
    for (const name of ['flipdrill_back_cidr', 'flipdrill_front_cidr']) expect(vars[name], name).toBe('10.110.0.0/20');
    // Every droplet's VPC address lies in that range.
    const nodeHosts = Object.values(inventory.all.children).flatMap((g) => Object.values(g.hosts).map((h) => h.flipdrill_node_host));
    expect(nodeHosts).toHaveLength(3);
    for (const host of nodeHosts) expect(host).toMatch(/^10\.110\.(?:[0-9]|1[0-5])\.\d+$/);
  });
});

/** Play the role's network check on this machine alone: its exit code and output. */
function playCheck(inventory: string, timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  const playbook = path.join(work, 'check.yml');
  writeFileSync(
    playbook,
    [
      '- name: The role check',
      '  hosts: all',
      '  gather_facts: false',
      '  tasks:',
      '    - name: Check',
      '      ansible.builtin.include_role:',
      '        name: flipdrill_node',
      '        tasks_from: check-networks',
      '',
    ].join('\n'),
  );
  return new Promise((resolve, reject) => {
    // Connection local (also as an extra variable, which no inventory overrides): the assert runs
    // in ansible-playbook itself and nothing connects anywhere.
    const child = spawn('ansible-playbook', ['-i', inventory, '-c', 'local', '-e', 'ansible_connection=local', playbook], {
      cwd: work,
      env: {
        ...process.env,
        ANSIBLE_CONFIG: path.join(REPO_ROOT, 'ansible/ansible.cfg'),
        ANSIBLE_ROLES_PATH: path.join(REPO_ROOT, 'ansible/roles'),
        ANSIBLE_LOCAL_TEMP: path.join(work, 'ansible-tmp'),
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_FORCE_COLOR: '0',
      },
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe.skipIf(!hasAnsible)('the role flipdrill_node, run by ansible-playbook', () => {
  it('refuses an inventory with neither networks nor a virtual IP, and accepts the two examples', async () => {
    const open = path.join(work, 'open.yml');
    writeFileSync(open, ['all:', '  vars:', '    flipdrill_endpoint: digitalocean', '  hosts:', '    node1:', '      flipdrill_node_id: 1', ''].join('\n'));
    const half = path.join(work, 'half.yml');
    writeFileSync(half, ['all:', '  vars:', '    flipdrill_endpoint: digitalocean', '    flipdrill_back_cidr: 10.110.0.0/20', '  hosts:', '    node1:', ''].join('\n'));
    const wide = path.join(work, 'wide.yml');
    writeFileSync(wide, ['all:', '  vars:', '    flipdrill_back_cidr: 0.0.0.0/0', '    flipdrill_front_cidr: 10.110.0.0/20', '  hosts:', '    node1:', ''].join('\n'));
    const [refused, halfRefused, wideRefused, digitalocean, vagrant] = await Promise.all([
      playCheck(open),
      playCheck(half),
      playCheck(wide),
      playCheck(path.join(INVENTORIES, 'digitalocean/hosts.yml')),
      playCheck(path.join(INVENTORIES, 'vagrant/hosts.yml')),
    ]);
    expect(refused.output).toContain('set flipdrill_back_cidr and flipdrill_front_cidr');
    expect(refused.code).not.toBe(0);
    expect(halfRefused.output).toContain('set flipdrill_back_cidr and flipdrill_front_cidr');
    expect(halfRefused.code).not.toBe(0);
    expect(wideRefused.output).toContain('set flipdrill_back_cidr and flipdrill_front_cidr');
    expect(wideRefused.code).not.toBe(0);
    for (const ok of [digitalocean, vagrant]) {
      if (ok.code !== 0) process.stderr.write(ok.output);
      expect(ok.output).toMatch(/ok=1\s+changed=0\s+unreachable=0\s+failed=0/);
      expect(ok.code).toBe(0);
    }
  }, 90_000);
});
