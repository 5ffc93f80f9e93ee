/**
 * `flipdrill tutorial`: the tutorial this project grows out of (shared/seeds/002), step by step on
 * a local cluster. Each step shows the real command or code, runs it, and shows its real output;
 * the reader presses Enter between steps (or passes --yes). It ends where the tutorial's point
 * is: with the write host being the primary's own address, writes fail when the primary dies;
 * with a floating endpoint, the endpoint moves to the promoted standby and writes come back.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Sequelize } from 'sequelize';
import {
  connect,
  createTable,
  createTutorialSequelize,
  defineCountry,
  findAllCountries,
  insertCountry,
  readFromReplicas,
  whoAnswers,
  type CountryModel,
} from '../app/tutorial.ts';
import { ConfigError, REPO_ROOT, type ClusterOptions } from '../cluster/index.ts';
import { startCluster, type FlipdrillCluster } from '../cluster/library.ts';

export interface TutorialOptions {
  cluster: ClusterOptions;
  /** Do not pause between steps. */
  yes: boolean;
  /** Leave the cluster running at the end. */
  keep: boolean;
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: { write(s: string): unknown };
  signal?: AbortSignal;
}

interface Step {
  title: string;
  /** Why this step, in a sentence or two. */
  says: string;
  /** What runs, as the reader would type or write it. */
  shows: string;
  run: () => Promise<string>;
}

const TUTORIAL_DB = 'flipdrill_tutorial';

/**
 * The source of the functions a step runs, as written in app/ (what executes is compiled from it;
 * Function#toString would show the compiler's minified output instead).
 */
function source(...fns: ((...args: never[]) => unknown)[]): string {
  const files = ['app/tutorial.ts', 'app/failover/naive.ts'].map((f) => readFileSync(path.join(REPO_ROOT, f), 'utf8'));
  return fns
    .map((fn) => {
      for (const text of files) {
        const found = new RegExp(`^(// .*\\n)?export (async )?function ${fn.name}\\([\\s\\S]*?\\n}\\n`, 'm').exec(text);
        if (found) return found[0].replace(/^export /m, '').trimEnd();
      }
      return fn.toString();
    })
    .join('\n\n');
}

function indent(text: string, prefix = '    '): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `${prefix}${l}`)
    .join('\n');
}

/**
 * Wait until every standby has replayed what the primary has written so far, and say how long it
 * took. Reads go to the standby: without this, a read just after a write (or a connection to a
 * database just created) can find the standby a few milliseconds behind, which is true of
 * streaming replication but not the point of these steps.
 */
async function standbysCaughtUp(cluster: FlipdrillCluster, primary: string): Promise<string> {
  const psql = async (node: string, sql: string) => (await cluster.exec(node, ['psql', '-X', '-qAt', '-c', sql], { user: 'postgres' })).stdout.trim();
  const lsn = await psql(primary, 'SELECT pg_current_wal_lsn()');
  const started = Date.now();
  const standbys = cluster.nodes.filter((n) => n.initialRole === 'standby' && n.name !== primary).map((n) => n.name);
  for (const standby of standbys) {
    while ((await psql(standby, `SELECT pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn`)) !== 't') {
      if (Date.now() - started > 30_000) throw new ConfigError(`${standby} did not replay the primary's WAL up to ${lsn} within 30 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return `${standbys.join(', ')} replayed it ${Date.now() - started} ms later (streaming replication)`;
}

export async function runTutorial(options: TutorialOptions): Promise<void> {
  const out = options.output;
  if (!options.yes && !options.input.isTTY) throw new ConfigError('the tutorial pauses between steps and needs a terminal', { hint: 'pass --yes to run it straight through' });
  const name = options.cluster.name ?? 'flipdrill-tutorial';
  const prompt = options.yes ? undefined : createInterface({ input: options.input, output: process.stdout });

  let cluster: FlipdrillCluster | undefined;
  let direct: Sequelize | undefined;
  let floating: Sequelize | undefined;
  let Country: CountryModel | undefined;
  let CountryViaEndpoint: CountryModel | undefined;
  let killed = '';

  const hostsOf = (c: FlipdrillCluster) => {
    const port = (node: string) => c.nodes.find((n) => n.name === node)!.port;
    return { primary: { host: '127.0.0.1', port: port('node1') }, standby: { host: '127.0.0.1', port: port('node2') } };
  };
  const tutorialConfig = (c: FlipdrillCluster, write: { host: string; port: number }) => ({
    database: TUTORIAL_DB,
    user: c.connection.user,
    password: c.connection.password,
    write,
    // As in the tutorial: the standby first, then the primary (the witness has no data).
    reads: [hostsOf(c).standby, hostsOf(c).primary],
  });

  const steps: Step[] = [
    {
      title: 'A PostgreSQL cluster with repmgr',
      says: 'The tutorial starts from a repmgr cluster: a primary, a standby and a witness, with repmgrd ready to promote the standby. Here they are containers on this machine.',
      shows: `startCluster({ name: '${name}' })   // flipdrill's library\ndocker exec ${name}-node1 repmgr -f /etc/repmgr.conf cluster show`,
      run: async () => {
        cluster = await startCluster({ ...options.cluster, name, ...(options.signal ? { signal: options.signal } : {}) });
        const show = await cluster.exec('node1', ['repmgr', '-f', '/etc/repmgr.conf', 'cluster', 'show'], { user: 'postgres' });
        return show.stdout;
      },
    },
    {
      title: 'A database for the tutorial',
      says: "The tutorial uses the postgres user; here the app's own user, in a database of its own.",
      shows: `CREATE DATABASE ${TUTORIAL_DB} OWNER <app user>;   -- on the primary, as the superuser`,
      run: async () => {
        const c = cluster!;
        await c.exec('node1', ['psql', '-X', '-qAt', '-c', `DROP DATABASE IF EXISTS ${TUTORIAL_DB}`, '-c', `CREATE DATABASE ${TUTORIAL_DB} OWNER ${c.connection.user}`], { user: 'postgres' });
        return `CREATE DATABASE\n${await standbysCaughtUp(c, 'node1')}`;
      },
    },
    {
      title: 'Connect Sequelize with read replication',
      says: "The tutorial's configuration: reads from the standby and the primary, writes to the primary's own address. Here the nodes' addresses are their ports on 127.0.0.1.",
      shows: `${source(createTutorialSequelize)}\n\n${source(connect)}`,
      run: async () => {
        direct = createTutorialSequelize(tutorialConfig(cluster!, hostsOf(cluster!).primary));
        return connect(direct);
      },
    },
    {
      title: 'Create the table',
      says: 'The Country model and sequelize.sync({ force: true }), which runs on the write host.',
      shows: source(defineCountry, createTable),
      run: async () => {
        Country = defineCountry(direct!);
        const created = await createTable(direct!);
        return `${created}\n${await standbysCaughtUp(cluster!, 'node1')}`;
      },
    },
    {
      title: 'Insert, then read from the replicas',
      says: 'Writes go to the write host; reads go to the read hosts (the standby, then the primary), once the standby has replayed the insert (streaming replication is asynchronous in what it shows to readers). cluster_name tells which server answered: the row written on the primary is read on the standby.',
      shows: source(insertCountry, findAllCountries, readFromReplicas, whoAnswers),
      run: async () => {
        const inserted = await insertCountry(Country!, 'Portugal', true);
        const caughtUp = await standbysCaughtUp(cluster!, 'node1');
        const all = await findAllCountries(Country!);
        const reads = [await readFromReplicas(direct!), await readFromReplicas(direct!)];
        const writer = await whoAnswers(direct!, true);
        return `${inserted}\n${caughtUp}\n${all}\n${reads.join('\n')}\nthe write host is ${writer}`;
      },
    },
    {
      title: 'The primary dies',
      says: 'SIGKILL, no clean shutdown. repmgrd on the standby notices within a few seconds and promotes it.',
      shows: `docker kill --signal SIGKILL ${name}-node1\n# then wait until the databases say another node is primary`,
      run: async () => {
        const t0 = Date.now();
        killed = await cluster!.killPrimary();
        const promoted = await cluster!.waitForPromotion({ timeoutMs: 60_000 });
        return `${killed} killed; ${promoted} is primary ${((Date.now() - t0) / 1000).toFixed(1)} s later`;
      },
    },
    ...(options.cluster.endpoint === 'do-simulator'
      ? [
          {
            title: "repmgr's promote hook moves the floating IP",
            says: "The tutorial's promote_command: promote the standby, then ask DigitalOcean to assign the floating IP to this droplet. Here each node plays a droplet and a simulator of DigitalOcean's API on this machine answers; the hook is the node's own, flipdrill did not ask for anything.",
            shows: `grep promote_command /etc/repmgr.conf                       # on ${name}-node2
grep flipdrill-flip-here /var/log/flipdrill/repmgrd.log    # what the hook did
GET /__sim/requests, /__sim/state                          # what the API was asked, where the IP is`,
            run: async () => {
              const c = cluster!;
              const promoted = await c.primary();
              const conf = await c.exec(promoted, ['grep', '^promote_command', '/etc/repmgr.conf']);
              // The hook may still be polling the API's action when the database is primary.
              const hookLog = async () => (await c.exec(promoted, ['grep', 'flipdrill-flip-here', '/var/log/flipdrill/repmgrd.log'])).stdout.trim();
              const deadline = Date.now() + 30_000;
              while (!/flipdrill-flip-here: (done|FAILED)/.test(await hookLog()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
              const ip = await c.floatingIp();
              const assigns = ip.assigns.map((a) => `POST /v2/floating_ips/${ip.ip}/actions {"type":"assign","droplet_id":${a.dropletId}} (${a.node}'s droplet) answered ${a.status}`);
              return `${promoted}: ${conf.stdout.trim()}\n${promoted}'s log:\n${indent(await hookLog(), '  ')}\nthe API was asked:\n${indent(assigns.join('\n') || 'nothing', '  ')}\nthe floating IP ${ip.ip} is on ${ip.node}'s droplet`;
            },
          },
        ]
      : []),
    {
      title: 'Without a floating endpoint, writes fail',
      says: "The write host is still the old primary's address: nothing answers there any more, whatever the standby became.",
      shows: `await insertCountry(Country, 'Spain', true)   // same Sequelize, write host = ${killed || 'node1'}'s address`,
      run: async () => {
        try {
          return `unexpectedly succeeded: ${await insertCountry(Country!, 'Spain', true)}`;
        } catch (error) {
          const e = error as Error & { parent?: { code?: string } };
          return `the write failed: ${e.name}${e.parent?.code ? ` (${e.parent.code})` : ''}: ${e.message}`;
        }
      },
    },
    {
      title: 'With a floating endpoint, writes come back',
      says:
        options.cluster.endpoint === 'do-simulator'
          ? "The tutorial's answer: write to an address that follows the primary, the floating IP the promote hook moved. It is published on this host (flipdrill only watched where it went)."
          : "The tutorial's answer: write to an address that follows the primary (a DigitalOcean floating IP moved by repmgr's promote hook; --endpoint do-simulator shows that). Here the cluster's endpoint agent moved a Docker alias to the promoted node (flipdrill only watched), and it is published on this host.",
      shows: `createTutorialSequelize({ ...config, write: cluster.endpoint })   // 127.0.0.1:<endpoint port>\nawait insertCountry(Country, 'Spain', true)`,
      run: async () => {
        const c = cluster!;
        floating = createTutorialSequelize(tutorialConfig(c, { host: c.endpoint.host, port: c.endpoint.port }));
        CountryViaEndpoint = defineCountry(floating);
        const inserted = await insertCountry(CountryViaEndpoint, 'Spain', true);
        const writer = await whoAnswers(floating, true);
        return `the endpoint leads to ${c.endpoint.holder}\n${inserted}\nthe write host is ${writer} now\n${await findAllCountries(CountryViaEndpoint)}`;
      },
    },
  ];

  try {
    for (const [i, step] of steps.entries()) {
      if (options.signal?.aborted) break;
      out.write(`\n== Step ${i + 1} of ${steps.length}: ${step.title} ==\n${step.says}\n\n${indent(step.shows)}\n\n`);
      if (prompt) {
        const answer = await prompt.question('Press Enter to run it (q to quit) ');
        if (answer.trim().toLowerCase() === 'q') break;
      }
      const output = await step.run();
      out.write(`output:\n${indent(output)}\n`);
    }
    out.write(
      options.keep
        ? `\nThe cluster ${name} stays up (--keep): npm run flipdrill -- down --name ${name} removes it.\n`
        : '\nDone. Removing the cluster.\n',
    );
  } finally {
    prompt?.close();
    await direct?.close().catch(() => {});
    await floating?.close().catch(() => {});
    if (cluster && !options.keep) await cluster.stop();
  }
}
