/** The command line's grammar: parsed and validated before anything is created. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { APP_PROFILES, appProfileNamed, ConfigError, defineCluster, readClusterFile, ENDPOINT_OPTIONS, KNOWN_TARGETS, type AppProfile, type ClusterOptions, type EndpointOption, type ReplicationMode } from '../cluster/index.ts';
import { checkClientModule } from '../cluster/client-module.ts';
import { packageRoot } from '../cluster/lib/package-root.ts';
import { COMMANDS, DEFAULT_SCHEDULE_FAULTS, globalHelp, OPTION_HELP, type Command } from './cli-help.ts';
import { parseDuration, parseFaultKinds, parseInterval } from './schedule.ts';


/** flipdrill's version, from its package.json. */
export const VERSION = (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;

/** The global help (`flipdrill --help`); each command's is commandHelp(name). */
export const USAGE = globalHelp(VERSION);

/** A size as people write it (512m, 1g, 1024): whole megabytes. */
function sizeInMb(raw: string): number {
  const m = /^(\d+)\s*(m|mb|mib|g|gb|gib)?$/i.exec(raw.trim());
  if (!m) throw new ConfigError(`--data-fs-size takes a size like 512m or 1g, not "${raw}"`);
  return Number(m[1]) * (m[2]?.toLowerCase().startsWith('g') ? 1024 : 1);
}

const OPTIONS = {
  name: { type: 'string' },
  'port-base': { type: 'string' },
  'app-port': { type: 'string' },
  'back-subnet': { type: 'string' },
  'front-subnet': { type: 'string' },
  replication: { type: 'string' },
  timing: { type: 'string' },
  standbys: { type: 'string' },
  app: { type: 'string' },
  tls: { type: 'boolean' },
  'data-fs-size': { type: 'string' },
  'fake-clock': { type: 'boolean' },
  'fault-fs': { type: 'boolean' },
  overlap: { type: 'boolean' },
  endpoint: { type: 'string' },
  'do-faults': { type: 'string' },
  target: { type: 'string' },
  cluster: { type: 'string' },
  'dry-run': { type: 'boolean' },
  ip: { type: 'string' },
  droplet: { type: 'string' },
  json: { type: 'boolean' },
  keep: { type: 'boolean' },
  yes: { type: 'boolean' },
  'runs-dir': { type: 'string' },
  warmup: { type: 'string' },
  settle: { type: 'string' },
  concurrency: { type: 'string' },
  seed: { type: 'string' },
  scenario: { type: 'string' },
  repeat: { type: 'string' },
  nemesis: { type: 'string' },
  faults: { type: 'string' },
  for: { type: 'string' },
  interval: { type: 'string' },
  workload: { type: 'string' },
  client: { type: 'string' },
  'app-image': { type: 'string' },
  'sequelize-config': { type: 'string' },
  'sequelize-env': { type: 'string' },
  'max-lost': { type: 'string' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/** The kinds --nemesis random draws from when --faults does not say. */
export { DEFAULT_SCHEDULE_FAULTS } from './cli-help.ts';

/** Edits (insert, delete, replace one character) from a to b. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The known word nearest to a mistyped one, if it is near (a typo, not another word). */
export function didYouMean(word: string, known: readonly string[]): string | undefined {
  const [best] = known.map((k) => ({ k, d: distance(word.toLowerCase(), k) })).sort((a, b) => a.d - b.d);
  return best && best.d <= Math.max(1, Math.floor(best.k.length / 3)) ? best.k : undefined;
}

/**
 * `--max-lost -1`: node's parser takes -1 for an option and says the argument is "ambiguous".
 * A value that looks like a negative number is passed as the option's value instead, so the
 * option's own check refuses it with its range.
 */
function negativesAsValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name && !name.includes('=') && OPTIONS[name as keyof typeof OPTIONS]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i += 1;
    } else out.push(arg);
  }
  return out;
}

export function number(flag: string, raw: string | undefined, { min, max, integer = true }: { min: number; max: number; integer?: boolean }): number | undefined {
  if (raw === undefined) return undefined;
  // Plain decimal digits only: Number() would also take ' 8080', '1e4', '0x1f90' and ''.
  const plain = integer ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/;
  const value = plain.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    throw new ConfigError(`--${flag} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, not "${raw}"`);
  }
  return value;
}

export interface ParsedCommand {
  command: Command | 'version';
  /** check: the run folder; report: the runs folder; flip: status or assign; help: the command asked about. */
  target?: string;
  values: Record<string, string | boolean | undefined>;
  cluster: ClusterOptions;
}

export function parseCommandLine(argv: string[]): ParsedCommand {
  let parsed;
  try {
    parsed = parseArgs({ args: negativesAsValues(argv), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // Node's message goes on about positionals after '--'; its first sentence is the point.
    const first = String((error as Error).message).split(/\.\s/)[0]!.replace(/\.$/, '');
    const unknown = /^Unknown option '--([^']+)'/.exec(first)?.[1];
    const near = unknown ? didYouMean(unknown, Object.keys(OPTIONS)) : undefined;
    throw new ConfigError(first.charAt(0).toLowerCase() + first.slice(1), { hint: near ? `did you mean --${near}?` : 'see: flipdrill --help' });
  }
  const { values, positionals } = parsed;
  if (values.version) return { command: 'version', values, cluster: {} };
  const name = positionals[0] ?? (values.help ? 'help' : undefined);
  if (!name) throw new ConfigError('no command given', { hint: `commands: ${COMMANDS.filter((c) => c !== 'help').join(', ')}; see flipdrill --help` });
  if (!COMMANDS.includes(name as Command)) {
    const near = didYouMean(name, COMMANDS);
    throw new ConfigError(`unknown command "${name}"`, { hint: near ? `did you mean ${near}?` : `commands: ${COMMANDS.filter((c) => c !== 'help').join(', ')}` });
  }
  // `flipdrill help drill` and `flipdrill drill --help`: that command's help.
  if (name === 'help' || values.help) {
    const about = name === 'help' ? positionals[1] : name;
    if (about !== undefined && !COMMANDS.includes(about as Command)) {
      const near = didYouMean(about, COMMANDS);
      throw new ConfigError(`unknown command "${about}"`, { hint: near ? `did you mean ${near}?` : 'see: flipdrill --help' });
    }
    if (positionals.length > (name === 'help' ? 2 : positionals.length)) throw new ConfigError(`unexpected argument "${positionals[2]}"`, { hint: 'see: flipdrill --help' });
    return { command: 'help', ...(about !== undefined && about !== 'help' ? { target: about } : {}), values, cluster: {} };
  }
  const wanted = name === 'check' || name === 'flip' || name === 'report' ? 2 : 1;
  if (name === 'flip' && positionals[1] !== 'status' && positionals[1] !== 'assign') {
    throw new ConfigError('flip needs status or assign', { hint: 'for example: flipdrill flip status --ip 203.0.113.10' });
  }
  if (name === 'check' && positionals.length < 2) throw new ConfigError('check needs a run folder', { hint: 'for example: flipdrill check runs/<timestamp>' });
  if (name === 'report' && positionals.length < 2) throw new ConfigError('report needs the folder of run folders', { hint: 'for example: flipdrill report runs' });
  if (positionals.length > wanted) throw new ConfigError(`unexpected argument "${positionals[wanted]}"`, { hint: `see: flipdrill ${name} --help` });
  const replication = values.replication;
  if (replication !== undefined && replication !== 'sync' && replication !== 'async') {
    throw new ConfigError(`--replication must be sync or async, not "${replication}"`);
  }
  const timing = values.timing;
  if (timing !== undefined && timing !== 'fast' && timing !== 'repmgr-defaults') {
    throw new ConfigError(`--timing must be fast or repmgr-defaults, not "${timing}"`);
  }
  const app = values.app;
  if (app !== undefined && !APP_PROFILES.includes(app as AppProfile)) throw new ConfigError(`--app must be ${APP_PROFILES.slice(0, -1).join(', ')} or ${APP_PROFILES.at(-1)}, not "${app}"`);
  if (app !== undefined && name === 'compare') throw new ConfigError('compare runs both app profiles; --app is for drill and up');
  const endpoint = values.endpoint;
  if (endpoint !== undefined && !ENDPOINT_OPTIONS.includes(endpoint as EndpointOption)) {
    throw new ConfigError(`--endpoint must be ${ENDPOINT_OPTIONS.join(' or ')}, not "${endpoint}"`);
  }
  for (const fault of values['do-faults']?.split(',') ?? []) {
    if (fault !== '429' && fault !== 'pending-event') throw new ConfigError(`--do-faults takes 429 and pending-event, not "${fault}"`);
  }
  if (values['do-faults'] !== undefined && endpoint !== 'do-simulator') throw new ConfigError('--do-faults needs --endpoint do-simulator');
  if (values['sequelize-env'] !== undefined && values['sequelize-config'] === undefined) throw new ConfigError('--sequelize-env chooses an environment of --sequelize-config');
  if (values['sequelize-config'] !== undefined) {
    if (!['drill', 'up', 'compare'].includes(name)) throw new ConfigError('--sequelize-config is for drill, up and compare');
    const clash = ['app', 'client', 'app-image', 'target'].find((k) => values[k as keyof typeof values] !== undefined);
    if (clash) throw new ConfigError(`--sequelize-config runs flipdrill's app on your Sequelize config; --${clash} does not go with it`);
  }
  if (values['app-image'] !== undefined) {
    if (name !== 'drill' && name !== 'up') throw new ConfigError('--app-image is for drill and up');
    if (values.client !== undefined) throw new ConfigError('--client or --app-image: one of them runs in place of the app, not both');
    if (app !== undefined || values.workload !== undefined) throw new ConfigError(`--app-image runs your app in place of flipdrill's; --${app !== undefined ? 'app' : 'workload'} is for flipdrill's own`);
  }
  if (values.client !== undefined) {
    if (name !== 'drill' && name !== 'up' && name !== 'compare') throw new ConfigError('--client is for drill, up and compare');
    if (app !== undefined) throw new ConfigError('--client runs your client module in place of the app; --app chooses between flipdrill\'s own');
    if (values.workload !== undefined) throw new ConfigError('--client drills writes and reads through your module; --workload is for flipdrill\'s own app');
    checkClientModule(values.client);
  }
  if (values.nemesis !== undefined) {
    if (values.nemesis !== 'random') throw new ConfigError(`--nemesis takes random, not "${values.nemesis}"`, { hint: 'one fault at a time is --scenario' });
    if (name !== 'drill') throw new ConfigError('--nemesis random is for drill');
    const clash = ['scenario', 'repeat'].find((k) => values[k as keyof typeof values] !== undefined);
    if (clash) throw new ConfigError(`--nemesis random plans its own faults; --${clash} does not go with it`);
    parseFaultKinds(values.faults ?? DEFAULT_SCHEDULE_FAULTS);
    if (values.for !== undefined && (parseDuration('for', values.for) < 10 || parseDuration('for', values.for) > 24 * 3600)) throw new ConfigError(`--for must be from 10 s to 24 h, not "${values.for}"`);
    if (values.interval !== undefined) parseInterval(values.interval);
  } else {
    const stray = ['faults', 'for', 'interval', 'overlap'].find((k) => values[k as keyof typeof values] !== undefined);
    if (stray) throw new ConfigError(`--${stray} shapes a random schedule: give --nemesis random`);
  }
  if (values.target !== undefined) {
    if (name !== 'drill') throw new ConfigError('--target is for drill only');
    const clash = ['name', 'port-base', 'app-port', 'back-subnet', 'front-subnet', 'replication', 'timing', 'tls', 'data-fs-size', 'fault-fs', 'fake-clock', 'endpoint', 'do-faults', 'standbys'].find((k) => values[k as keyof typeof values] !== undefined);
    if (clash) throw new ConfigError(`--${clash} shapes a Docker cluster; with --target the inventory's variables say how the machines are set up`);
    // A profile that puts a container of its own in front of the endpoint needs a Docker cluster.
    const front = app === undefined ? undefined : appProfileNamed(app)?.frontContainer;
    if (front) throw new ConfigError(`--app ${app} runs a ${front.title} in a container in front of the endpoint: Docker clusters only, not with --target`);
  }
  if (values['dry-run'] && values.cluster === undefined) throw new ConfigError('--dry-run shows what a drill of a cluster file would run: give --cluster <file>');
  if (values.cluster !== undefined) {
    if (name !== 'drill') throw new ConfigError('--cluster is for drill only');
    const clash = ['name', 'target', 'port-base', 'app-port', 'back-subnet', 'front-subnet', 'replication', 'timing', 'tls', 'data-fs-size', 'fault-fs', 'fake-clock', 'endpoint', 'do-faults', 'standbys', 'app', 'sequelize-config'].find((k) => values[k as keyof typeof values] !== undefined);
    if (clash) throw new ConfigError(`--${clash} shapes a cluster flipdrill builds; with --cluster the file says what the cluster is`);
    readClusterFile(values.cluster);
  }
  const cluster: ClusterOptions = {
    name: values.name,
    portBase: number('port-base', values['port-base'], { min: 1024, max: 65533 }),
    appPort: number('app-port', values['app-port'], { min: 1024, max: 65535 }),
    backSubnet: values['back-subnet'],
    frontSubnet: values['front-subnet'],
    replication: replication as ReplicationMode | undefined,
    timing: timing as ClusterOptions['timing'],
    appProfile: app as AppProfile | undefined,
    tls: values.tls ? true : undefined,
    endpoint: endpoint as EndpointOption | undefined,
    standbys: number('standbys', values.standbys, { min: 1, max: 4 }),
    client: values.client,
    appImage: values['app-image'],
    dataFsMb: values['data-fs-size'] === undefined ? undefined : sizeInMb(values['data-fs-size']),
    faultFs: values['fault-fs'] ? true : undefined,
    fakeClock: values['fake-clock'] ? true : undefined,
  };
  for (const key of Object.keys(cluster) as (keyof ClusterOptions)[]) if (cluster[key] === undefined) delete cluster[key];
  // The whole cluster definition is checked here, before any command connects to Docker or
  // creates a run folder: a bad name, subnet or port is one line and nothing else. An empty name
  // is a bad name everywhere (for down it would otherwise mean "every cluster").
  if (values.name !== undefined || ['drill', 'compare', 'up', 'status', 'down'].includes(name)) {
    if (values.target === undefined && values.cluster === undefined) defineCluster(cluster);
  }
  if (values.target !== undefined) {
    const file = path.resolve(KNOWN_TARGETS[values.target] ?? values.target);
    if (!existsSync(file)) {
      throw new ConfigError(`no inventory at ${file}`, { hint: `--target takes ${Object.keys(KNOWN_TARGETS).join(', ')} (from the repository root) or the path of an Ansible inventory` });
    }
    if (!statSync(file).isFile() && !statSync(file).isDirectory()) throw new ConfigError(`--target ${values.target} is neither a file nor a folder`);
  }
  // The numbers, here too: a bad one is refused before anything is created.
  number('max-lost', values['max-lost'], { min: 0, max: 1_000_000 });
  number('repeat', values.repeat, { min: 1, max: 1000 });
  number('warmup', values.warmup, { min: 1, max: 600 });
  number('settle', values.settle, { min: 1, max: 600 });
  number('concurrency', values.concurrency, { min: 1, max: 64 });
  number('seed', values.seed, { min: 0, max: 2 ** 31 - 1 });
  // An option for another command is a mistake, not something to ignore.
  for (const [flag, value] of Object.entries(values)) {
    if (value === undefined || flag === 'help' || flag === 'version') continue;
    const help = OPTION_HELP[flag];
    // status and down find the cluster by its name: the flags that shaped it may come along, unused.
    const shapedIt = (name === 'status' || name === 'down') && help?.for.includes('up');
    if (help && !help.for.includes(name as Command) && !shapedIt) {
      throw new ConfigError(`--${flag} is not an option of ${name}`, { hint: `it is for ${help.for.join(', ')}; see: flipdrill ${name} --help` });
    }
  }
  return { command: name as Command, target: positionals[1], values, cluster };
}

