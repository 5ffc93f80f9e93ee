import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { clusterFromInventory } from './inventory.ts';

/** What `ansible-inventory --list` prints for a three-machine inventory. */
function listing(overrides: { vars?: Record<string, unknown>; witness?: string[] } = {}) {
  const vars = {
    flipdrill_vip: '192.168.56.100/24',
    flipdrill_vip_subnet: '192.168.56.0/24',
    flipdrill_repmgr_password: 'rp',
    flipdrill_app_password: 'ap',
    ansible_user: 'vagrant',
    ...overrides.vars,
  };
  return {
    _meta: {
      hostvars: {
        node1: { ...vars, ansible_host: '192.168.56.11', flipdrill_node_id: 1, ansible_ssh_private_key_file: '.vagrant/machines/node1/virtualbox/private_key' },
        node2: { ...vars, ansible_host: '192.168.56.12', flipdrill_node_id: 2, ansible_ssh_common_args: '-o StrictHostKeyChecking=no  -o UserKnownHostsFile=/dev/null' },
        node3: { ...vars, ansible_host: '203.0.113.3', flipdrill_node_host: '10.10.0.3', flipdrill_node_id: 3, ansible_port: 2222 },
      },
    },
    all: { children: ['ungrouped', 'flipdrill'] },
    flipdrill: { children: ['primary', 'standby', 'witness'] },
    primary: { hosts: ['node1'] },
    standby: { hosts: ['node2'] },
    witness: { hosts: overrides.witness ?? ['node3'] },
  };
}

describe('a cluster from an Ansible inventory', () => {
  it('takes roles from the groups and reaching each machine from its host variables', () => {
    const c = clusterFromInventory(listing(), 'inv.yml', {});
    expect(c.nodes.map((n) => [n.name, n.initialRole, n.id, n.dbHost])).toEqual([
      ['node1', 'primary', 1, '192.168.56.11'],
      ['node2', 'standby', 2, '192.168.56.12'],
      ['node3', 'witness', 3, '10.10.0.3'],
    ]);
    expect(c.nodes[0]!.ssh.privateKeyFile).toMatch(/\/\.vagrant\/machines\/node1\/virtualbox\/private_key$/);
    expect(c.nodes[1]!.ssh.extraArgs).toEqual(['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null']);
    expect(c.nodes[2]!.ssh).toMatchObject({ host: '203.0.113.3', port: 2222, user: 'vagrant' });
    expect(c).toMatchObject({ endpoint: 'virtual-ip', writeAddress: '192.168.56.100', replication: 'sync', repmgrPassword: 'rp' });
    expect(c.app).toEqual({ user: 'flipdrill_app', password: 'ap', database: 'flipdrill', analyticsDatabase: 'flipdrill_analytics' });
  });

  it('takes a password from the environment when the inventory holds a template for it', () => {
    const c = clusterFromInventory(listing({ vars: { flipdrill_repmgr_password: "{{ lookup('env', 'X') }}" } }), 'inv.yml', { FLIPDRILL_REPMGR_PASSWORD: 'from-env' });
    expect(c.repmgrPassword).toBe('from-env');
    expect(() => clusterFromInventory(listing({ vars: { flipdrill_repmgr_password: "{{ lookup('env', 'X') }}" } }), 'inv.yml', {})).toThrow(
      /flipdrill_repmgr_password is not set as a plain value, and FLIPDRILL_REPMGR_PASSWORD is not set either/,
    );
  });

  it('refuses an inventory without one primary, a standby and one witness, in one line', () => {
    expect(() => clusterFromInventory(listing({ witness: [] }), 'inv.yml', {})).toThrow(ConfigError);
    expect(() => clusterFromInventory(listing({ witness: [] }), 'inv.yml', {})).toThrow('inv.yml: the inventory needs groups primary (1 host), standby (1 or more) and witness (1); it has 1, 1 and 0');
  });

  it('refuses an endpoint without its address', () => {
    expect(() => clusterFromInventory(listing({ vars: { flipdrill_vip: '' } }), 'inv.yml', {})).toThrow(/needs flipdrill_vip \(address\/prefix\)/);
    const d = clusterFromInventory(listing({ vars: { flipdrill_endpoint: 'digitalocean', flipdrill_floating_ip: '203.0.113.10' } }), 'inv.yml', {});
    expect(d.writeAddress).toBe('203.0.113.10');
  });

  it.each([
    [{ ansible_user: '-oProxyCommand=id' }, /ansible_user of node1 must be a login name/],
    [{ ansible_user: 'root;id' }, /ansible_user of node1 must be a login name/],
    [{ ansible_port: 'abc' }, /ansible_port of node1 must be a port from 1 to 65535, not "abc"/],
    [{ ansible_port: '70000' }, /ansible_port of node1 must be a port/],
    [{ ansible_host: '-oProxyCommand=x' }, /ansible_host of node1 must be a host name or address/],
    [{ flipdrill_node_host: '10.0.0.1; reboot' }, /flipdrill_node_host of node1 must be a host name or address/],
    [{ flipdrill_app_user: "app' OR 1=1" }, /flipdrill_app_user of node1 must be a PostgreSQL role name/],
  ])('refuses values that would reach a shell or ssh as something else: %j', (vars, message) => {
    const json = listing({ vars });
    // Host variables of node1 win over the group's.
    Object.assign(json._meta.hostvars.node1, vars);
    expect(() => clusterFromInventory(json, 'inv.yml', {})).toThrow(ConfigError);
    expect(() => clusterFromInventory(json, 'inv.yml', {})).toThrow(message);
  });
});
