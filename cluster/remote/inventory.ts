/**
 * A cluster on machines, as Ansible's inventory describes it: the groups say which machine
 * started as primary, standby and witness; host variables say how to reach it (ansible_host,
 * ansible_user, ansible_port, ansible_ssh_private_key_file, ansible_ssh_common_args) and what
 * it is (flipdrill_node_id, flipdrill_node_host); group variables hold the endpoint and the
 * passwords. flipdrill reads it through `ansible-inventory --list`, so every inventory format
 * Ansible reads works, and the drill uses the same inventory the playbook provisioned from.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from '../errors.ts';
import type { SshHost } from './ssh.ts';

export interface InventoryNode {
  readonly name: string;
  readonly id: number;
  readonly initialRole: 'primary' | 'standby' | 'witness';
  readonly ssh: SshHost;
  /** The address PostgreSQL listens on for the other nodes and the app (flipdrill_node_host). */
  readonly dbHost: string;
}

export interface InventoryCluster {
  readonly source: string;
  readonly nodes: readonly InventoryNode[];
  readonly endpoint: 'virtual-ip' | 'digitalocean' | 'none';
  /** The address the app writes to: the virtual IP or the floating IP (none: the first primary). */
  readonly writeAddress: string;
  readonly replication: 'sync' | 'async';
  readonly timingProfile: string;
  readonly repmgrPassword: string;
  readonly app: { user: string; password: string; database: string; analyticsDatabase?: string };
}

/** Names that mean a shipped inventory, from the repository root. */
export const KNOWN_TARGETS: Record<string, string> = {
  vagrant: 'ansible/inventories/vagrant/hosts.yml',
  digitalocean: 'ansible/inventories/digitalocean/hosts.yml',
};

type Vars = Record<string, unknown>;
interface InventoryJson {
  _meta?: { hostvars?: Record<string, Vars> };
  [group: string]: { hosts?: string[]; children?: string[] } | InventoryJson['_meta'];
}

function str(vars: Vars, key: string): string | undefined {
  const v = vars[key];
  return v === undefined || v === null || v === '' ? undefined : String(v);
}

/** A value still holding a template ({{ lookup('env', ...) }}) was not resolved by ansible-inventory. */
function secret(vars: Vars, key: string, envName: string, env: NodeJS.ProcessEnv, source: string): string {
  const fromEnv = env[envName];
  if (fromEnv) return fromEnv;
  const value = str(vars, key);
  if (!value || value.includes('{{')) {
    throw new ConfigError(`${source}: ${key} is not set as a plain value, and ${envName} is not set either`, {
      hint: `export ${envName}=... (the same value the playbook was given)`,
    });
  }
  return value;
}

/** Host names and addresses, never starting with '-' (ssh would read one as an option). */
const HOST = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,252}$/;
/** A login name as useradd takes it. */
const LOGIN = /^[a-z_][a-z0-9_-]{0,31}$/;
/** A PostgreSQL role name flipdrill will put in commands unquoted. */
const ROLE = /^[a-z_][a-z0-9_]{0,62}$/;

function checked(source: string, host: string, key: string, value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new ConfigError(`${source}: ${key} of ${host} must be ${what}, not ${JSON.stringify(value).slice(0, 80)}`);
  return value;
}

function port(source: string, host: string, raw: string | undefined): number {
  if (raw === undefined) return 22;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < 1 || n > 65535) throw new ConfigError(`${source}: ansible_port of ${host} must be a port from 1 to 65535, not ${JSON.stringify(raw).slice(0, 40)}`);
  return n;
}

/** Pure: the cluster an `ansible-inventory --list` answer describes. */
export function clusterFromInventory(json: InventoryJson, source: string, env: NodeJS.ProcessEnv = process.env): InventoryCluster {
  const hostvars = json._meta?.hostvars ?? {};
  const hostsOf = (group: string): string[] => {
    const g = json[group] as { hosts?: string[]; children?: string[] } | undefined;
    return [...(g?.hosts ?? []), ...(g?.children ?? []).flatMap(hostsOf)];
  };
  const groups = { primary: hostsOf('primary'), standby: hostsOf('standby'), witness: hostsOf('witness') };
  if (groups.primary.length !== 1 || groups.standby.length < 1 || groups.witness.length !== 1) {
    throw new ConfigError(
      `${source}: the inventory needs groups primary (1 host), standby (1 or more) and witness (1); it has ${groups.primary.length}, ${groups.standby.length} and ${groups.witness.length}`,
    );
  }
  const nodes: InventoryNode[] = (['primary', 'standby', 'witness'] as const).flatMap((role) =>
    groups[role].map((name) => {
      const vars = hostvars[name] ?? {};
      const id = Number(vars.flipdrill_node_id);
      if (!Number.isInteger(id) || id < 1) throw new ConfigError(`${source}: host ${name} has no flipdrill_node_id (a whole number from 1)`);
      const host = checked(source, name, 'ansible_host', str(vars, 'ansible_host') ?? name, HOST, 'a host name or address');
      const keyFile = str(vars, 'ansible_ssh_private_key_file');
      return {
        name,
        id,
        initialRole: role,
        ssh: {
          name,
          host,
          user: checked(source, name, 'ansible_user', str(vars, 'ansible_user') ?? 'root', LOGIN, 'a login name (lowercase letters, digits, _ and -, not starting with -)'),
          port: port(source, name, str(vars, 'ansible_port')),
          ...(keyFile ? { privateKeyFile: path.resolve(keyFile) } : {}),
          extraArgs: (str(vars, 'ansible_ssh_common_args') ?? '').split(/\s+/).filter(Boolean),
        },
        dbHost: checked(source, name, 'flipdrill_node_host', str(vars, 'flipdrill_node_host') ?? host, HOST, 'a host name or address'),
      };
    }),
  );
  const duplicate = nodes.find((n, i) => nodes.findIndex((m) => m.id === n.id) !== i);
  if (duplicate) throw new ConfigError(`${source}: flipdrill_node_id ${duplicate.id} is used twice`);

  // Group variables reach every host: read them from the primary's.
  const vars = hostvars[groups.primary[0]!] ?? {};
  const endpoint = (str(vars, 'flipdrill_endpoint') ?? 'virtual-ip') as InventoryCluster['endpoint'];
  if (!['virtual-ip', 'digitalocean', 'none'].includes(endpoint)) throw new ConfigError(`${source}: flipdrill_endpoint must be virtual-ip, digitalocean or none, not "${endpoint}"`);
  const writeAddress =
    endpoint === 'virtual-ip'
      ? str(vars, 'flipdrill_vip')?.split('/')[0]
      : endpoint === 'digitalocean'
        ? str(vars, 'flipdrill_floating_ip')
        : nodes[0]!.dbHost;
  if (!writeAddress || !/^\d{1,3}(\.\d{1,3}){3}$/.test(writeAddress)) {
    throw new ConfigError(`${source}: the ${endpoint} endpoint needs ${endpoint === 'virtual-ip' ? 'flipdrill_vip (address/prefix)' : 'flipdrill_floating_ip'} as an IPv4 address`);
  }
  const databases = (vars.flipdrill_app_databases as string[] | undefined) ?? ['flipdrill', 'flipdrill_analytics'];
  return {
    source,
    nodes,
    endpoint,
    writeAddress,
    replication: str(vars, 'flipdrill_sync_replication') === 'off' ? 'async' : 'sync',
    timingProfile: str(vars, 'flipdrill_timing_profile') ?? 'fast',
    repmgrPassword: secret(vars, 'flipdrill_repmgr_password', 'FLIPDRILL_REPMGR_PASSWORD', env, source),
    app: {
      user: checked(source, groups.primary[0]!, 'flipdrill_app_user', str(vars, 'flipdrill_app_user') ?? 'flipdrill_app', ROLE, 'a PostgreSQL role name (lowercase letters, digits and _)'),
      password: secret(vars, 'flipdrill_app_password', 'FLIPDRILL_APP_PASSWORD', env, source),
      database: databases[0] ?? 'flipdrill',
      ...(databases[1] ? { analyticsDatabase: databases[1] } : {}),
    },
  };
}

/** `--target vagrant`, `--target digitalocean`, or a path to an inventory. */
export async function loadInventory(target: string, cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): Promise<InventoryCluster> {
  const file = path.resolve(cwd, KNOWN_TARGETS[target] ?? target);
  if (!existsSync(file)) {
    throw new ConfigError(`no inventory at ${file}`, {
      hint: `--target takes ${Object.keys(KNOWN_TARGETS).join(', ')} (from the repository root) or the path of an Ansible inventory`,
    });
  }
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)('ansible-inventory', ['-i', file, '--list'], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024, env }));
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new ConfigError('ansible-inventory is not installed: flipdrill reads --target inventories with it', { hint: 'apt-get install ansible' });
    throw new ConfigError(`ansible-inventory could not read ${file}: ${(e.stderr ?? e.message).trim().split('\n').at(-1)}`);
  }
  const relative = path.relative(cwd, file);
  return clusterFromInventory(JSON.parse(stdout) as InventoryJson, relative && !relative.startsWith('..') ? relative : file, env);
}
