/**
 * The connection and disk faults against the real cluster, its data directories behind
 * flipdrill's fault file system (cluster/fault-fs/): one cluster, one drill after another, each
 * leaving it whole for the next (the faults that fail over restart the old primary, which
 * rejoins), no firewall rule left after a connection fault, and nothing of the file system left
 * once the cluster is gone: no mount, no program.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { attachCluster, createLogger, dataFsLeft, removeClusters, type StartedCluster } from '../cluster/index.ts';
import { dataFsPaths } from '../cluster/data-fs.ts';
import { programsServing } from '../cluster/fault-fs/index.ts';
import { runDrill } from './drill.ts';
import { faultsLeft } from './faults/index.ts';
import { readHistory } from './history.ts';
import { resolveScenario, type Scenario } from './scenario.ts';
import { printNodeLogs, testDocker } from './test-support/docker.ts';

const runsDir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-disk-runs-'));
// Made for the disk faults (the fault file system on a size-limited one) by the first drill, whatever it is.
const cluster = { name: 'fdtest-disk', portBase: 21432, appPort: 21480, backSubnet: '10.213.111.0/24', frontSubnet: '10.213.112.0/24', dataFsMb: 512, faultFs: true };
const SHORT = { warmupMs: 1500, settleMs: 1500 };
/** The built-in scenario, healed by a restart of the faulted node (it rejoins), so the next drill finds the cluster whole. */
const rejoining = (name: string): Scenario => ({ ...resolveScenario(name), heal: { ...resolveScenario(name).heal, restart: true } });
/** The built-in scenario with its fault held this long (the faults held for a time, shortened for the suite's time). */
const briefly = (name: string, secs: number): Scenario => ({ ...resolveScenario(name), hold: { ...resolveScenario(name).hold, maxSecs: secs } });
const drill = (scenario: Scenario) => runDrill({ cluster, runsDir, scenario, ...SHORT, keep: true });
const failing = (r: { checks: { id: string; ok: boolean }[] }) => r.checks.filter((c) => !c.ok).map((c) => c.id);
const attached = async (): Promise<StartedCluster> => (await attachCluster(await testDocker(), createLogger(), cluster.name))!;
const whole = async () => faultsLeft(await attached(), ['node1', 'node2', 'node3']);
const programs = () => ['node1', 'node2'].flatMap((node) => programsServing(dataFsPaths(cluster.name, node).mount));

let failed = false;
afterEach(({ task }) => {
  if (task.result?.state === 'fail') failed = true;
});
afterAll(async () => {
  await removeClusters(await testDocker(), createLogger(), cluster.name);
  expect(dataFsLeft(cluster.name)).toEqual([]);
  expect(programs()).toEqual([]);
  if (failed) {
    printNodeLogs(runsDir);
    process.stderr.write(`\nrun folders kept in ${runsDir}\n`);
  } else rmSync(runsDir, { recursive: true, force: true });
});

describe('the connection faults', () => {
  it('tcp-reset-primary: every open connection reset, new ones work; nothing is promoted or lost, writes stall at most until the old WAL sender times out, and no rule is left', async () => {
    const { report } = await drill(briefly('tcp-reset-primary', 7));
    const r = report.result;
    expect(failing(r)).toEqual([]);
    expect(r.fault).toMatchObject({ kind: 'tcp-reset', node: 'node1' });
    // The reset bit: synchronous commits waited for the old WAL sender (5 s), far beyond a normal gap.
    expect(r.longestWriteGap?.ms).toBeGreaterThan(1000);
    expect(r.promotion).toBeNull();
    expect(r.lost).toEqual([]);
    expect(await whole()).toEqual([]);
  });

  it('half-open-primary: every open connection black-holed both ways, new ones work; nothing is promoted or lost, and no rule is left', async () => {
    const { report } = await drill(briefly('half-open-primary', 7));
    const r = report.result;
    expect(failing(r)).toEqual([]);
    expect(r.fault).toMatchObject({ kind: 'half-open', node: 'node1' });
    // It bit: writes waited on silent connections, far beyond a normal gap.
    expect(r.longestWriteGap?.ms).toBeGreaterThan(1000);
    expect(r.promotion).toBeNull();
    expect(r.lost).toEqual([]);
    expect(await whole()).toEqual([]);
  });
});

/** The writes acknowledged within [fromMs, toMs) of the drill: how many per second, and their median latency (ms). */
function writesBetween(historyFile: string, fromMs: number, toMs: number): { perSec: number; medianMs: number } {
  const invoked = new Map<number, number>();
  const latencies: number[] = [];
  for (const op of readHistory(historyFile)) {
    if (op.f !== 'write') continue;
    if (op.type === 'invoke') invoked.set(op.process, op.time);
    else if (op.type === 'ok' && op.time >= fromMs * 1e6 && op.time < toMs * 1e6) latencies.push((op.time - invoked.get(op.process)!) / 1e6);
  }
  latencies.sort((x, y) => x - y);
  return { perSec: latencies.length / ((toMs - fromMs) / 1000), medianMs: latencies[Math.floor(latencies.length / 2)] ?? 0 };
}

describe('the replication link', () => {
  it('replication-latency-primary (50 ms to the other data nodes): every synchronous commit waits it out, nothing is promoted or lost, and the shape is gone after', async () => {
    const { report, run } = await drill(briefly('replication-latency-primary', 6));
    const r = report.result;
    expect(failing(r)).toEqual([]);
    expect(r.fault).toMatchObject({ kind: 'replication-latency', node: 'node1' });
    // It bit: a commit waits for the standby's answer, which the delay holds up.
    expect(writesBetween(run.history, r.fault!.atMs + 1000, r.fault!.atMs + 5000).medianMs).toBeGreaterThanOrEqual(50);
    expect(r.promotion).toBeNull();
    expect(r.lost).toEqual([]);
    expect(await whole()).toEqual([]);
  });

  it('replication-bandwidth-primary (100 kbit/s): commits slow to what the link carries, nothing is promoted or lost, and the token bucket is gone after', async () => {
    const { report, run } = await drill(briefly('replication-bandwidth-primary', 6));
    const r = report.result;
    expect(failing(r)).toEqual([]);
    expect(r.fault).toMatchObject({ kind: 'replication-bandwidth', node: 'node1' });
    // It bit: 100 kbit/s carries the WAL of a few dozen of these commits a second, whatever the machine.
    expect(writesBetween(run.history, r.fault!.atMs + 1000, r.fault!.atMs + 5000).perSec).toBeLessThan(40);
    expect(r.promotion).toBeNull();
    expect(r.lost).toEqual([]);
    expect(await whole()).toEqual([]);
  });
});

describe('the disk faults, on a cluster behind the fault file system', () => {
  it('slow-disk-primary (20 ms per fsync): nothing is promoted, writes go on, and the latency is off afterwards', async () => {
    const { report } = await drill(briefly('slow-disk-primary', 6));
    const r = report.result;
    expect(failing(r)).toEqual([]);
    expect(r.fault).toMatchObject({ kind: 'slow-disk', node: 'node1' });
    expect(r.checks.find((c) => c.id === 'fault-injected')?.detail).toContain('20 ms added to every fsync');
    expect(r.promotion).toBeNull();
    expect(r.lost).toEqual([]);
    expect((await (await attached()).capabilities['disk-fault']!.diskFaultState('node1')).latency_ms).toBe(0);
    expect(await whole()).toEqual([]);
    // The cluster was made for the disk faults: a file system program per data node, none for the witness.
    expect(programs()).toHaveLength(2);
  });

  it('power-loss-primary-unsynced: with synchronous_commit off on the primary, the power loss takes acknowledged writes, and the drill FAILs listing them', async () => {
    const { report } = await drill(resolveScenario('power-loss-primary-unsynced'));
    const r = report.result;
    expect(r.verdict).toBe('FAIL');
    expect(failing(r)).toEqual(['lost-within-budget']);
    expect(r.lost.length).toBeGreaterThan(0);
    // Each one acknowledged by the old primary on its timeline, and each found nowhere after.
    expect(r.lost.every((w) => w.committedBy === 'node1' && w.committedTimeline === 1)).toBe(true);
    expect(r.checks.find((c) => c.id === 'fault-injected')?.detail).toMatch(/\d+ files had unsynced writes, \d+ bytes taken back/);
    // The heal restarted node1, it rejoined, and the undo reset the setting there.
    const setting = await (await attached()).query<{ synchronous_commit: string }>('node1', 'SHOW synchronous_commit');
    expect(setting[0]?.synchronous_commit).toBe('on');
    expect(await whole()).toEqual([]);
  });

  it('power-loss-primary: with the defaults nothing acknowledged is lost; the node comes back from its disk as the power loss left it and rejoins', async () => {
    const { report } = await drill(rejoining('power-loss-primary'));
    const r = report.result;
    expect(failing(r)).toEqual([]);
    expect(r.fault).toMatchObject({ kind: 'power-loss', node: 'node2' });
    expect(r.promotion).not.toBeNull();
    expect(r.lost).toEqual([]);
    expect(await whole()).toEqual([]);
  });

  it('io-error-primary (fsync answers EIO): PostgreSQL PANICs, the standby is promoted, nothing acknowledged is lost', async () => {
    const { report } = await drill(rejoining('io-error-primary'));
    const r = report.result;
    expect(failing(r)).toEqual([]);
    expect(r.fault).toMatchObject({ kind: 'io-error' });
    expect(r.promotion).not.toBeNull();
    expect(r.lost).toEqual([]);
    expect(await whole()).toEqual([]);
  });

  it("io-stall-primary (every operation hangs): repmgrd's pings open new connections, which hang, so it promotes the standby; nothing is lost and the stall is off afterwards", async () => {
    const { report } = await drill(rejoining('io-stall-primary'));
    const r = report.result;
    expect(failing(r)).toEqual([]);
    expect(r.fault).toMatchObject({ kind: 'io-stall' });
    expect(r.promotion).not.toBeNull();
    expect(r.lost).toEqual([]);
    expect(await whole()).toEqual([]);
  });
});
