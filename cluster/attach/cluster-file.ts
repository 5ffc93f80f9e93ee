/**
 * A cluster file: a PostgreSQL HA cluster flipdrill did not build, described by the people who
 * run it (YAML or JSON). What the apps use (the endpoint, and where reads go), each node with a
 * URL to observe it by SQL and exactly one way to act on it (a container on this Docker engine,
 * a machine over SSH, or commands of the user's own), and the HA manager's extras where it has
 * them (Patroni's REST API, pg_auto_failover's monitor).
 *
 *   name: staging
 *   endpoint: postgres://flipdrill@haproxy:5000/app
 *   replicas: [postgres://flipdrill@haproxy:5001/app]
 *   nodes:
 *     - name: pg1
 *       url: postgres://flipdrill:${PGPASSWORD}@10.0.0.11:5432/app
 *       docker: patroni-pg1
 *       patroni: http://10.0.0.11:8008
 *
 * `${VAR}` anywhere is read from the environment, so secrets stay out of the file: a password
 * written into a URL is refused. Every problem is one line; nothing is contacted while reading.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.ts';

/** The commands a `commands` node may give (drivers/commands-driver.ts): each fault, its undo, and how to run a command on it. */
export const COMMAND_FAULTS = ['kill', 'stop', 'start', 'freeze', 'thaw', 'partition', 'heal', 'partition-one-way', 'heal-one-way', 'shape', 'unshape', 'exec', 'running'] as const;
export type CommandFault = (typeof COMMAND_FAULTS)[number];

export type NodeDriverSpec =
  | { kind: 'docker'; container: string }
  | { kind: 'ssh'; host: string; user: string; port: number; key?: string; knownHosts?: string; manager?: string[]; services?: string[]; dataDirectory?: string; start?: string; stop?: string }
  | { kind: 'commands'; commands: Partial<Record<CommandFault, string>>; timeoutSecs: number };

export interface ForeignNode {
  name: string;
  /** To observe this node directly, by SQL. */
  url: string;
  driver: NodeDriverSpec;
  /** Patroni's REST API on this node, if it runs Patroni. */
  patroni?: string;
  /** A witness (repmgr's): a writable PostgreSQL that only votes, never a primary or a standby. */
  witness?: boolean;
}

export type ManagerName = 'repmgr' | 'patroni' | 'pg_auto_failover';
export const MANAGERS: readonly ManagerName[] = ['repmgr', 'patroni', 'pg_auto_failover'];

export interface ForeignClusterFile {
  /** Where it was read from, for messages. */
  source: string;
  name: string;
  /** What the apps use: a proxy, a VIP, a DNS name, or a multi-host URL with target_session_attrs. */
  endpoint: string;
  replicas: string[];
  /** The HA manager, if the file says (otherwise it is detected). */
  manager?: ManagerName;
  /** pg_auto_failover's monitor, if the cluster has one. */
  monitor?: string;
  nodes: ForeignNode[];
  /**
   * What this cluster is expected to do, where it differs from a scenario's own expectation (set
   * for flipdrill's fast repmgr): writes down at most this long, a promotion within this long.
   * Patroni with its defaults (ttl 30) needs about 30 s; pg_auto_failover's about 20-60 s.
   */
  expect?: ClusterExpectations;
}

export interface ClusterExpectations {
  maxWriteDownSecs?: number;
  promotionWithinSecs?: number;
}

const TOP_KEYS = ['name', 'endpoint', 'replicas', 'manager', 'monitor', 'expect', 'nodes'];
const EXPECT_KEYS = ['maxWriteDownSecs', 'promotionWithinSecs'];
const NODE_KEYS = ['name', 'url', 'docker', 'ssh', 'commands', 'patroni', 'witness'];
const DRIVERS = ['docker', 'ssh', 'commands'] as const;
const SSH_KEYS = ['host', 'user', 'key', 'knownHosts', 'port', 'manager', 'services', 'dataDirectory', 'start', 'stop'];

/** Edits (insert, delete, replace one character) from a to b. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}

const didYouMean = (key: string, known: readonly string[]) => {
  const near = known.find((k) => distance(k, key) <= 2);
  return near ? ` (did you mean "${near}"?)` : ` (known: ${known.join(', ')})`;
};

/** `${VAR}` from the environment; an unset variable is an error, not an empty string. */
function substitute(value: string, where: string, env: NodeJS.ProcessEnv, fail: (m: string) => never): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = env[name];
    if (v === undefined) fail(`${where}: \${${name}} is not set in the environment`);
    return v;
  });
}

/** A PostgreSQL URL as libpq takes it (several hosts allowed); a password must come from `${VAR}`. */
function postgresUrl(raw: unknown, where: string, env: NodeJS.ProcessEnv, fail: (m: string) => never): string {
  if (typeof raw !== 'string' || raw.length === 0) fail(`${where} must be a postgres:// URL`);
  if (!/^postgres(ql)?:\/\//.test(raw)) fail(`${where} must be a postgres:// URL, not "${raw}"`);
  const given = /^postgres(?:ql)?:\/\/([^@/]*)@/.exec(raw)?.[1];
  if (given?.includes(':') && !/:\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(given)) fail(`${where}: a password written into the file; give it as \${VAR} from the environment`);
  // A secret in the user part is percent-encoded as it goes in: a password with '/', '@' or '%'
  // would otherwise break the URL.
  const m = /^(postgres(?:ql)?:\/\/)([^@/]*@)?(.*)$/s.exec(raw)!;
  const userinfo = m[2] === undefined ? '' : substitute(m[2].slice(0, -1), where, { ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === undefined ? v : encodeURIComponent(v)])) }, fail) + '@';
  const url = `${m[1]}${userinfo}${substitute(m[3]!, where, env, fail)}`;
  const hosts = /^postgres(?:ql)?:\/\/(?:[^@/]*@)?([^/?]*)/.exec(url)?.[1] ?? '';
  if (!hosts || hosts.split(',').some((h) => h.length === 0)) fail(`${where} names no host`);
  return url;
}

function httpUrl(raw: unknown, where: string, env: NodeJS.ProcessEnv, fail: (m: string) => never): string {
  if (typeof raw !== 'string' || !/^https?:\/\/[^/]+/.test(raw)) fail(`${where} must be an http:// or https:// URL`);
  // fetch refuses a URL with credentials, and its error would print them.
  if (/^https?:\/\/[^/?#]*@/.test(raw)) fail(`${where}: a user or password in the URL; flipdrill asks Patroni's REST API without one`);
  return substitute(raw, where, env, fail);
}

function object(raw: unknown, where: string, fail: (m: string) => never): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`${where} must be a mapping of keys to values`);
  return raw as Record<string, unknown>;
}

function driverOf(node: Record<string, unknown>, where: string, env: NodeJS.ProcessEnv, fail: (m: string) => never): NodeDriverSpec {
  const given = DRIVERS.filter((d) => node[d] !== undefined);
  if (given.length === 0) fail(`${where} has no way to act on it: give one of docker, ssh or commands`);
  if (given.length > 1) fail(`${where} has ${given.join(' and ')}: give one way to act on a node`);
  if (node.docker !== undefined) {
    if (typeof node.docker !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(node.docker)) fail(`${where}.docker must be a container's name`);
    return { kind: 'docker', container: node.docker };
  }
  if (node.ssh !== undefined) {
    const ssh = object(node.ssh, `${where}.ssh`, fail);
    for (const key of Object.keys(ssh)) if (!SSH_KEYS.includes(key)) fail(`${where}.ssh: unknown key "${key}"${didYouMean(key, SSH_KEYS)}`);
    if (typeof ssh.host !== 'string' || !ssh.host) fail(`${where}.ssh.host must be a host name or address`);
    if (typeof ssh.user !== 'string' || !/^[a-z_][a-z0-9_-]*$/i.test(ssh.user)) fail(`${where}.ssh.user must be a user name`);
    const port = ssh.port ?? 22;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) fail(`${where}.ssh.port must be a port from 1 to 65535`);
    let key: string | undefined;
    if (ssh.key !== undefined) {
      if (typeof ssh.key !== 'string') fail(`${where}.ssh.key must be a key file's path`);
      key = substitute(ssh.key, `${where}.ssh.key`, env, fail).replace(/^~(?=\/)/, os.homedir());
      if (!existsSync(key) || !statSync(key).isFile()) fail(`${where}.ssh.key: no such file ${key}`);
    }
    // A known_hosts file of the cluster's own (hosts whose keys change with each rebuild): a host
    // not in it yet is added on first sight; one whose key changed is refused, as ssh does.
    let knownHosts: string | undefined;
    if (ssh.knownHosts !== undefined) {
      if (typeof ssh.knownHosts !== 'string' || !ssh.knownHosts.trim()) fail(`${where}.ssh.knownHosts must be a known_hosts file's path`);
      knownHosts = substitute(ssh.knownHosts as string, `${where}.ssh.knownHosts`, env, fail).replace(/^~(?=\/)/, os.homedir());
    }
    const names = (k: 'manager' | 'services') => {
      const v = ssh[k];
      if (v === undefined) return {};
      const list = typeof v === 'string' ? [v] : v;
      if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string' && /^[A-Za-z0-9_.@-]+$/.test(x))) fail(`${where}.ssh.${k} must be a process or service name, or a list of them`);
      return { [k]: list as string[] };
    };
    const text = (k: 'dataDirectory' | 'start' | 'stop') => {
      const v = ssh[k];
      if (v === undefined) return {};
      if (typeof v !== 'string' || !v.trim()) fail(`${where}.ssh.${k} must be ${k === 'dataDirectory' ? 'a path' : 'a shell command'}`);
      return { [k]: substitute(v as string, `${where}.ssh.${k}`, env, fail) };
    };
    return { kind: 'ssh', host: substitute(ssh.host, `${where}.ssh.host`, env, fail), user: ssh.user, port, ...(key ? { key } : {}), ...(knownHosts ? { knownHosts } : {}), ...names('manager'), ...names('services'), ...text('dataDirectory'), ...text('start'), ...text('stop') };
  }
  const commands = object(node.commands, `${where}.commands`, fail);
  const out: Partial<Record<CommandFault, string>> = {};
  let timeoutSecs = 60;
  for (const [key, value] of Object.entries(commands)) {
    if (key === 'timeoutSecs') {
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 3600) fail(`${where}.commands.timeoutSecs must be a number of seconds from 1 to 3600`);
      timeoutSecs = value;
      continue;
    }
    if (!(COMMAND_FAULTS as readonly string[]).includes(key)) fail(`${where}.commands: unknown key "${key}"${didYouMean(key, [...COMMAND_FAULTS, 'timeoutSecs'])}`);
    if (typeof value !== 'string' || value.trim().length === 0) fail(`${where}.commands.${key} must be a shell command`);
    out[key as CommandFault] = substitute(value, `${where}.commands.${key}`, env, fail);
  }
  for (const [fault, undo] of [['freeze', 'thaw'], ['partition', 'heal'], ['partition-one-way', 'heal-one-way'], ['shape', 'unshape']] as const) {
    if ((out[fault] === undefined) !== (out[undo] === undefined)) fail(`${where}.commands: ${fault} and ${undo} go together (a fault needs its undo)`);
  }
  if (Object.keys(out).length === 0) fail(`${where}.commands gives no command`);
  return { kind: 'commands', commands: out, timeoutSecs };
}

function expectationsOf(raw: unknown, fail: (m: string) => never): ClusterExpectations {
  const given = object(raw, 'expect', fail);
  const out: ClusterExpectations = {};
  for (const [key, value] of Object.entries(given)) {
    if (!EXPECT_KEYS.includes(key)) fail(`expect: unknown key "${key}"${didYouMean(key, EXPECT_KEYS)}`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 600) fail(`expect.${key} must be a number of seconds from 1 to 600`);
    out[key as keyof ClusterExpectations] = value;
  }
  return out;
}

function witnessOf(raw: unknown, where: string, fail: (m: string) => never): boolean {
  if (typeof raw !== 'boolean') fail(`${where}.witness must be true or false`);
  return raw as boolean;
}

/** A cluster file's content, checked; every problem is one line (a ConfigError). */
export function parseClusterFile(text: string, source: string, env: NodeJS.ProcessEnv = process.env): ForeignClusterFile {
  const fail: (message: string) => never = (message) => {
    throw new ConfigError(`cluster file ${source}: ${message}`);
  };
  let raw: unknown;
  try {
    raw = source.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { prettyErrors: false, maxAliasCount: 10 });
  } catch (error) {
    fail(`not valid ${source.endsWith('.json') ? 'JSON' : 'YAML'} (${(error as Error).message.split('\n')[0]})`);
  }
  const top = object(raw, 'the file', fail);
  for (const key of Object.keys(top)) if (!TOP_KEYS.includes(key)) fail(`unknown key "${key}"${didYouMean(key, TOP_KEYS)}`);
  if (typeof top.name !== 'string' || !/^[a-z][a-z0-9-]{0,62}$/.test(top.name)) fail('name must be lowercase letters, digits and dashes');
  const endpoint = postgresUrl(top.endpoint, 'endpoint', env, fail);
  if (top.replicas !== undefined && !Array.isArray(top.replicas)) fail('replicas must be a list of postgres:// URLs');
  const replicas = ((top.replicas as unknown[] | undefined) ?? []).map((r, i) => postgresUrl(r, `replicas[${i}]`, env, fail));
  if (top.manager !== undefined && !MANAGERS.includes(top.manager as ManagerName)) fail(`manager must be one of ${MANAGERS.join(', ')} (or left out: it is detected), not ${JSON.stringify(top.manager)}`);
  const monitor = top.monitor === undefined ? undefined : postgresUrl(top.monitor, 'monitor', env, fail);
  if (!Array.isArray(top.nodes) || top.nodes.length < 2) fail('nodes must list the cluster\'s nodes, at least two');
  const names = new Set<string>();
  const nodes = (top.nodes as unknown[]).map((item, i): ForeignNode => {
    const node = object(item, `nodes[${i}]`, fail);
    const where = typeof node.name === 'string' ? `node ${node.name}` : `nodes[${i}]`;
    for (const key of Object.keys(node)) if (!NODE_KEYS.includes(key)) fail(`${where}: unknown key "${key}"${didYouMean(key, NODE_KEYS)}`);
    if (typeof node.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(node.name)) fail(`nodes[${i}].name must be a node's name (letters, digits, . _ -)`);
    if (names.has(node.name)) fail(`two nodes are named ${node.name}`);
    names.add(node.name);
    return {
      name: node.name,
      url: postgresUrl(node.url, `${where}.url`, env, fail),
      driver: driverOf(node, where, env, fail),
      ...(node.patroni !== undefined ? { patroni: httpUrl(node.patroni, `${where}.patroni`, env, fail) } : {}),
      ...(node.witness !== undefined ? { witness: witnessOf(node.witness, where, fail) } : {}),
    };
  });
  if (top.manager === 'pg_auto_failover' && !monitor) fail('manager pg_auto_failover needs the monitor\'s URL (monitor:)');
  if (top.manager === 'patroni' && !nodes.some((n) => n.patroni)) fail("manager patroni needs a node's Patroni REST URL (patroni:)");
  const expect = top.expect === undefined ? undefined : expectationsOf(top.expect, fail);
  return { source, name: top.name, endpoint, replicas, ...(top.manager ? { manager: top.manager as ManagerName } : {}), ...(monitor ? { monitor } : {}), ...(expect ? { expect } : {}), nodes };
}

/** Read and check a cluster file. */
export function readClusterFile(file: string, env: NodeJS.ProcessEnv = process.env): ForeignClusterFile {
  const source = file;
  let text: string;
  try {
    if (!statSync(file).isFile()) throw new ConfigError(`cluster file ${source}: not a regular file`);
    if (statSync(file).size > 1_000_000) throw new ConfigError(`cluster file ${source}: larger than 1 MB, which no cluster file is`);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`cluster file ${source}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  return parseClusterFile(text, source, env);
}
