/**
 * The managers suite: HA managers side by side, each drilled through a cluster file (the path
 * `flipdrill drill --cluster <file> --yes` takes) under the same faults and the same checker.
 *
 *   for each manager configuration (--managers): bring its cluster up once (flipdrill's own repmgr
 *   cluster with the fast profile, anew for each replication mode; the fixtures in
 *   harness/fixtures/ for Patroni and pg_auto_failover, their replication switched at runtime) →
 *   for each replication mode (--manager-replication) and fault (--manager-faults):
 *   --manager-drills drills, the cluster whole again before each → tear down.
 *
 * Every node is a Docker container acted on by the docker driver, so a fault is the same for every
 * manager: kill is `docker kill` of the node (its manager with it, as a host dies), freeze is
 * `docker pause`, a partition drops every packet in the node's network namespace. The app writes
 * through each cluster's own endpoint: HAProxy for Patroni, a multi-host URL with
 * target_session_attrs=read-write for pg_auto_failover and repmgr (the endpoint agent's Docker
 * alias of flipdrill's own cluster is not reachable from here, and does not fence for it).
 *
 * Writes managers.md's table into bench.md, managers.svg beside it, every drill into bench.json.
 * A fixture somebody else is running is left alone: that manager's drills are not run.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  createLogger,
  describeError,
  learnFacts,
  parseClusterFile,
  queryUrl,
  removeClusters,
  startCluster,
  waitFor,
  WaitTimeoutError,
  type ForeignClusterFile,
  type StartedCluster,
} from '../../../cluster/index.ts';
import { attachFile, forForeignCluster } from '../../attach/attach-file.ts';
import { drillFile } from '../../attach/drill-file.ts';
import { resolveScenario, type Scenario } from '../../scenario.ts';
import { BASE } from '../configurations.ts';
import { figuresOf } from '../drill-figures.ts';
import {
  aggregateManagers,
  MANAGER_LABELS,
  managerLogLines,
  managersPlot,
  managersTable,
  noFailoverReason,
  PATRONI_DEFAULTS,
  PATRONI_TUNED,
  type ManagerConfigName,
  type ManagerDrill,
  type ManagerFault,
  type Replication,
} from '../managers.ts';
import { save, type Bench } from '../session.ts';
import { seconds } from '../stats.ts';

const exec = promisify(execFile);
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');

/** How long a manager has to promote; the writes-down bound is as wide, so the verdict is about the data. */
const EXPECT = { promotionWithinSecs: 120, maxWriteDownSecs: 150 };
/** How long a cluster has to be whole before a drill (after a drill, its own wait ran already). */
const WHOLE_WITHIN_MS = 180_000;
/** Per drill, at most, for the configuration's deadline: the hold, the heal, the wait until whole. */
const DRILL_BUDGET_MS = 7 * 60_000;

/** A manager's cluster while it is up. */
interface Up {
  file: ForeignClusterFile;
  /** Replication as asked; returns once the primary says so. */
  replication(mode: Replication): Promise<void>;
  /** The manager's own log lines since then, of the nodes but the faulted one. */
  logs(sinceMs: number, except?: string): Promise<string[]>;
  /** Start again whatever is not running (a drill's node left down). */
  heal(): Promise<void>;
  /**
   * Build the cluster anew when a drill left it broken beyond a restart (two primaries after a
   * freeze, with nothing to fence the old one): only flipdrill's own cluster, which the bench
   * made; a fixture's cluster is left as it is and its remaining drills are not run.
   */
  rebuild?(): Promise<void>;
  /** How long a drill waits for the cluster to be whole again (default WHOLE_WITHIN_MS). */
  wholeWithinMs?: number;
  down(): Promise<void>;
}

async function docker(args: string[], timeoutMs = 60_000): Promise<string> {
  const { stdout } = await exec('docker', args, { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 });
  return stdout;
}

async function containerLogLines(container: string, sinceMs: number): Promise<string[]> {
  try {
    const { stdout, stderr } = await exec('docker', ['logs', '--since', new Date(sinceMs).toISOString(), '--tail', '400', container], { timeout: 30_000, maxBuffer: 32 * 1024 * 1024 });
    return managerLogLines(`${stdout}\n${stderr}`, 3);
  } catch {
    return [];
  }
}

/** A fixture's script (start or stop), with its output in the bench's log. */
async function fixture(script: string, verb: 'start' | 'stop', env: NodeJS.ProcessEnv = {}): Promise<void> {
  try {
    await exec(path.join(FIXTURES, script), [verb], { timeout: 900_000, env: { ...process.env, ...env }, maxBuffer: 32 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${script} ${verb} failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' | ')}`);
  }
}

/** Refuse a fixture that runs already: someone else's drills may be using it. */
async function fixtureFree(label: string): Promise<void> {
  const ids = (await docker(['ps', '-aq', '--filter', `label=${label}`])).trim();
  if (ids) throw new Error(`containers labelled ${label} exist already (another drill or test may be using the fixture): left alone`);
}

/** What keeps the cluster from being whole: its nodes by SQL (one primary, standbys streaming) and its manager. */
async function wholeProblems(file: ForeignClusterFile): Promise<string[]> {
  const attachment = await attachFile(file, { logger: createLogger({ level: 'silent' }), dryRun: true });
  try {
    const { discovery } = attachment;
    const problems = [...discovery.problems];
    if (!discovery.primary) problems.push('no primary');
    for (const n of discovery.nodes) {
      if (n.role === 'down') problems.push(`${n.name} does not answer`);
      if (n.role === 'standby' && !n.upstream) problems.push(`${n.name} does not stream`);
    }
    if (attachment.manager) problems.push(...(await attachment.manager.whole().catch((e: Error) => [`${attachment.manager!.name} did not answer: ${e.message}`])));
    // The endpoint takes writes (a manager applying settings may hold its primary read-only a moment).
    const [row] = await queryUrl<{ ok: boolean }>(file.endpoint, "SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off' AS ok", [], { timeoutMs: 3000 }).catch((e: Error) => {
      problems.push(`the endpoint: ${e.message}`);
      return [];
    });
    if (row && !row.ok) problems.push('the endpoint leads to a read-only session');
    return problems;
  } finally {
    await attachment.close();
  }
}

/** Whole on two looks in a row, 2 s apart (a manager between two states looks whole for a moment); else what is not. */
async function untilWhole(file: ForeignClusterFile, timeoutMs = WHOLE_WITHIN_MS): Promise<string[]> {
  let last: string[] = [];
  let wholeLooks = 0;
  try {
    await waitFor(
      `${file.name} whole`,
      async () => {
        last = await wholeProblems(file).catch((e: Error) => [e.message]);
        wholeLooks = last.length === 0 ? wholeLooks + 1 : 0;
        return wholeLooks >= 2;
      },
      { timeoutMs, intervalMs: 2000 },
    );
    return [];
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) throw error;
    return last.length ? last : ['not whole'];
  }
}

async function untilReplication(file: ForeignClusterFile, mode: Replication): Promise<void> {
  await waitFor(`${file.name}'s primary with ${mode} replication`, async () => (await learnFacts(file).catch(() => undefined))?.replication === mode, { timeoutMs: 120_000, intervalMs: 1000 });
}

function fileOf(dir: string, name: string, text: string, env: Record<string, string>): ForeignClusterFile {
  const source = path.join(dir, `${name}.yaml`);
  writeFileSync(source, text);
  return parseClusterFile(text, source, { ...process.env, ...env });
}

const expectLine = `expect: { maxWriteDownSecs: ${EXPECT.maxWriteDownSecs}, promotionWithinSecs: ${EXPECT.promotionWithinSecs} }`;

/** flipdrill's own repmgr cluster (fast profile), no app in it: the drill's app runs here as for the others. */
async function repmgrUp(bench: Bench, dir: string): Promise<Up> {
  const { docker: engine, logger, builder } = bench;
  let cluster: StartedCluster | undefined;
  let file: ForeignClusterFile | undefined;
  const bringUp = async (replication: Replication) => {
    await cluster?.stop();
    await removeClusters(engine, logger, BASE.name);
    const images = await builder.ensureAll();
    const c = await startCluster({ ...BASE, app: false, timing: 'fast', replication }, { docker: engine, images, logger });
    cluster = c;
    const { superuser, app } = c.credentials;
    const witness = new Set(c.spec.nodes.filter((n) => n.initialRole === 'witness').map((n) => n.name));
    const url = (node: string) => `postgres://${superuser.user}:\${PW}@127.0.0.1:${c.node(node).hostPort}/${witness.has(node) ? 'postgres' : app.database}`;
    const data = c.spec.nodes.filter((n) => !witness.has(n.name)).map((n) => `127.0.0.1:${c.node(n.name).hostPort}`);
    const text = [
      'name: repmgr-bench',
      `endpoint: "postgres://${superuser.user}:\${PW}@${data.join(',')}/${app.database}?target_session_attrs=read-write"`,
      expectLine,
      'nodes:',
      ...c.spec.nodes.map((n) => `  - { name: ${n.name}, url: "${url(n.name)}", docker: ${c.containerOf(n.name)}${witness.has(n.name) ? ', witness: true' : ''} }`),
      '',
    ].join('\n');
    file = fileOf(dir, 'repmgr', text, { PW: superuser.password });
    const problems = await untilWhole(file);
    if (problems.length) throw new Error(`flipdrill's repmgr cluster is not whole after its bring-up: ${problems.join('; ')}`);
  };
  await bringUp('sync');
  return {
    get file() {
      return file!;
    },
    async replication(mode) {
      if (cluster!.spec.replication !== mode) await bringUp(mode);
      await untilReplication(file!, mode);
    },
    logs: async (sinceMs, except) => (await Promise.all(cluster!.spec.nodes.filter((n) => n.name !== except).map((n) => containerLogLines(cluster!.containerOf(n.name), sinceMs)))).flat(),
    heal: async () => {
      for (const n of cluster!.spec.nodes) await docker(['start', cluster!.containerOf(n.name)]).catch(() => '');
    },
    rebuild: () => bringUp(cluster!.spec.replication),
    // repmgr rejoins a node within seconds; two primaries it never mends, so waiting longer is waste.
    wholeWithinMs: 60_000,
    down: async () => {
      await cluster?.stop();
      await removeClusters(engine, logger, BASE.name);
    },
  } as Up;
}

const PATRONI_NODES = [1, 2, 3];
const PATRONI_API = (i: number) => `http://127.0.0.1:3502${i}`;

async function patroniConfig(body: Record<string, unknown>): Promise<void> {
  const errors: string[] = [];
  for (const i of PATRONI_NODES) {
    try {
      const r = await fetch(`${PATRONI_API(i)}/config`, { method: 'PATCH', body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
      if (r.ok) return;
      errors.push(`pg${i}: HTTP ${r.status} ${(await r.text()).trim()}`);
    } catch (error) {
      errors.push(`pg${i}: ${(error as Error).message}`);
    }
  }
  throw new Error(`Patroni's REST API took no PATCH /config ${JSON.stringify(body)} (${errors.join('; ')})`);
}

/** The Patroni fixture (Docker mode), its timing set through its REST API. */
async function patroniUp(dir: string, timing: Record<string, number>): Promise<Up> {
  await fixtureFree('flipdrill.fixture=patroni');
  await fixture('patroni/fixture.sh', 'start', { FDFIX_PATRONI_SYNCHRONOUS_MODE: 'off' });
  const text = [
    'name: patroni-bench',
    'endpoint: postgres://flipdrill:${PW}@127.0.0.1:35000/app',
    'replicas: ["postgres://flipdrill:${PW}@127.0.0.1:35001/app"]',
    expectLine,
    'nodes:',
    ...PATRONI_NODES.map((i) => `  - { name: pg${i}, url: "postgres://flipdrill:\${PW}@127.0.0.1:3501${i}/app", docker: fdfix-patroni-pg${i}, patroni: "${PATRONI_API(i)}" }`),
    '',
  ].join('\n');
  const file = fileOf(dir, 'patroni', text, { PW: process.env.FDFIX_PATRONI_FLIPDRILL_PASSWORD ?? 'flipdrill' });
  const up: Up = {
    file,
    async replication(mode) {
      if ((await learnFacts(file).catch(() => undefined))?.replication === mode) return;
      await patroniConfig({ synchronous_mode: mode === 'sync' });
      await untilReplication(file, mode);
    },
    logs: async (sinceMs, except) => (await Promise.all(PATRONI_NODES.filter((i) => `pg${i}` !== except).map((i) => containerLogLines(`fdfix-patroni-pg${i}`, sinceMs)))).flat(),
    heal: () => fixture('patroni/fixture.sh', 'start', { FDFIX_PATRONI_SYNCHRONOUS_MODE: 'off' }),
    down: () => fixture('patroni/fixture.sh', 'stop'),
  };
  try {
    const problems = await untilWhole(file, 300_000);
    if (problems.length) throw new Error(`the Patroni fixture is not whole after its start: ${problems.join('; ')}`);
    await patroniConfig(timing);
    return up;
  } catch (error) {
    await up.down().catch(() => {});
    throw error;
  }
}

/** The pg_auto_failover fixture, its monitor's defaults unchanged. */
async function pgafUp(dir: string): Promise<Up> {
  await fixtureFree('flipdrill.fixture=pg-auto-failover');
  await fixture('pg-auto-failover/pgaf.sh', 'start');
  const text = [
    'name: pgaf-bench',
    'endpoint: "postgres://flipdrill:${PW}@127.0.0.1:36001,127.0.0.1:36002/app?target_session_attrs=read-write"',
    '# The monitor takes its own role over TLS only, with a self-signed certificate.',
    'monitor: postgres://autoctl_node@127.0.0.1:36000/pg_auto_failover?sslmode=no-verify',
    expectLine,
    'nodes:',
    '  - { name: node1, url: "postgres://flipdrill:${PW}@127.0.0.1:36001/app", docker: fdfix-pgaf-node1 }',
    '  - { name: node2, url: "postgres://flipdrill:${PW}@127.0.0.1:36002/app", docker: fdfix-pgaf-node2 }',
    '',
  ].join('\n');
  const file = fileOf(dir, 'pgaf', text, { PW: process.env.FDFIX_PGAF_PASSWORD ?? 'flipdrill' });
  const up: Up = {
    file,
    // pg_auto_failover replicates synchronously to every node with replication-quorum true (its
    // default); a node set to false is an asynchronous standby. Set on both nodes, as either may be
    // the standby after a failover.
    async replication(mode) {
      // A change of a node's replication quorum takes the primary through apply_settings: only when needed.
      if ((await learnFacts(file).catch(() => undefined))?.replication === mode) return;
      for (const node of ['node1', 'node2']) await docker(['exec', '-u', 'postgres', `fdfix-pgaf-${node}`, 'pg_autoctl', 'set', 'node', 'replication-quorum', mode === 'sync' ? 'true' : 'false'], 120_000);
      await untilReplication(file, mode);
    },
    logs: async (sinceMs) => containerLogLines('fdfix-pgaf-monitor', sinceMs),
    heal: () => fixture('pg-auto-failover/pgaf.sh', 'start'),
    down: () => fixture('pg-auto-failover/pgaf.sh', 'stop'),
  };
  try {
    const problems = await untilWhole(file, 300_000);
    if (problems.length) throw new Error(`the pg_auto_failover fixture is not whole after its start: ${problems.join('; ')}`);
    return up;
  } catch (error) {
    await up.down().catch(() => {});
    throw error;
  }
}

function bringUp(bench: Bench, manager: ManagerConfigName, dir: string): Promise<Up> {
  switch (manager) {
    case 'repmgr':
      return repmgrUp(bench, dir);
    case 'patroni':
      return patroniUp(dir, PATRONI_DEFAULTS);
    case 'patroni-tuned':
      return patroniUp(dir, PATRONI_TUNED);
    case 'pgaf':
      return pgafUp(dir);
  }
}

/** The manager's events the drill recorded (events.jsonl, type manager). */
function recordedManagerEvents(runDir: string): { node?: string; event: string; details?: string }[] {
  const file = path.join(runDir, 'events.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e.type === 'manager')
    .map((e) => ({ ...(e.node ? { node: String(e.node) } : {}), event: String(e.event), ...(e.details ? { details: String(e.details) } : {}) }));
}

/** One drill through the cluster file, as `flipdrill drill --cluster <file> --yes` runs it. */
async function oneDrill(bench: Bench, up: Up, manager: ManagerConfigName, fault: ManagerFault, replication: Replication, scenario: Scenario, runsDir: string): Promise<ManagerDrill> {
  const t0 = Date.now();
  const base = { manager, fault, replication };
  try {
    const r = await drillFile({
      file: up.file,
      scenarios: [scenario],
      drill: { runsDir },
      appProfile: 'aware',
      ...(up.wholeWithinMs ? { wholeWithinMs: up.wholeWithinMs } : {}),
      step: (line) => bench.logger.info({ manager, fault, replication }, line),
      say: (line) => bench.logger.info({ manager, fault, replication }, line),
    });
    const wallMs = Date.now() - t0;
    if (r.refused) return { ...base, verdict: 'ERROR', failedOver: false, writeDownMs: null, lost: 0, reason: [...r.refused.problems, r.refused.scenario?.why].filter(Boolean).join('; '), run: '', wallMs };
    const runRel = r.runDir ? path.relative(process.cwd(), r.runDir) : '';
    const notWhole = r.notWhole ? `not whole ${(up.wholeWithinMs ?? WHOLE_WITHIN_MS) / 1000} s after: ${r.notWhole}` : undefined;
    if (!r.outcome) {
      const why = r.failure ? describeError(r.failure as Error).split('\n')[0]! : 'the drill did not start';
      return { ...base, verdict: 'ERROR', failedOver: false, writeDownMs: null, lost: 0, reason: [why, notWhole].filter(Boolean).join('; '), run: runRel, wallMs };
    }
    const { report } = r.outcome;
    const figures = figuresOf(report, r.runDir!, wallMs);
    const faulted = report.result.fault?.node;
    const failedOver = Boolean(report.result.promotion && report.result.promotion.node !== faulted);
    let reason: string | undefined;
    if (!failedOver) {
      reason = noFailoverReason(recordedManagerEvents(r.runDir!), await up.logs(t0, faulted)) ?? 'the manager recorded nothing';
    }
    if (notWhole) reason = [reason, notWhole].filter(Boolean).join('; ');
    return { ...base, verdict: figures.verdict, failedOver, writeDownMs: figures.writeDownMs, lost: figures.lost, ...(reason ? { reason } : {}), run: runRel, wallMs };
  } catch (error) {
    return { ...base, verdict: 'ERROR', failedOver: false, writeDownMs: null, lost: 0, reason: describeError(error as Error).split('\n')[0]!, run: '', wallMs: Date.now() - t0 };
  }
}

export async function run(bench: Bench): Promise<void> {
  const { say, results, markdown, outDir } = bench;
  const { managers, managerFaults: faults, managerReplication: replications, managerDrills: drills } = bench.args;
  const dir = path.join(outDir, 'managers');
  mkdirSync(dir, { recursive: true });
  const all: ManagerDrill[] = [];
  const bringUps: Record<string, { ms: number | null; error?: string }> = {};
  const skip = (manager: ManagerConfigName, replication: Replication, fault: ManagerFault, n: number, reason: string) => {
    for (let i = 0; i < n; i++) all.push({ manager, fault, replication, verdict: 'SKIPPED', failedOver: false, writeDownMs: null, lost: 0, reason, run: '', wallMs: 0 });
  };
  const record = () => {
    results.managers = { labels: MANAGER_LABELS, expect: EXPECT, patroniTuned: PATRONI_TUNED, patroniDefaults: PATRONI_DEFAULTS, bringUps, drills: all };
    save(bench);
  };

  for (const manager of managers) {
    const deadline = Date.now() + faults.length * replications.length * drills * DRILL_BUDGET_MS + 20 * 60_000;
    const t0 = Date.now();
    let up: Up;
    try {
      say(`managers: bringing up ${MANAGER_LABELS[manager]}`);
      up = await bringUp(bench, manager, dir);
      bringUps[manager] = { ms: Date.now() - t0 };
      say(`managers: ${manager} up in ${seconds(Date.now() - t0)}`);
    } catch (error) {
      const why = (error as Error).message.split('\n')[0]!;
      say(`managers: ${manager} not brought up: ${why}`);
      bringUps[manager] = { ms: null, error: why };
      for (const replication of replications) for (const fault of faults) skip(manager, replication, fault, drills, `not brought up: ${why}`);
      record();
      continue;
    }
    try {
      for (const replication of replications) {
        let broken: string | undefined;
        try {
          await up.replication(replication);
        } catch (error) {
          broken = `${replication} replication not set: ${(error as Error).message.split('\n')[0]}`;
        }
        for (const fault of faults) {
          const scenario = forForeignCluster(resolveScenario(fault), up.file);
          for (let i = 0; i < drills; i++) {
            if (!broken && Date.now() > deadline) broken = `past the configuration's deadline (${Math.round((deadline - t0) / 60_000)} min)`;
            if (!broken) {
              // Whole before each drill; a node a drill left down is started again, once
              // (flipdrill's own cluster is built anew instead).
              let problems = await untilWhole(up.file, up.wholeWithinMs);
              if (problems.length) {
                say(`managers: ${manager} not whole (${problems.join('; ')}): ${up.rebuild ? 'building it anew' : 'starting what is not running'}`);
                await (up.rebuild ?? up.heal)().catch((e: Error) => say(`managers: ${manager}: ${e.message}`));
                problems = await untilWhole(up.file, up.wholeWithinMs);
                if (problems.length) broken = `the cluster not whole: ${problems.join('; ')}`;
              }
            }
            if (broken) {
              skip(manager, replication, fault, drills - i, broken);
              say(`managers: ${manager} ${replication} ${fault}: ${drills - i} drills not run: ${broken}`);
              break;
            }
            const d = await oneDrill(bench, up, manager, fault, replication, scenario, path.join(dir, 'runs'));
            all.push(d);
            say(`managers: ${manager} ${replication} ${fault} ${i + 1}/${drills}: ${d.verdict}${d.verdict === 'ERROR' ? '' : d.failedOver ? ', failed over' : ', no failover'}, writes down ${seconds(d.writeDownMs)}, lost ${d.lost}${d.reason ? ` (${d.reason.slice(0, 200)})` : ''}`);
            record();
          }
        }
      }
    } finally {
      await up.down().catch((e: Error) => say(`managers: tearing down ${manager}: ${e.message}`));
    }
  }

  const cells = aggregateManagers(all, { managers, faults, replications });
  writeFileSync(path.join(outDir, 'managers.svg'), `${managersPlot(all, managers, faults, replications)}\n`);
  record();
  markdown.push(
    `### HA managers side by side (${faults.join(', ')}; ${drills} drills each; writes down in seconds)`,
    '',
    'Every cluster drilled through a cluster file, its nodes Docker containers (kill: `docker kill`, freeze: `docker pause`, partition: every packet dropped in the node\'s network namespace); the same workload (4 clients), the same checker. ' +
      `A drill holds the fault until another node is promoted, at most ${EXPECT.promotionWithinSecs} s. Writes down: the clients' write unavailability or longest write gap, drills without a failover included. ` +
      'Endpoints: HAProxy for Patroni; a multi-host URL (target_session_attrs=read-write) for pg_auto_failover and for repmgr, where the endpoint agent of flipdrill\'s own cluster does not fence; that cluster is built anew when a drill leaves it not whole (two primaries after a freeze). ' +
      `Patroni tuned: ttl ${PATRONI_TUNED.ttl} (the lowest its documentation allows), loop_wait ${PATRONI_TUNED.loop_wait}, retry_timeout ${PATRONI_TUNED.retry_timeout} (loop_wait + 2 × retry_timeout <= ttl, as it requires).`,
    '',
    managersTable(cells),
    '',
    'Plot: managers.svg. Cluster files, run folders: managers/.',
    '',
  );
  save(bench);
}
