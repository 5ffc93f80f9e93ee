/** The command line's grammar: parsed and validated before anything is created. */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { APP_PROFILES, ConfigError, defineCluster, ENDPOINT_OPTIONS, KNOWN_TARGETS, type AppProfile, type ClusterOptions, type EndpointOption, type ReplicationMode } from '../cluster/index.ts';
import { checkClientModule } from '../cluster/client-module.ts';
import { parseDuration, parseFaultKinds, parseInterval } from './schedule.ts';


export const USAGE = `flipdrill: failover drills for a repmgr PostgreSQL cluster behind a floating endpoint

Usage: flipdrill <command> [options]     (from a clone: npm run flipdrill -- <command> [options])

Commands:
  drill     bring up the cluster (or reuse a running one), kill the primary under load,
            check that writes resumed and no acknowledged write was lost, tear down.
            Exit 0 on PASS, 1 on FAIL.
  up        bring up the cluster and the app, and leave them running
  status    each node's role (asked of the database), the endpoint's holder, whether the
            endpoint agent runs, the app URL
  down      remove every container, network and volume flipdrill made
  scenarios list the built-in scenarios, a line each
  compare   run a scenario against the tutorial's Sequelize setup (naive) and the failover-aware
            one (aware), each on a fresh cluster, and print them side by side.
            Exit 0 when the aware app passes.
  flip status|assign [--ip A.B.C.D] [--droplet ID]
            the DigitalOcean floating IP by hand: who holds it, or move it (to this droplet, from
            the metadata service, or to --droplet); DIGITALOCEAN_TOKEN or DIGITALOCEAN_TOKEN_FILE,
            FLIPDRILL_FLOATING_IP, FLIPDRILL_DO_API_URL, FLIPDRILL_METADATA_URL
  tutorial  the tutorial this project grows out of (Sequelize read replication on a repmgr cluster,
            then a floating endpoint), step by step on a local cluster: each step shows the real
            code or command and its real output. Pauses between steps; --yes runs straight through.
  check <run folder>
            re-run the checker on a stored run and print the same summary.
            Exit 0 on a valid history, 1 on anomalies, 2 on a malformed history.

Options:
  --name <name>              cluster name, prefix of containers and networks (default flipdrill)
  --port-base <port>         node1's port on 127.0.0.1; node2 and node3 take the next two (default 15432)
  --app-port <port>          the app's port on 127.0.0.1 (default 18080)
  --back-subnet <cidr>       replication network (default 10.213.1.0/24)
  --front-subnet <cidr>      application network (default 10.213.2.0/24)
  --replication sync|async   synchronous replication keeps acknowledged writes (default sync)
  --timing fast|repmgr-defaults   repmgrd failure detection (default fast: about 2 s)
  --standbys <n>             standbys, 1 to 4 (default 1): node2.. are standbys, the last node the witness
  --app aware|naive|dsql     the app's Sequelize setup (default aware; naive is the tutorial's; dsql is the
                             aware app's Aurora DSQL profile, through a local DSQL stand-in in front of the endpoint)
  --tls                      nodes serve TLS from a per-cluster CA; the app must use it and verifies it
  --data-fs-size <size>      each data node's data directory on a file system of this size (256m to 16g),
                             which the disk-full fault fills (a drill of disk-full makes one of 512m);
                             an ext4 image loop-mounted on this host: needs root and a local engine
  --fake-clock               the data nodes read their clock through libfaketime, so the clock-skew fault
                             can set one (a drill of clock-skew turns it on)
  --endpoint docker-alias|do-simulator|virtual-ip
                             the floating endpoint: a Docker alias (default), a DigitalOcean floating IP
                             moved by the nodes' promote hook against the API simulator, or a virtual IP
                             the promote hook takes on the new primary
  --do-faults 429,pending-event
                             drill: the simulator refuses the hook's first assign requests this way
  --target vagrant|digitalocean|<inventory>
                             drill: machines provisioned by ansible/site.yml instead of containers, reached
                             over SSH as the inventory says; the app runs on this machine (needs ansible)
  --json                     machine-readable output (status, drill, check)
  --scenario <name|file>     drill, compare: a built-in scenario (see flipdrill scenarios) or a scenario .json file;
                             with --repeat, several (a,b,c) take turns: a soak across faults on one cluster
  --workload set|bank        drill, compare: set (default): inserts and reads of client-chosen ids; bank:
                             transfers between 8 accounts in Sequelize transactions, and balance snapshots
  --client <module>          drill, up, compare: your client module (.mjs, .js, .ts) in place of flipdrill's app, in a
                             container on the application network; see docs/app-contract.md
  --app-image <image>        drill, up: your app's image (on this engine) in place of flipdrill's app; it gets
                             PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, DATABASE_URL and answers the
                             app contract on port 8080 (docs/app-contract.md)
  --sequelize-config <file>  drill, up, compare: flipdrill's app on your sequelize-cli config (config.json or
                             config.js), one environment of it (--sequelize-env, default production), with only
                             the hosts and credentials pointed at the cluster; compare shows it beside aware
  --nemesis random           drill: a seeded random schedule of faults instead of one scenario; the workload
                             runs throughout, each fault is healed before the next, the whole history is checked
  --faults <a,b,...>         with --nemesis random: the kinds it draws from (default kill,freeze,partition,
                             latency,loss,restart,switchover; also stop, postmaster-crash, partition-one-way,
                             repmgrd-crash, disk-full, clock-skew)
  --overlap                  with --nemesis random: latency, loss or a skewed clock may stay on through the
                             next fault, healed after it (two faults at once at most)
  --for <duration>           with --nemesis random: about how long the faults go on (default 5m)
  --interval <a-b>           with --nemesis random: quiet time before each fault, and how long one the cluster
                             rides out holds, drawn from this range (default 10-30s)
  --repeat <n>               drill: run the scenario n times on one cluster, failing over back and forth
  --max-lost <n>             drill, check: acknowledged writes that may be lost before FAIL (default 0)
  --keep                     drill, tutorial: leave the cluster it created running
  --yes                      tutorial: do not pause between steps
  --runs-dir <dir>           drill: where run folders go (default runs)
  --warmup <seconds>         drill: load before the fault (default 3)
  --settle <seconds>         drill: load after writes resumed on the new primary (default 3)
  --concurrency <n>          drill: concurrent clients (default 4)
  --seed <n>                 drill: seed of the workload's choices, and of --nemesis random's schedule
  --verbose                  debug-level logs in the run folder
  -h, --help                 this help

Environment:
  DOCKER_HOST=unix:///path|tcp://host:port   the Docker engine, as for docker's CLI (no TLS)
  FLIPDRILL_NO_DOCKER_INSTALL=1   never install or start a Docker engine
  FLIPDRILL_BASE_IMAGE=<image>    build on this base instead of a local debootstrap one
  FLIPDRILL_DEBIAN_MIRROR=<url>   Debian mirror for the local base image`;

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
  overlap: { type: 'boolean' },
  endpoint: { type: 'string' },
  'do-faults': { type: 'string' },
  target: { type: 'string' },
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
} as const;

/** The kinds --nemesis random draws from when --faults does not say. */
export const DEFAULT_SCHEDULE_FAULTS = 'kill,freeze,partition,latency,loss,restart,switchover';

const COMMANDS = ['drill', 'compare', 'up', 'status', 'down', 'check', 'flip', 'scenarios', 'tutorial', 'help'] as const;
type Command = (typeof COMMANDS)[number];

export function number(flag: string, raw: string | undefined, { min, max, integer = true }: { min: number; max: number; integer?: boolean }): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    throw new ConfigError(`--${flag} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, not "${raw}"`);
  }
  return value;
}

export interface ParsedCommand {
  command: Command;
  /** check: the run folder; flip: status or assign. */
  target?: string;
  values: Record<string, string | boolean | undefined>;
  cluster: ClusterOptions;
}

export function parseCommandLine(argv: string[]): ParsedCommand {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // Node's message goes on about positionals after '--'; its first sentence is the point.
    const first = String((error as Error).message).split(/\.\s/)[0]!.replace(/\.$/, '');
    throw new ConfigError(first.charAt(0).toLowerCase() + first.slice(1), { hint: 'see: flipdrill --help' });
  }
  const { values, positionals } = parsed;
  const name = positionals[0] ?? (values.help ? 'help' : undefined);
  if (!name) throw new ConfigError('no command given', { hint: `commands: ${COMMANDS.filter((c) => c !== 'help').join(', ')}; see flipdrill --help` });
  if (!COMMANDS.includes(name as Command)) throw new ConfigError(`unknown command "${name}"`, { hint: `commands: ${COMMANDS.filter((c) => c !== 'help').join(', ')}` });
  const wanted = name === 'check' || name === 'flip' ? 2 : 1;
  if (name === 'flip' && positionals[1] !== 'status' && positionals[1] !== 'assign' && !values.help) {
    throw new ConfigError('flip needs status or assign', { hint: 'for example: flipdrill flip status --ip 203.0.113.10' });
  }
  if (name === 'check' && positionals.length < 2 && !values.help) throw new ConfigError('check needs a run folder', { hint: 'for example: flipdrill check runs/<timestamp>' });
  if (positionals.length > wanted) throw new ConfigError(`unexpected argument "${positionals[wanted]}"`, { hint: 'see: flipdrill --help' });

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
    const clash = ['name', 'port-base', 'app-port', 'back-subnet', 'front-subnet', 'replication', 'timing', 'tls', 'data-fs-size', 'fake-clock', 'endpoint', 'do-faults', 'standbys'].find((k) => values[k as keyof typeof values] !== undefined);
    if (clash) throw new ConfigError(`--${clash} shapes a Docker cluster; with --target the inventory's variables say how the machines are set up`);
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
    fakeClock: values['fake-clock'] ? true : undefined,
  };
  for (const key of Object.keys(cluster) as (keyof ClusterOptions)[]) if (cluster[key] === undefined) delete cluster[key];
  // The whole cluster definition is checked here, before any command connects to Docker or
  // creates a run folder: a bad name, subnet or port is one line and nothing else. An empty name
  // is a bad name everywhere (for down it would otherwise mean "every cluster").
  if (values.name !== undefined || ['drill', 'compare', 'up', 'status', 'down'].includes(name)) {
    if (values.target === undefined) defineCluster(cluster);
  }
  if (values.target !== undefined) {
    const file = path.resolve(KNOWN_TARGETS[values.target] ?? values.target);
    if (!existsSync(file)) {
      throw new ConfigError(`no inventory at ${file}`, { hint: `--target takes ${Object.keys(KNOWN_TARGETS).join(', ')} (from the repository root) or the path of an Ansible inventory` });
    }
    if (!statSync(file).isFile() && !statSync(file).isDirectory()) throw new ConfigError(`--target ${values.target} is neither a file nor a folder`);
  }
  return { command: values.help ? 'help' : (name as Command), target: positionals[1], values, cluster };
}

