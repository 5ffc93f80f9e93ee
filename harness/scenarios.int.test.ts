/**
 * The fault catalogue against the real cluster: each built-in scenario with the outcome it
 * expects, the negative ones included, and nothing of a fault left behind afterwards, whether the
 * drill passed or was interrupted. (kill-primary and lagging-standby have their own files.)
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { attachCluster, createLogger, dataFsLeft, DrillAbortedError, removeClusters, type StartedCluster } from '../cluster/index.ts';
import { CLOCK_TOLERANCE_MS } from './checker/clocks.ts';
import { runDrill } from './drill.ts';
import { faultsLeft as anyFaultLeft } from './faults/index.ts';
import { loadRun } from './report/stored-run.ts';
import { resolveScenario } from './scenario.ts';
import { leftovers, printNodeLogs, testDocker } from './test-support/docker.ts';
import { junitSchemaErrors } from './test-support/report-files.ts';

const runsDir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-scenario-runs-'));
const names: string[] = [];

/** Each test gets its own cluster: name, ports and subnets. */
function clusterFor(index: number) {
  const name = `fdtest-sc${index}`;
  names.push(name);
  return { name, portBase: 30000 + index * 100, appPort: 30050 + index * 100, backSubnet: `10.214.${index * 2}.0/24`, frontSubnet: `10.214.${index * 2 + 1}.0/24` };
}

const SHORT = { warmupMs: 1500, settleMs: 1500 };

async function attached(name: string): Promise<StartedCluster> {
  return (await attachCluster(await testDocker(), createLogger(), name))!;
}

/** What a heal must have undone, on every node of a cluster that is still running (and the app). */
async function faultsLeft(cluster: StartedCluster): Promise<string[]> {
  return anyFaultLeft(cluster, cluster.spec.nodes.map((n) => n.name));
}

let failed = false;
afterEach(({ task }) => {
  if (task.result?.state === 'fail') failed = true;
});

afterAll(async () => {
  for (const name of names) await removeClusters(await testDocker(), createLogger(), name);
  // The disk-full cluster's file systems went with it: no mount, no image.
  expect(names.flatMap((name) => dataFsLeft(name))).toEqual([]);
  // A failure keeps its run folders, and the nodes' logs go into the test output.
  if (failed) {
    printNodeLogs(runsDir);
    process.stderr.write(`\nrun folders kept in ${runsDir}\n`);
  } else rmSync(runsDir, { recursive: true, force: true });
});

describe('the fault catalogue', () => {
  it('kill-witness: the primary is healthy, so nothing is promoted and writes do not notice', async () => {
    const cluster = clusterFor(1);
    const { report } = await runDrill({ cluster, runsDir, scenario: resolveScenario('kill-witness'), ...SHORT });
    const r = report.result;
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.promotion).toBeNull();
    expect(r.endpointMove).toBeNull();
    expect(r.writesAfterFault.onNewPrimary).toBeGreaterThan(0);
    expect(await leftovers(cluster.name)).toEqual([]);
  });

  it('kill-standby: no promotion, writes go on (synchronous replication relaxes), and the standby comes back', async () => {
    const cluster = clusterFor(2);
    const { report } = await runDrill({ cluster, runsDir, scenario: resolveScenario('kill-standby'), ...SHORT });
    const r = report.result;
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.promotion).toBeNull();
    expect(r.fault).toMatchObject({ kind: 'kill', node: 'node2' });
    expect(r.checks.map((c) => c.name)).toContain('node2 is back as a standby');
    expect(r.lost).toEqual([]);
  });

  it('stop-primary: a clean shutdown is followed by a promotion and loses nothing', async () => {
    const cluster = clusterFor(3);
    const { report } = await runDrill({ cluster, runsDir, scenario: resolveScenario('stop-primary'), ...SHORT });
    const r = report.result;
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.promotion?.node).toBe('node2');
    expect(r.lost).toEqual([]);
  });

  it('freeze-primary: the thawed old primary stays fenced, no split brain, and no paused container is left', async () => {
    const cluster = clusterFor(4);
    const { report } = await runDrill({ cluster, runsDir, scenario: resolveScenario('freeze-primary'), ...SHORT, keep: true });
    const r = report.result;
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.splitBrain).toBeNull();
    const started = await attached(cluster.name);
    expect(await faultsLeft(started)).toEqual([]);
    // node1 came back believing it is primary; the endpoint keeps it away from the app.
    expect((await started.observe()).nodes.find((n) => n.name === 'node1')?.role).toBe('primary');
    expect(await started.endpoint.state()).toEqual({ holder: 'node2', reachable: ['node2'] });
    await started.stop();
  });

  it("freeze-primary-mid-query: repmgrd waits on a query to the frozen primary; the node's watch closes that connection, the standby is promoted, the primary and its backend are thawed", async () => {
    const cluster = clusterFor(18);
    const { report } = await runDrill({ cluster, runsDir, scenario: resolveScenario('freeze-primary-mid-query'), ...SHORT, keep: true });
    const r = report.result;
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.promotion?.node).toBe('node2');
    const started = await attached(cluster.name);
    // The watch on node2 said what it did; without it, repmgrd waits for the thaw (60 s) and the drill FAILs.
    expect(await (await testDocker()).logs(`${cluster.name}-node2`, 400)).toMatch(/flipdrill-repmgrd-watch\[node2\] repmgrd silent for \d+ s while node1 \([\d.]+\) answers no new connection: closed \d+ connection/);
    expect(await faultsLeft(started)).toEqual([]);
    // No process on node1 is left stopped (its backend was thawed with it).
    expect((await started.exec('node1', ['sh', '-c', "ps -eo stat= | grep -c '^T' || true"])).stdout.trim()).toBe('0');
    await started.stop();
  });

  // One retry: in about one run in eight (7 of 8 passed here) repmgrd did not promote within 60 s
  // of the partition. The drill keeps the nodes' logs of such a run (node-logs/) for the diagnosis,
  // which is open; the safety assertions below hold either way.
  it('partition-primary: the isolated old primary takes no writes, comes back fenced, and its network is reconnected', { retry: 1 }, async () => {
    const cluster = clusterFor(5);
    await removeClusters(await testDocker(), createLogger(), cluster.name); // a retry starts clean
    const { report } = await runDrill({ cluster, runsDir, scenario: resolveScenario('partition-primary'), ...SHORT, keep: true });
    const r = report.result;
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.splitBrain).toBeNull();
    expect(r.writesAfterFault.onNewPrimary).toBeGreaterThan(0);
    const started = await attached(cluster.name);
    expect(await faultsLeft(started)).toEqual([]);
    expect((await started.endpoint.state()).holder).toBe('node2');
    expect((await started.endpoint.state()).reachable).not.toContain('node1');
    await started.stop();
  });

  it('an interrupted drill leaves no fault behind: the frozen primary is thawed', async () => {
    const cluster = clusterFor(6);
    const abort = new AbortController();
    const steps: string[] = [];
    const drill = runDrill({
      cluster,
      runsDir,
      scenario: { ...resolveScenario('freeze-primary'), hold: { until: 'time', maxSecs: 60 } },
      ...SHORT,
      keep: true,
      signal: abort.signal,
      onStep: (s) => {
        steps.push(s);
        if (s.startsWith('holding the fault')) abort.abort();
      },
    });
    await expect(drill).rejects.toBeInstanceOf(DrillAbortedError);
    expect(steps.some((s) => s.startsWith('fault: '))).toBe(true);
    const started = await attached(cluster.name);
    expect(await faultsLeft(started)).toEqual([]);
    expect(await started.isRunning('node1')).toBe(true);
    await started.stop();
  });

  it('switchover: repmgr standby switchover promotes the standby, the endpoint follows, the old primary rejoins, nothing is lost', async () => {
    const cluster = clusterFor(8);
    const { report } = await runDrill({ cluster, runsDir, scenario: resolveScenario('switchover'), ...SHORT, keep: true });
    const r = report.result;
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.fault).toMatchObject({ kind: 'switchover', node: 'node2' });
    expect(r.promotion?.node).toBe('node2');
    expect(r.endpointMove?.node).toBe('node2');
    expect(r.lost).toEqual([]);
    const started = await attached(cluster.name);
    const roles = Object.fromEntries((await started.observe()).nodes.map((n) => [n.name, n.role]));
    expect(roles).toEqual({ node1: 'standby', node2: 'primary', node3: 'witness' });
    await started.stop();
  });

  it('kill-primary-switchback: the killed primary rejoins, then a switchover makes it primary again and the endpoint follows', async () => {
    const cluster = clusterFor(9);
    const { report } = await runDrill({ cluster, runsDir, scenario: resolveScenario('kill-primary-switchback'), ...SHORT, keep: true });
    const r = report.result;
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.promotion?.node).toBe('node2');
    expect(r.checks.map((c) => c.name)).toContain('switched back: node1 is primary again and holds the endpoint');
    expect(r.lost).toEqual([]);
    const started = await attached(cluster.name);
    expect((await started.endpoint.state()).holder).toBe('node1');
    expect(await started.primary()).toBe('node1');
    await started.stop();
  });

  it('partition-primary-one-way: the old primary, still reachable by the app, is fenced, acknowledges nothing alone, and keeps no firewall rule', async () => {
    const cluster = clusterFor(10);
    const { report } = await runDrill({ cluster, runsDir, scenario: resolveScenario('partition-primary-one-way'), ...SHORT, keep: true });
    const r = report.result;
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.splitBrain).toBeNull();
    expect(r.lost).toEqual([]);
    expect(r.checks.map((c) => c.name)).toContain('node1 is back as a standby');
    const started = await attached(cluster.name);
    expect(await faultsLeft(started)).toEqual([]);
    await started.stop();
  });

  // The same fault without synchronous replication: the old primary acknowledges writes alone until
  // the endpoint fences it, and they are gone from the new timeline. The drill must say FAIL.
  it('partition-primary-one-way with asynchronous replication loses acknowledged writes, and the drill says so', async () => {
    const cluster = { ...clusterFor(11), replication: 'async' as const };
    const { report } = await runDrill({ cluster, runsDir, scenario: resolveScenario('partition-primary-one-way'), ...SHORT });
    const r = report.result;
    expect(r.verdict).toBe('FAIL');
    expect(r.lost.length).toBeGreaterThan(0);
    expect(r.lost.every((w) => w.committedBy === 'node1')).toBe(true);
    expect(r.checks.find((c) => c.name.startsWith('acknowledged writes lost'))?.ok).toBe(false);
  });

  it('an interrupted one-way partition leaves no firewall rule behind', async () => {
    const cluster = clusterFor(12);
    const abort = new AbortController();
    const drill = runDrill({
      cluster,
      runsDir,
      scenario: resolveScenario('partition-primary-one-way'),
      ...SHORT,
      keep: true,
      signal: abort.signal,
      onStep: (s) => {
        if (s.startsWith('waiting for repmgrd')) abort.abort();
      },
    });
    await expect(drill).rejects.toBeInstanceOf(DrillAbortedError);
    const started = await attached(cluster.name);
    expect(await faultsLeft(started)).toEqual([]);
    await started.stop();
  });

  it('--repeat 10 of kill-primary with fail-back passes on one cluster, failing over back and forth', async () => {
    const cluster = clusterFor(7);
    const { aggregate, reports, run } = await runDrill({ cluster, runsDir, scenario: resolveScenario('kill-primary-failback'), repeat: 10, ...SHORT });
    expect(aggregate?.iterations.map((i) => i.verdict)).toEqual(Array(10).fill('PASS'));
    expect(aggregate?.verdict).toBe('PASS');
    expect(aggregate?.totalLost).toBe(0);
    // The fault alternates between the two data nodes.
    expect(reports.map((r) => r.result.fault?.node)).toEqual(['node1', 'node2', 'node1', 'node2', 'node1', 'node2', 'node1', 'node2', 'node1', 'node2']);
    expect(aggregate?.writeDownMs.median).toBeGreaterThan(0);
    expect(await leftovers(cluster.name)).toEqual([]);
    // One junit.xml for the whole run: a case per iteration and check.
    const junit = path.join(run.dir, 'junit.xml');
    expect(junitSchemaErrors(junit)).toEqual([]);
    const xml = readFileSync(junit, 'utf8');
    expect(xml.match(/<testcase /g)).toHaveLength(reports.reduce((n, r) => n + r.result.checks.length, 0));
    expect(xml).toContain('classname="flipdrill.kill-primary-failback.iteration-10" name="no-split-brain"');
    // And one page for the whole run, linking each iteration's own.
    const page = readFileSync(path.join(run.dir, 'report.html'), 'utf8');
    expect(page).toContain('href="iteration-10/report.html"');
  }, 900_000);

  it('restart-primary, three times on one cluster: PostgreSQL restarted in place, no failover, writes pause and go on, nothing lost', async () => {
    const cluster = clusterFor(13);
    const { aggregate, reports } = await runDrill({ cluster, runsDir, scenario: resolveScenario('restart-primary'), repeat: 3, ...SHORT, keep: true });
    for (const { result } of reports) {
      expect(result.checks.filter((c) => !c.ok)).toEqual([]);
      expect(result.fault).toMatchObject({ kind: 'restart', node: 'node1' });
      expect(result.promotion).toBeNull();
      expect(result.endpointMove).toBeNull();
      expect(result.lost).toEqual([]);
    }
    expect(aggregate?.verdict).toBe('PASS');
    // The restarts are real: the primary's PostgreSQL shut down fast three times (never at bring-up).
    const node1 = await attached(cluster.name);
    const log = await node1.exec('node1', ['grep', '-c', 'received fast shutdown request', '/var/log/flipdrill/postgresql.log']);
    expect(log.stdout.trim()).toBe('3');
    await node1.stop();
    expect(await leftovers(cluster.name)).toEqual([]);
  });

  it("postmaster-crash: the primary's server dies in a running container; nobody restarts it, the standby takes over, nothing is lost", async () => {
    const cluster = clusterFor(14);
    const { report } = await runDrill({ cluster, runsDir, scenario: resolveScenario('postmaster-crash'), ...SHORT, keep: true });
    const r = report.result;
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.fault).toMatchObject({ kind: 'postmaster-crash', node: 'node1' });
    expect(r.promotion?.node).toBe('node2');
    expect(r.lost).toEqual([]);
    // The container, and repmgrd in it, are still there; PostgreSQL is not.
    const node1 = await attached(cluster.name);
    expect(await node1.isRunning('node1')).toBe(true);
    expect((await node1.exec('node1', ['pgrep', '-x', 'repmgrd'])).exitCode).toBe(0);
    expect((await node1.exec('node1', ['pgrep', '-x', 'postgres'])).exitCode).toBe(1);
    await node1.stop();
    expect(await leftovers(cluster.name)).toEqual([]);
  });
});

describe('a flapping primary', () => {
  it('flapping-primary: frozen 8 s and thawed 3 s four times; failover or not, nothing is lost, no split brain, and the node is left thawed', async () => {
    const cluster = clusterFor(16);
    const { report } = await runDrill({ cluster, runsDir, scenario: resolveScenario('flapping-primary'), ...SHORT, keep: true });
    const r = report.result;
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.fault).toMatchObject({ kind: 'flapping', node: 'node1' });
    expect(r.splitBrain).toBeNull();
    expect(r.lost).toEqual([]);
    // The freezes were real: writes stopped for most of one of them at least.
    expect(r.longestWriteGap?.ms).toBeGreaterThan(5000);
    const started = await attached(cluster.name);
    expect(await faultsLeft(started)).toEqual([]);
    await started.stop();
  });
});

// One cluster for the network shapes and the repmgrd crashes, one drill after another: each heal
// leaves it whole (the severe ones restart the old primary, which rejoins as a standby).
describe('slow and lossy links, a dead repmgrd, a full disk', () => {
  // Its data directories on size-limited file systems, so the disk-full drill runs here too.
  const cluster = { ...clusterFor(15), dataFsMb: 512 };
  const drill = (name: string) => runDrill({ cluster, runsDir, scenario: resolveScenario(name), ...SHORT, keep: true });
  const passed = (r: Awaited<ReturnType<typeof drill>>['report']['result']) => expect(r.checks.filter((c) => !c.ok)).toEqual([]);

  it('latency-primary (100 ms ± 20 ms): writes slow down and go on, nothing is promoted, and no rule or delay process is left', async () => {
    const { report } = await drill('latency-primary');
    const r = report.result;
    passed(r);
    expect(r.fault).toMatchObject({ kind: 'latency', node: 'node1' });
    expect(r.promotion).toBeNull();
    expect(r.lost).toEqual([]);
    expect(await faultsLeft(await attached(cluster.name))).toEqual([]);
  });

  it('an interrupted latency drill takes the delay off: no rule, no delay process', async () => {
    const abort = new AbortController();
    const run = runDrill({
      cluster,
      runsDir,
      scenario: resolveScenario('latency-primary'),
      ...SHORT,
      keep: true,
      signal: abort.signal,
      onStep: (s) => {
        if (s.startsWith('holding the fault')) abort.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(DrillAbortedError);
    expect(await faultsLeft(await attached(cluster.name))).toEqual([]);
  });

  it('a failing drill takes its fault away too: loss held while the drill waits for a promotion that never comes', async () => {
    const base = resolveScenario('loss-primary');
    // Expecting a failover from 1% loss: the hold ends at its limit, the verdict is FAIL, and the loss must still go.
    const scenario = { ...base, hold: { until: 'promotion' as const, maxSecs: 4 }, expect: { ...base.expect, promotion: true, primary: 'standby' as const } };
    const { report } = await runDrill({ cluster, runsDir, scenario, ...SHORT, keep: true });
    expect(report.result.verdict).toBe('FAIL');
    expect(report.result.checks.find((c) => c.id === 'standby-promoted')?.ok).toBe(false);
    expect(await faultsLeft(await attached(cluster.name))).toEqual([]);
  });

  it('loss-primary (1%): TCP retransmits, nothing is promoted, writes go on', async () => {
    const { report } = await drill('loss-primary');
    passed(report.result);
    expect(report.result.promotion).toBeNull();
    expect(report.result.lost).toEqual([]);
  });

  it('isolate-witness: the witness alone cut off for 8 s; nothing is promoted, writes never stop, and the witness is back as a witness on both networks', async () => {
    const { report } = await drill('isolate-witness');
    const r = report.result;
    passed(r);
    expect(r.fault).toMatchObject({ kind: 'isolate-witness', node: 'node3' });
    expect(r.promotion).toBeNull();
    expect(r.lost).toEqual([]);
    // Never stopped: no gap between acknowledged writes near the 8 s the witness was away.
    expect(r.longestWriteGap?.ms).toBeLessThan(2000);
    const started = await attached(cluster.name);
    expect(await faultsLeft(started)).toEqual([]);
    expect((await started.observe()).nodes.find((n) => n.name === 'node3')?.role).toBe('witness');
  });

  it('latency-severe-primary (3 s): the standby is promoted, nothing is lost, and the old primary rejoins once the delay is gone', async () => {
    const { report } = await drill('latency-severe-primary');
    const r = report.result;
    passed(r);
    expect(r.promotion?.node).toBe('node2');
    expect(r.splitBrain).toBeNull();
    expect(r.checks.map((c) => c.name)).toContain('node1 is back as a standby');
    expect(await faultsLeft(await attached(cluster.name))).toEqual([]);
  });

  it('loss-severe-primary (60%): the standby is promoted, nothing is lost, and the old primary rejoins once the loss is gone', async () => {
    // node2 is primary now: the fault hits it, and node1 takes over.
    const { report } = await drill('loss-severe-primary');
    const r = report.result;
    passed(r);
    expect(r.fault).toMatchObject({ kind: 'loss', node: 'node2' });
    expect(r.promotion?.node).toBe('node1');
    expect(r.lost).toEqual([]);
    expect(await faultsLeft(await attached(cluster.name))).toEqual([]);
  });

  it('dns-app: the app cannot resolve the endpoint during the fault (new connections fail), nothing is promoted or lost, and the block and its helper are gone after', async () => {
    const docker = await testDocker();
    const app = `${cluster.name}-app`;
    const resolves = async () => (await docker.exec(app, ['getent', 'hosts', 'pg-primary'])).exitCode === 0;
    let duringFault: boolean | undefined;
    const checks: Promise<void>[] = [];
    const { report } = await runDrill({
      cluster,
      runsDir,
      scenario: resolveScenario('dns-app'),
      ...SHORT,
      keep: true,
      onStep: (s) => {
        if (s.startsWith('holding the fault')) checks.push(resolves().then((r) => void (duringFault = r)));
      },
    });
    await Promise.all(checks);
    passed(report.result);
    expect(duringFault).toBe(false);
    expect(report.result.fault).toMatchObject({ kind: 'dns', node: 'app' });
    expect(report.result.promotion).toBeNull();
    expect(report.result.lost).toEqual([]);
    expect(await resolves()).toBe(true);
    expect(await faultsLeft(await attached(cluster.name))).toEqual([]);
  });

  it('disk-full-primary: writes needing space fail as rolled back (none unknown, none lost), nothing is promoted, and they come back once the ballast is gone', async () => {
    const { report } = await drill('disk-full-primary');
    const r = report.result;
    passed(r);
    expect(r.fault).toMatchObject({ kind: 'disk-full' });
    expect(r.checks.find((c) => c.id === 'fault-injected')?.detail).toMatch(/filled with a ballast file \((\d{1,7}) bytes left\)/);
    expect(r.promotion).toBeNull();
    // PostgreSQL said 53100 "could not extend file": failed, and the checker found none of them present.
    expect(r.counts.write.fail).toBeGreaterThan(0);
    expect(r.lost).toEqual([]);
    expect(await faultsLeft(await attached(cluster.name))).toEqual([]);
  });

  it('an interrupted disk-full drill frees the disk', async () => {
    const abort = new AbortController();
    const run = runDrill({ cluster, runsDir, scenario: resolveScenario('disk-full-primary'), ...SHORT, keep: true, signal: abort.signal, onStep: (s) => void (s.startsWith('holding the fault') && abort.abort()) });
    await expect(run).rejects.toBeInstanceOf(DrillAbortedError);
    expect(await faultsLeft(await attached(cluster.name))).toEqual([]);
    expect(dataFsLeft(cluster.name).length).toBeGreaterThan(0); // still mounted: the cluster is up
  });

  it('repmgrd-crash-primary: nothing happens while repmgrd is dead on the primary, and it is running again afterwards', async () => {
    const { report } = await drill('repmgrd-crash-primary');
    const r = report.result;
    passed(r);
    expect(r.promotion).toBeNull();
    expect(r.longestWriteGap?.ms ?? 0).toBeLessThan(1000);
    expect(await faultsLeft(await attached(cluster.name))).toEqual([]);
  });

  it('repmgrd-crash-standby, then the primary killed: no promotion, writes stay down for the hold and the drill says why; the restarted primary takes them again', async () => {
    const { report } = await drill('repmgrd-crash-standby');
    const r = report.result;
    passed(r);
    expect(r.promotion).toBeNull();
    expect(r.endpointMove).toBeNull();
    expect(r.longestWriteGap?.ms).toBeGreaterThan(10_000);
    expect(r.lost).toEqual([]);
    expect(r.checks.find((c) => c.id === 'fault-injected')?.detail).toContain('no node is left to promote itself');
    const started = await attached(cluster.name);
    expect(await faultsLeft(started)).toEqual([]);
    expect(Object.fromEntries((await started.observe()).nodes.map((n) => [n.name, n.role]))).toEqual({ node1: 'primary', node2: 'standby', node3: 'witness' });
  });
});

// A cluster whose data nodes read their clock through libfaketime (started so by the first drill).
describe('a skewed clock', () => {
  const cluster = clusterFor(17);
  const passed = (r: { checks: { ok: boolean }[] }) => expect(r.checks.filter((c) => !c.ok)).toEqual([]);

  it("clock-skew-standby: the standby 30 s behind is promoted; the checker withholds the stamp figures instead of a false split brain, and nothing is lost", async () => {
    const { report, run } = await runDrill({ cluster, runsDir, scenario: resolveScenario('clock-skew-standby'), ...SHORT, keep: true });
    const r = report.result;
    passed(r);
    expect(r.promotion?.node).toBe('node2');
    expect(r.clocks?.trusted).toBe(false);
    // Measured by the watcher, not taken from the scenario: 30 s behind, give or take the round trip.
    expect(r.clocks?.skews.find((s) => s.node === 'node2')?.offsetMs).toBeCloseTo(-30_000, -2);
    expect(r.databaseDowntime).toBeNull();
    expect(r.splitBrain).toBeNull();
    expect(r.lost).toEqual([]);
    // The same run judged on its stamps alone (the clock samples taken out) shows what the check prevents.
    const blind = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-no-clock-'));
    cpSync(run.dir, blind, { recursive: true });
    const events = readFileSync(path.join(run.dir, 'events.jsonl'), 'utf8').split('\n').filter((l) => l && !l.includes('"type":"clock"'));
    writeFileSync(path.join(blind, 'events.jsonl'), `${events.join('\n')}\n`);
    const judgedBlind = loadRun(blind).check();
    rmSync(blind, { recursive: true, force: true });
    expect(judgedBlind.splitBrain).not.toBeNull();
    const started = await attached(cluster.name);
    expect(await faultsLeft(started)).toEqual([]);
    const kept = started.keptObserver();
    const node2 = (await kept.observe()).nodes.find((n) => n.name === 'node2');
    kept.close();
    expect(Math.abs(node2!.clock!.offsetMs)).toBeLessThan(CLOCK_TOLERANCE_MS);
  });

  it('clock-skew-primary (30 s ahead): nothing is promoted, nothing is lost, and the clock is right afterwards', async () => {
    const { report } = await runDrill({ cluster, runsDir, scenario: resolveScenario('clock-skew-primary'), ...SHORT, keep: true });
    passed(report.result);
    expect(report.result.promotion).toBeNull();
    expect(report.result.clocks?.trusted).toBe(false);
    expect(await faultsLeft(await attached(cluster.name))).toEqual([]);
  });

  it('an interrupted clock-skew drill sets the clock right', async () => {
    const abort = new AbortController();
    const run = runDrill({ cluster, runsDir, scenario: resolveScenario('clock-skew-primary'), ...SHORT, keep: true, signal: abort.signal, onStep: (s) => void (s.startsWith('holding the fault') && abort.abort()) });
    await expect(run).rejects.toBeInstanceOf(DrillAbortedError);
    expect(await faultsLeft(await attached(cluster.name))).toEqual([]);
  });
});
