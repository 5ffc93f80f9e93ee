/**
 * The command line's help, in one place: the global help (`flipdrill --help`), each command's
 * (`flipdrill drill --help`, `flipdrill help drill`) and docs/reference/cli.md are all made from
 * the tables below (`npm run docs:cli` writes the reference; a test keeps it in step).
 */

import { APP_PROFILES } from '../cluster/index.ts';
import { SCHEDULE_FAULTS } from './faults/index.ts';

/** The kinds a random schedule draws from unless --faults says otherwise (each one the registry lets schedules draw). */
export const DEFAULT_SCHEDULE_FAULTS = 'kill,freeze,partition,latency,loss,restart,switchover';

export const COMMANDS = ['drill', 'up', 'status', 'down', 'scenarios', 'compare', 'check', 'report', 'flip', 'tutorial', 'help'] as const;
export type Command = (typeof COMMANDS)[number];

interface CommandHelp {
  /** After `flipdrill `: the command and its arguments. */
  usage: string;
  /** One line, for the command list. */
  summary: string;
  /** What it does, a few lines. */
  description: string;
  examples: string[];
  /** Exit codes other than the ones every command has (2: bad input or environment, 130: interrupted). */
  exits: [number, string][];
}

export const COMMAND_HELP: Record<Command, CommandHelp> = {
  drill: {
    usage: 'drill [options]',
    summary: 'bring up a cluster (or reuse a running one), inject a fault under load, check the history, tear down',
    description: `Brings up the cluster (or reuses one running under --name), runs the workload through the app,
injects the scenario's fault (default kill-primary), waits for the cluster to heal itself, reads
every write back and checks that writes resumed and no acknowledged write was lost. Writes a run
folder (history, events, report.json, report.html, junit.xml) and prints a summary.`,
    examples: [
      'flipdrill drill',
      'flipdrill drill --scenario partition-primary --workload bank',
      'flipdrill drill --nemesis random --for 10m --seed 7',
      'flipdrill drill --client ./my-client.mjs',
      'flipdrill drill --sequelize-config config/config.json --sequelize-env production',
      'flipdrill drill --app dsql --workload bank',
      'flipdrill drill --cluster staging.yaml --dry-run',
      'flipdrill drill --cluster staging.yaml --scenario kill-primary --yes',
    ],
    exits: [
      [0, 'PASS'],
      [1, 'FAIL: a check did not hold (the summary and report.json say which)'],
      [3, 'with --cluster: the cluster is not whole after the drill (one line says what; undo.log in the run folder says what the drill did and undid)'],
    ],
  },
  up: {
    usage: 'up [options]',
    summary: 'bring up the cluster and the app, and leave them running',
    description: `Brings up the cluster, its endpoint agent and the app, prints where each answers, and leaves
them running for drills (\`flipdrill drill --name ...\` reuses it) or for your own experiments.
With --app on a running cluster, the app container is replaced.`,
    examples: ['flipdrill up', 'flipdrill up --name lab --port-base 25432 --app-port 28080 --back-subnet 10.214.1.0/24 --front-subnet 10.214.2.0/24'],
    exits: [[0, 'the cluster is up']],
  },
  status: {
    usage: 'status [--name <name>] [--json]',
    summary: "each node's role, the endpoint's holder, whether the endpoint agent runs, the app URL",
    description: `Asks each node of a running cluster for its role (the database's own answer), says which node
holds the floating endpoint, whether the endpoint agent runs, and where the app answers.`,
    examples: ['flipdrill status', 'flipdrill status --name lab --json'],
    exits: [[0, 'the cluster answered']],
  },
  down: {
    usage: 'down [--name <name>]',
    summary: 'remove every container, network and volume flipdrill made',
    description: `Removes the containers, networks and volumes of the cluster named by --name, or of every
flipdrill cluster when no name is given. Nothing else is touched.`,
    examples: ['flipdrill down', 'flipdrill down --name lab'],
    exits: [[0, 'removed, or nothing to remove']],
  },
  scenarios: {
    usage: 'scenarios [--json]',
    summary: 'list the built-in scenarios, a line each, with the outcome each expects',
    description: 'Lists the built-in scenarios: the fault, and what the checker expects (a failover or none, how long writes may be down).',
    examples: ['flipdrill scenarios', 'flipdrill scenarios --json'],
    exits: [[0, 'listed']],
  },
  compare: {
    usage: 'compare [options]',
    summary: "run a scenario against the tutorial's Sequelize setup and the failover-aware one, side by side",
    description: `Runs one scenario against the naive app (the tutorial's Sequelize configuration; with
--sequelize-config, yours) and the aware one, each on a fresh cluster, and prints them side by
side: verdict, writes down, ok / failed / unknown, lost, errors by kind. With --client, your
client module beside the aware app.`,
    examples: ['flipdrill compare', 'flipdrill compare --scenario switchover', 'flipdrill compare --sequelize-config config/config.json'],
    exits: [
      [0, 'the aware app passed (with --client: your client passed)'],
      [1, 'it did not'],
    ],
  },
  check: {
    usage: 'check <run folder> [--max-lost <n>] [--json]',
    summary: 're-run the checker on a stored run and print the same summary',
    description: `Re-runs the checker on a run folder (its history, events and final read) and prints the same
summary a drill prints; with --json, the report document (report.json's form) with the new result.`,
    examples: ['flipdrill check runs/2026-12-01_10-00-00-000', 'flipdrill check runs/2026-12-01_10-00-00-000 --max-lost 3 --json'],
    exits: [
      [0, 'the history holds (PASS)'],
      [1, 'anomalies (FAIL)'],
      [2, 'a malformed or missing run folder: not checked'],
    ],
  },
  report: {
    usage: 'report <runs dir>',
    summary: 'write an index page of many runs (verdict, scenario, window, lost, date) with a trend chart',
    description: `Writes <runs dir>/index.html: every run folder in it, newest first (verdict, scenario, writes-down
window, lost writes, date), each linked to its report, and a chart of the window over time, one row
per scenario and way of drilling it (workload, app profile, replication, TLS), so a regression
across nightly drills shows.`,
    examples: ['flipdrill report runs'],
    exits: [[0, 'written']],
  },
  flip: {
    usage: 'flip status|assign [--ip A.B.C.D] [--droplet ID]',
    summary: 'the DigitalOcean floating IP by hand: who holds it, or move it',
    description: `Who holds the DigitalOcean floating IP, or move it (to this droplet, from the metadata service,
or to --droplet): the same program the nodes' promote hook runs. Reads DIGITALOCEAN_TOKEN or
DIGITALOCEAN_TOKEN_FILE, FLIPDRILL_FLOATING_IP, FLIPDRILL_DO_API_URL, FLIPDRILL_METADATA_URL.`,
    examples: ['flipdrill flip status --ip 203.0.113.10', 'flipdrill flip assign --ip 203.0.113.10 --droplet 101'],
    exits: [[0, 'done']],
  },
  tutorial: {
    usage: 'tutorial [--yes] [--keep] [--endpoint do-simulator]',
    summary: 'the tutorial this project grows out of, step by step on a local cluster',
    description: `Sequelize read replication on a repmgr cluster, then a floating endpoint, step by step on a
local cluster: each step shows the real code or command and its real output. Pauses between
steps; --yes runs straight through.`,
    examples: ['flipdrill tutorial', 'flipdrill tutorial --yes --endpoint do-simulator'],
    exits: [[0, 'every step ran']],
  },
  help: {
    usage: 'help [command]',
    summary: "this help, or a command's",
    description: "The global help, or one command's: its options, examples and exit codes.",
    examples: ['flipdrill help', 'flipdrill help drill'],
    exits: [[0, 'printed']],
  },
};

const CLUSTER = ['drill', 'up', 'compare', 'tutorial'] as const satisfies readonly Command[];

interface OptionHelp {
  /** The value it takes, as shown (`<port>`, `sync|async`); none for a switch. */
  arg?: string;
  text: string;
  /** The commands it is for. */
  for: readonly Command[];
}

export const OPTION_HELP: Record<string, OptionHelp> = {
  name: { arg: '<name>', text: 'cluster name, prefix of containers and networks (default flipdrill)', for: [...CLUSTER, 'status', 'down'] },
  'port-base': { arg: '<port>', text: "node1's port on 127.0.0.1; the other nodes take the next ones (default 15432)", for: CLUSTER },
  'app-port': { arg: '<port>', text: "the app's port on 127.0.0.1 (default 18080)", for: CLUSTER },
  'back-subnet': { arg: '<cidr>', text: 'replication network (default 10.213.1.0/24)', for: CLUSTER },
  'front-subnet': { arg: '<cidr>', text: 'application network (default 10.213.2.0/24)', for: CLUSTER },
  replication: { arg: 'sync|async', text: 'synchronous replication keeps acknowledged writes (default sync)', for: CLUSTER },
  timing: { arg: 'fast|repmgr-defaults', text: 'repmgrd failure detection (default fast: about 2 s)', for: CLUSTER },
  standbys: { arg: '<n>', text: 'standbys, 1 to 4 (default 1): node2.. are standbys, the last node the witness', for: CLUSTER },
  app: {
    arg: APP_PROFILES.join('|'),
    text: "the app's Sequelize setup (default aware; naive is the tutorial's; dsql is the aware app's Aurora DSQL profile, through a local DSQL stand-in in front of the endpoint)",
    for: ['drill', 'up'],
  },
  tls: { text: 'nodes serve TLS from a per-cluster CA; the app must use it and verifies it', for: CLUSTER },
  'data-fs-size': {
    arg: '<size>',
    text: "each data node's data directory on a file system of this size (256m to 16g), which the disk-full fault fills (a drill of disk-full makes one of 512m); an ext4 image loop-mounted on this host: needs root and a local engine",
    for: CLUSTER,
  },
  'fault-fs': { text: "the data directories behind flipdrill's fault file system (FUSE, on this host) on the size-limited one, so the disk faults (io-stall, io-error, slow-disk, power-loss) can act; needs --data-fs-size (a drill of a disk fault turns both on)", for: CLUSTER },
  'fake-clock': { text: 'the data nodes read their clock through libfaketime, so the clock-skew fault can set one (a drill of clock-skew turns it on)', for: CLUSTER },
  endpoint: {
    arg: 'docker-alias|do-simulator|virtual-ip',
    text: "the floating endpoint: a Docker alias (default), a DigitalOcean floating IP moved by the nodes' promote hook against the API simulator, or a virtual IP the promote hook takes on the new primary",
    for: CLUSTER,
  },
  'do-faults': { arg: '429,pending-event', text: "the simulator refuses the hook's first assign requests this way (with --endpoint do-simulator)", for: ['drill'] },
  target: {
    arg: 'vagrant|digitalocean|<inventory>',
    text: 'machines provisioned by ansible/site.yml instead of containers, reached over SSH as the inventory says; the app runs on this machine (needs ansible)',
    for: ['drill'],
  },
  cluster: {
    arg: '<file>',
    text: 'a cluster flipdrill did not build, described by a cluster file (YAML or JSON: see docs/guides/attach.md): the drill writes only into a schema of its own, undoes every fault and waits until the cluster is whole again; asks for confirmation (or --yes)',
    for: ['drill'],
  },
  'dry-run': { text: "with --cluster: look at the cluster (its manager, primary, standbys, the drill role's privileges) and print every step a drill would run, with its command; nothing is created, injected or changed", for: ['drill'] },
  scenario: {
    arg: '<name|file>',
    text: 'a built-in scenario (see flipdrill scenarios) or a scenario .json file; with --repeat, several (a,b,c) take turns: a soak across faults on one cluster',
    for: ['drill', 'compare'],
  },
  workload: {
    arg: 'set|bank',
    text: 'set (default): inserts and reads of client-chosen ids; bank: transfers between 8 accounts in Sequelize transactions, and balance snapshots',
    for: ['drill', 'compare'],
  },
  client: { arg: '<module>', text: "your client module (.mjs, .js, .ts) in place of flipdrill's app, in a container on the application network (drill --cluster: on this machine, in the drill's schema); see docs/app-contract.md", for: ['drill', 'up', 'compare'] },
  'app-image': {
    arg: '<image>',
    text: "your app's image (on this engine) in place of flipdrill's app; it gets PGHOST, PGPORT, PGUSER, PGDATABASE, DATABASE_URL (no password: that is in the file DATABASE_PASSWORD_FILE names) and answers the app contract on port 8080 (drill --cluster: on this machine's network, at HOST and PORT, in the drill's schema) (docs/app-contract.md)",
    for: ['drill', 'up'],
  },
  'sequelize-config': {
    arg: '<file>',
    text: "flipdrill's app on your sequelize-cli config (config.json or config.js), one environment of it (--sequelize-env), with only the hosts and credentials pointed at the cluster; compare shows it beside aware",
    for: ['drill', 'up', 'compare'],
  },
  'sequelize-env': { arg: '<env>', text: 'the environment of --sequelize-config (default production)', for: ['drill', 'up', 'compare'] },
  nemesis: { arg: 'random', text: 'a seeded random schedule of faults instead of one scenario; the workload runs throughout, each fault is healed before the next, the whole history is checked', for: ['drill'] },
  faults: {
    arg: '<a,b,...>',
    text: `with --nemesis random: the kinds it draws from (default ${DEFAULT_SCHEDULE_FAULTS}; also ${SCHEDULE_FAULTS.filter((k) => !DEFAULT_SCHEDULE_FAULTS.split(',').includes(k)).join(', ')})`,
    for: ['drill'],
  },
  overlap: { text: 'with --nemesis random: latency, loss or a skewed clock may stay on through the next fault, healed after it (two faults at once at most)', for: ['drill'] },
  for: { arg: '<duration>', text: 'with --nemesis random: about how long the faults go on (default 5m)', for: ['drill'] },
  interval: { arg: '<a-b>', text: 'with --nemesis random: quiet time before each fault, and how long one the cluster rides out holds, drawn from this range (default 10-30s)', for: ['drill'] },
  repeat: { arg: '<n>', text: 'run the scenario n times on one cluster, failing over back and forth', for: ['drill'] },
  'max-lost': { arg: '<n>', text: 'acknowledged writes that may be lost before FAIL (default 0)', for: ['drill', 'check'] },
  keep: { text: 'leave the cluster it created running', for: ['drill', 'tutorial'] },
  yes: { text: 'tutorial: do not pause between steps; drill --cluster: drill without asking for confirmation (needed when not on a terminal)', for: ['tutorial', 'drill'] },
  'runs-dir': { arg: '<dir>', text: 'where run folders go (default runs)', for: ['drill', 'compare'] },
  warmup: { arg: '<seconds>', text: 'load before the fault (default 3)', for: ['drill', 'compare'] },
  settle: { arg: '<seconds>', text: 'load after writes resumed on the new primary (default 3)', for: ['drill', 'compare'] },
  concurrency: { arg: '<n>', text: 'concurrent clients (default 4)', for: ['drill', 'compare'] },
  seed: { arg: '<n>', text: "seed of the workload's choices, and of --nemesis random's schedule", for: ['drill', 'compare'] },
  ip: { arg: 'A.B.C.D', text: 'the floating IP (default FLIPDRILL_FLOATING_IP)', for: ['flip'] },
  droplet: { arg: '<id>', text: 'move the floating IP to this droplet (default: this one, from the metadata service)', for: ['flip'] },
  json: {
    text: 'machine-readable output on stdout: the result as JSON, and an error as {"error": ..., "hint": ...} with the same exit code',
    for: ['drill', 'up', 'status', 'down', 'scenarios', 'compare', 'check', 'report'],
  },
  verbose: { text: "debug-level logs in the run folder, and on stderr", for: ['drill', 'up', 'compare', 'tutorial'] },
  help: { text: 'this help', for: COMMANDS },
  version: { text: "flipdrill's version", for: [] },
};

export const EXIT_CODES: [number, string][] = [
  [0, 'success (a drill: PASS)'],
  [1, 'a drill or check: FAIL'],
  [2, 'bad input, or an environment that cannot run it (one line on stderr; nothing was created)'],
  [130, 'interrupted (Ctrl-C): what it created is removed'],
];

export const ENVIRONMENT: [string, string][] = [
  ['DOCKER_HOST=unix:///path|tcp://host:port', "the Docker engine, as for docker's CLI (no TLS; plain TCP on this host's loopback only, unless FLIPDRILL_ALLOW_INSECURE_ENGINE=1)"],
  ['FLIPDRILL_DOCKER_SOCKET=<path>', "the Docker engine's unix socket when DOCKER_HOST is not set (default /var/run/docker.sock)"],
  ['FLIPDRILL_NO_DOCKER_INSTALL=1', 'never install or start a Docker engine'],
  ['FLIPDRILL_BASE_IMAGE=<image>', 'build on this base instead of a local debootstrap one'],
  ['FLIPDRILL_DEBIAN_MIRROR=<url>', 'Debian mirror for the local base image'],
  ['FLIPDRILL_DATA_FS_DIR=<dir>', 'where the disk-full fault\'s file system images live (default /var/lib/flipdrill/data-fs; a folder only root or flipdrill may write, no links; down removes only what flipdrill marked)'],
  ['FLIPDRILL_LOG_FILE=<file>', 'up, status, down: write the log there (a drill logs into its run folder)'],
  ['FLIPDRILL_DEBUG=1', 'an unexpected error prints its stack trace'],
  ['CI=1 (or TERM=dumb)', 'plain progress lines, no live counters'],
];

const wrap = (text: string, width: number, indent: string): string => {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join(`\n${indent}`);
};

const COL = 30;
function optionLines(names: readonly string[]): string[] {
  return names.map((name) => {
    const o = OPTION_HELP[name]!;
    const flag = `  ${name === 'help' ? '-h, ' : ''}--${name}${o.arg ? ` ${o.arg}` : ''}`;
    const text = wrap(o.text, 100 - COL, ' '.repeat(COL));
    return flag.length < COL - 1 ? `${flag.padEnd(COL)}${text}` : `${flag}\n${' '.repeat(COL)}${text}`;
  });
}

/** The options a command takes, in the tables' order. */
export const optionsOf = (command: Command): string[] => Object.keys(OPTION_HELP).filter((name) => OPTION_HELP[name]!.for.includes(command));

export function globalHelp(version: string): string {
  const width = Math.max(...COMMANDS.map((c) => c.length));
  return [
    `flipdrill ${version}: failover drills for a repmgr PostgreSQL cluster behind a floating endpoint`,
    '',
    'Usage: flipdrill <command> [options]     (from a clone: npm run flipdrill -- <command> [options])',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.padEnd(width)}  ${wrap(COMMAND_HELP[c].summary, 100 - width - 4, ' '.repeat(width + 4))}`),
    '',
    "flipdrill help <command> (or flipdrill <command> --help): that command's options, examples and exit codes.",
    'flipdrill --version: the version.',
    '',
    'Exit codes:',
    ...EXIT_CODES.map(([code, text]) => `  ${String(code).padEnd(4)} ${text}`),
    '',
    'Environment:',
    ...ENVIRONMENT.map(([name, text]) => `  ${name.padEnd(42)} ${text}`),
    '',
    'Docs: README.md, docs/reference/cli.md',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  const h = COMMAND_HELP[command];
  const exits = [...h.exits, ...EXIT_CODES.filter(([code]) => code >= 2 && !h.exits.some(([c]) => c === code))];
  return [
    `Usage: flipdrill ${h.usage}`,
    '',
    h.description,
    '',
    'Options:',
    ...optionLines(optionsOf(command)),
    '',
    'Examples:',
    ...h.examples.map((e) => `  ${e}`),
    '',
    'Exit codes:',
    ...exits.map(([code, text]) => `  ${String(code).padEnd(4)} ${text}`),
  ].join('\n');
}

/** docs/reference/cli.md: the same tables, as Markdown. */
export function cliReference(): string {
  const out = [
    '# CLI reference',
    '',
    '<!-- Generated from harness/cli-help.ts by `npm run docs:cli`; a test checks it is in step. Edit the source, not this file. -->',
    '',
    'From a clone: `npm run flipdrill -- <command> [options]`. Every command takes `--help`; `flipdrill --version` prints the version.',
    '',
    '| command | what it does |',
    '| --- | --- |',
    ...COMMANDS.map((c) => `| [\`${c}\`](#${c}) | ${COMMAND_HELP[c].summary} |`),
    '',
    '## Exit codes',
    '',
    '| code | meaning |',
    '| --- | --- |',
    ...EXIT_CODES.map(([code, text]) => `| ${code} | ${text} |`),
    '',
    '## Environment',
    '',
    '| variable | effect |',
    '| --- | --- |',
    ...ENVIRONMENT.map(([name, text]) => `| \`${name.replace(/\|/g, '\\|')}\` | ${text} |`),
  ];
  for (const c of COMMANDS) {
    const h = COMMAND_HELP[c];
    out.push('', `## ${c}`, '', '```', `flipdrill ${h.usage}`, '```', '', h.description.replace(/\n/g, ' '), '');
    const options = optionsOf(c);
    if (options.length) {
      out.push('| option | meaning |', '| --- | --- |');
      for (const name of options) {
        const o = OPTION_HELP[name]!;
        out.push(`| \`--${name}${o.arg ? ` ${o.arg.replace(/\|/g, '\\|')}` : ''}\` | ${o.text.replace(/\|/g, '\\|')} |`);
      }
      out.push('');
    }
    out.push('Examples:', '', '```sh', ...h.examples, '```', '', 'Exit codes: ' + [...h.exits, ...EXIT_CODES.filter(([code]) => code >= 2 && !h.exits.some(([x]) => x === code))].map(([code, text]) => `${code} ${text}`).join('; ') + '.');
  }
  return `${out.join('\n')}\n`;
}
