/**
 * Plain Debian machines, played by containers, for the Ansible converge test: the base image
 * (Debian bookworm with the playbook's packages already installed, since containers cannot
 * download), Docker's init as PID 1, sshd for root with a test key (a cloud image's shape), no
 * flipdrill entrypoint, no configuration. On a network this test creates with an explicit subnet;
 * Docker allocates from its first half, the virtual IP is the last address.
 *
 * Two inventories for the same machines: one through Ansible's Docker connection (the playbook
 * converges them), one over SSH to their addresses (flipdrill drill --target, as on VMs).
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ClusterError, createLogger, ImageBuilder, projectLabels, removeClusters, type DockerClient } from '../../cluster/index.ts';
import { generateSshKeyPair } from '../../cluster/ssh-key.ts';

export interface MachinesSpec {
  /** Label and prefix of every container and the network. */
  name: string;
  /** /24; .1 gateway, Docker allocates from .0/25, machines at .11-.13, the VIP at .254. */
  subnet: string;
}

export interface Machines {
  readonly names: string[];
  readonly addresses: Record<string, string>;
  readonly vip: string;
  /** Ansible's Docker connection. */
  readonly ansibleInventory: string;
  /** SSH, for flipdrill drill --target. */
  readonly sshInventory: string;
  /** Passwords the inventories give the playbook. */
  readonly passwords: { repmgr: string; app: string };
}

const NODES = [
  { name: 'node1', group: 'primary', id: 1 },
  { name: 'node2', group: 'standby', id: 2 },
  { name: 'node3', group: 'witness', id: 3 },
];

/** An Ansible YAML inventory (written as JSON, which is YAML): groups primary, standby, witness. */
function inventory(hostVars: (node: (typeof NODES)[number]) => Record<string, string | number>, vars: Record<string, string>): string {
  const children = Object.fromEntries(NODES.map((n) => [n.group, { hosts: { [n.name]: hostVars(n) } }]));
  return `${JSON.stringify({ all: { vars, children } }, null, 2)}\n`;
}

export async function startMachines(docker: DockerClient, spec: MachinesSpec, dir: string): Promise<Machines> {
  const prefix = spec.subnet.replace(/\.0\/24$/, '');
  if (prefix === spec.subnet) throw new ClusterError(`the machines' subnet must be a /24 ending in .0, not ${spec.subnet}`);
  const network = `${spec.name}-net`;
  const labels = projectLabels(spec.name);
  const image = await new ImageBuilder({ docker, logger: createLogger() }).ensureBase();
  await docker.createNetwork({ name: network, subnet: spec.subnet, gateway: `${prefix}.1`, ipRange: `${prefix}.0/25`, labels });
  // Only ever talk to a network this test made, with the subnet it asked for.
  const made = (await docker.listNetworks(labels)).find((n) => n.name === network);
  if (!made?.subnets.includes(spec.subnet)) throw new ClusterError(`network ${network} is missing or does not have subnet ${spec.subnet}`);

  mkdirSync(dir, { recursive: true });
  const key = generateSshKeyPair(`flipdrill-converge@${spec.name}`);
  const keyFile = path.join(dir, 'id_ecdsa');
  writeFileSync(keyFile, key.privateKey);
  chmodSync(keyFile, 0o600);
  const addresses: Record<string, string> = {};
  try {
    for (const [i, node] of NODES.entries()) {
      const address = `${prefix}.${11 + i}`;
      addresses[node.name] = address;
      const container = `${spec.name}-${node.name}`;
      await docker.createContainer({
        name: container,
        hostname: node.name,
        image,
        env: { AUTHORIZED_KEY: key.publicKey },
        labels: { ...labels, 'io.flipdrill.role': 'machine' },
        publish: {},
        networks: [{ network, ipv4Address: address, aliases: [node.name] }],
        // ip addr (the virtual IP) and iptables (partitions, fencing), as root on a VM.
        capAdd: ['NET_ADMIN'],
        init: true,
        command: [
          'bash',
          '-c',
          'set -e; install -d -m 0700 /root/.ssh; printf "%s\\n" "$AUTHORIZED_KEY" >/root/.ssh/authorized_keys; install -d -m 0755 /run/sshd; ssh-keygen -A >/dev/null; ' +
            '/usr/sbin/sshd -o UsePAM=no -o PasswordAuthentication=no; exec sleep infinity',
        ],
      });
      await docker.startContainer(container);
    }
  } catch (error) {
    await removeClusters(docker, createLogger(), spec.name);
    throw error;
  }

  const passwords = { repmgr: `repmgr-${spec.name}-pw`, app: `app-${spec.name}-pw` };
  const vip = `${prefix}.254`;
  const vars = {
    flipdrill_endpoint: 'virtual-ip',
    flipdrill_vip: `${vip}/24`,
    flipdrill_vip_subnet: spec.subnet,
    flipdrill_repmgr_password: passwords.repmgr,
    flipdrill_app_password: passwords.app,
    ansible_python_interpreter: '/usr/bin/python3',
  };
  const ansibleHosts = (n: (typeof NODES)[number]) => ({
    ansible_connection: 'community.docker.docker',
    ansible_host: `${spec.name}-${n.name}`,
    flipdrill_node_id: n.id,
    flipdrill_node_host: addresses[n.name]!,
  });
  const sshHosts = (n: (typeof NODES)[number]) => ({
    ansible_host: addresses[n.name]!,
    ansible_user: 'root',
    ansible_ssh_private_key_file: keyFile,
    // New machines every run, on a network this test made: their host keys cannot be known.
    ansible_ssh_common_args: '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null',
    flipdrill_node_id: n.id,
    flipdrill_node_host: addresses[n.name]!,
  });
  const ansibleInventory = path.join(dir, 'docker.yml');
  const sshInventory = path.join(dir, 'ssh.yml');
  writeFileSync(ansibleInventory, inventory(ansibleHosts, vars));
  writeFileSync(sshInventory, inventory(sshHosts, vars));
  return { names: NODES.map((n) => n.name), addresses, vip, ansibleInventory, sshInventory, passwords };
}
