/**
 * Each nemesis against the in-memory cluster: what it does to which node, what it records, and
 * that its undo takes the fault away, is safe when nothing was injected, and can run twice.
 */
import { describe, expect, it } from 'vitest';
import { FakeFaults } from '../test-support/fake-faults.ts';
import { waitFor } from '../../cluster/index.ts';
import { nemesisForFault, type FaultSpec, type Nemesis, type Role } from './index.ts';
import type { NetworkShape } from '../../cluster/index.ts';

/** The nemesis of one kind, as a scenario would state it. */
const nemesisOf = (type: string, options: Record<string, unknown> = {}, target: Role = 'primary'): Nemesis => nemesisForFault({ type, target, ...options });
const nemesisFor = (scenario: { fault: FaultSpec }) => nemesisForFault(scenario.fault);
const kill = (signal = 'SIGKILL') => nemesisOf('kill', { signal });
const restart = (pauseRepmgrd = true) => nemesisOf('restart', { pauseRepmgrd });
const postmasterCrash = nemesisOf('postmaster-crash');
const freeze = nemesisOf('freeze');
const partitionOneWay = nemesisOf('partition-one-way');
const switchover = nemesisOf('switchover', {}, 'standby');
const lagThenKill = (lagMs: number) => nemesisOf('lag-then-kill', { lagSecs: lagMs / 1000 });
const shapeNemesis = (kind: 'latency' | 'loss', shape: NetworkShape) => nemesisOf(kind, { ...shape });
const flapping = (freezeMs: number, thawMs: number, cycles: number) => nemesisOf('flapping', { freezeMs, thawMs, cycles });
const dns = nemesisOf('dns', {}, 'app');
const diskFull = nemesisOf('disk-full');
const clockSkew = (offsetSecs: number, thenKillPrimary = false) => nemesisOf('clock-skew', { offsetSecs, thenKillPrimary }, thenKillPrimary ? 'standby' : 'primary');
const repmgrdCrash = (thenKillPrimary = false) => nemesisOf('repmgrd-crash', { thenKillPrimary }, thenKillPrimary ? 'standby' : 'primary');
import { resolveScenario } from '../scenario.ts';

const on = (cluster: FakeFaults, node = 'node1') => ({ cluster, node, primary: 'node1', standby: 'node2' });

describe('nemeses', () => {
  it('kill: the node stops running; the fault names the command and is timed from when it was sent', async () => {
    const cluster = new FakeFaults();
    const before = Date.now();
    const fault = await kill('SIGKILL').inject(on(cluster));
    expect(cluster.node('node1').running).toBe(false);
    expect(cluster.node('node2').running).toBe(true);
    expect(fault).toMatchObject({ kind: 'kill', node: 'node1', detail: 'fake kill --signal SIGKILL node1' });
    expect(fault.at).toBeGreaterThanOrEqual(before);
    expect(fault.confirmedAt).toBeGreaterThanOrEqual(fault.at);
    // A killed node stays down: bringing it back is the scenario's heal, not the undo.
    expect(kill().undoing).toBeUndefined();
    await kill().undo(on(cluster));
    expect(cluster.node('node1').running).toBe(false);
    expect(cluster.calls).toEqual(['kill node1 SIGKILL']);
  });

  it('restart: repmgrd paused, PostgreSQL restarted by the command repmgr is configured with, unpaused; the undo unpauses', async () => {
    const cluster = new FakeFaults();
    const fault = await restart().inject(on(cluster));
    expect(cluster.node('node1')).toMatchObject({ running: true, restarts: 1 });
    expect(fault).toMatchObject({ kind: 'restart', node: 'node1', detail: "repmgrd paused, then repmgr's service_restart_command on node1: pg_ctl -m fast -w restart" });
    expect(cluster.calls).toHaveLength(1);
    expect(cluster.calls[0]).toMatch(/^exec node1 sh -c .*service_restart_command.*service pause.*eval "\$cmd".*service unpause/s);
    // The undo unpauses (a drill stopped between pause and unpause must not leave repmgrd paused), twice if need be.
    await restart().undo(on(cluster));
    await restart().undo(on(cluster));
    expect(cluster.calls.slice(1)).toEqual([`exec node1 sh -c /usr/lib/postgresql/15/bin/repmgr -f /etc/repmgr.conf service unpause`, `exec node1 sh -c /usr/lib/postgresql/15/bin/repmgr -f /etc/repmgr.conf service unpause`]);
    // It brings the node back itself: a restart scenario can be repeated on one cluster.
    expect(restart().leavesClusterWhole).toBe(true);
    expect(kill().leavesClusterWhole).toBeUndefined();
    // On a node that is down there is nothing to restart: the drill errors, it does not pretend.
    await cluster.stopNode('node2');
    await expect(restart().inject(on(cluster, 'node2'))).rejects.toThrow('node2 is not running');
    expect(nemesisFor(resolveScenario('restart-primary')).undoing?.(on(cluster))).toContain('unpausing repmgrd');
  });

  it('restart without the pause (pauseRepmgrd: false): the bare restart, and nothing to undo', async () => {
    const cluster = new FakeFaults();
    const bare = nemesisFor({ ...resolveScenario('restart-primary'), fault: { type: 'restart', target: 'primary', pauseRepmgrd: false } });
    const fault = await bare.inject(on(cluster));
    expect(fault.detail).toBe("repmgr's service_restart_command, repmgrd left running on node1: pg_ctl -m fast -w restart");
    expect(cluster.calls[0]).not.toContain('service pause');
    await bare.undo(on(cluster));
    expect(cluster.calls).toHaveLength(1);
    expect(bare.undoing).toBeUndefined();
  });

  it('postmaster-crash: the postmaster killed, the container left running; nothing to undo; a second crash finds no postmaster', async () => {
    const cluster = new FakeFaults();
    const fault = await postmasterCrash.inject(on(cluster));
    expect(cluster.node('node1')).toMatchObject({ running: true, postmasterDown: true });
    expect(fault).toMatchObject({ kind: 'postmaster-crash', node: 'node1' });
    expect(cluster.calls).toEqual(['exec node1 pkill -KILL -o -x postgres']);
    await postmasterCrash.undo(on(cluster));
    expect(cluster.calls).toHaveLength(1);
    await expect(postmasterCrash.inject(on(cluster))).rejects.toThrow('no postmaster to kill on node1');
    expect(nemesisFor(resolveScenario('postmaster-crash')).kind).toBe('postmaster-crash');
  });

  it('freeze: undo thaws the node, and is harmless when nothing was frozen or run twice', async () => {
    const cluster = new FakeFaults();
    await freeze.undo(on(cluster));
    expect(cluster.node('node1').paused).toBe(false);
    await freeze.inject(on(cluster));
    expect(cluster.node('node1').paused).toBe(true);
    await freeze.undo(on(cluster));
    await freeze.undo(on(cluster));
    expect(cluster.node('node1').paused).toBe(false);
    expect(cluster.calls).toEqual(['unpause node1', 'pause node1', 'unpause node1', 'unpause node1']);
    expect(freeze.undoing?.(on(cluster))).toBe('thawing node1');
  });

  it('partition-one-way: cut on the faulted node only, and healed by the undo', async () => {
    const cluster = new FakeFaults();
    const fault = await partitionOneWay.inject(on(cluster));
    expect(fault.kind).toBe('partition-one-way');
    expect([...cluster.nodes].filter(([, n]) => n.oneWay).map(([name]) => name)).toEqual(['node1']);
    expect(partitionOneWay.undoing?.(on(cluster))).toBe('removing the firewall rules on node1');
    await partitionOneWay.undo(on(cluster));
    expect(cluster.node('node1').oneWay).toBe(false);
  });

  it("switchover: the standby becomes primary; the fault records repmgr's last word", async () => {
    const cluster = new FakeFaults();
    const fault = await switchover.inject(on(cluster, 'node2'));
    expect(cluster.primaryNode).toBe('node2');
    expect(fault.detail).toBe('repmgr standby switchover on node2: STANDBY SWITCHOVER has completed successfully (node1 is now a standby)');
  });

  describe('lag-then-kill', () => {
    it("freezes the primary's WAL sender first, holding it for the lag, then kills the primary", async () => {
      const cluster = new FakeFaults();
      const nemesis = lagThenKill(2000);
      expect(nemesis.prepare?.holdMs).toBe(2000);
      expect(await nemesis.prepare!.run(on(cluster))).toBe('WAL sender on node1 frozen with SIGSTOP: node2 receives nothing');
      expect(cluster.node('node1').walSendersStopped).toBe(true);
      await nemesis.inject(on(cluster));
      expect(cluster.node('node1').running).toBe(false);
      // The primary is dead: nothing to thaw, and the undo does not try.
      await nemesis.undo(on(cluster));
      expect(cluster.calls).toEqual(["exec node1 pkill -STOP -f postgres: .*walsender", 'kill node1 SIGKILL']);
    });

    it('thaws the WAL sender when the drill stops between the freeze and the kill', async () => {
      const cluster = new FakeFaults();
      const nemesis = lagThenKill(2000);
      await nemesis.prepare!.run(on(cluster));
      await nemesis.undo(on(cluster));
      expect(cluster.node('node1').walSendersStopped).toBe(false);
      expect(cluster.node('node1').running).toBe(true);
    });

    it('refuses without a standby, or without a WAL sender to freeze, and says so', async () => {
      const cluster = new FakeFaults();
      await expect(lagThenKill(1000).prepare!.run({ cluster, node: 'node1', primary: 'node1' })).rejects.toThrow('the lag-then-kill fault needs a standby, and there is none');
      await expect(lagThenKill(1000).prepare!.run({ cluster, node: 'node2', primary: 'node2', standby: 'node1' })).rejects.toThrow('no WAL sender process found on node2');
    });
  });

  it('latency and loss: the node\'s links shaped as the scenario says, the fault naming it; the undo takes it off, twice and on a node that is down', async () => {
    const cluster = new FakeFaults();
    const latency = nemesisFor(resolveScenario('latency-primary'));
    const fault = await latency.inject(on(cluster));
    expect(cluster.node('node1').shape).toEqual({ delayMs: 100, jitterMs: 20 });
    expect(cluster.node('node2').shape).toBeNull();
    expect(fault).toMatchObject({ kind: 'latency', node: 'node1' });
    expect(fault.detail).toContain('100 ms delay ± 20 ms on every packet it sends');
    await latency.undo(on(cluster));
    await latency.undo(on(cluster));
    expect(cluster.node('node1').shape).toBeNull();
    const loss = nemesisFor(resolveScenario('loss-severe-primary'));
    expect((await loss.inject(on(cluster))).detail).toContain('60% of packets dropped each way');
    expect(cluster.node('node1').shape).toEqual({ lossPct: 60 });
    await cluster.kill('node1');
    await loss.undo(on(cluster));
    expect(loss.undoing?.(on(cluster))).toBe("taking the loss off node1's links");
    expect(shapeNemesis('latency', { delayMs: 5 }).leavesClusterWhole).toBe(false);
  });

  it('flapping: frozen and thawed on its own rhythm from the first freeze; the undo ends the cycles early and leaves the node thawed', async () => {
    const cluster = new FakeFaults();
    const flap = flapping(30, 30, 3);
    const fault = await flap.inject(on(cluster));
    expect(cluster.node('node1').paused).toBe(true);
    expect(fault).toMatchObject({ kind: 'flapping', node: 'node1', detail: 'fake freeze node1 for 30 ms, thawed for 30 ms, 3 times' });
    await waitFor('the three cycles', async () => cluster.calls.filter((c) => c === 'unpause node1').length === 3, { timeoutMs: 5000, intervalMs: 5 });
    expect(cluster.calls).toEqual(['pause node1', 'unpause node1', 'pause node1', 'unpause node1', 'pause node1', 'unpause node1']);
    await flap.undo(on(cluster));
    expect(cluster.node('node1').paused).toBe(false);
    // Undone in the middle of a long freeze: the node is thawed at once, and no cycle follows.
    const long = flapping(60_000, 10, 5);
    const other = new FakeFaults();
    await long.inject(on(other));
    await long.undo(on(other));
    expect(other.node('node1').paused).toBe(false);
    expect(other.calls).toEqual(['pause node1', 'unpause node1', 'unpause node1']);
  });

  it('dns: the app cannot resolve until the undo; no node is touched', async () => {
    const cluster = new FakeFaults();
    const fault = await dns.inject({ cluster, node: 'app', primary: 'node1', standby: 'node2' });
    expect(cluster.appDnsBlocked).toBe(true);
    expect(fault).toMatchObject({ kind: 'dns', node: 'app' });
    await dns.undo({ cluster, node: 'app', primary: 'node1' });
    await dns.undo({ cluster, node: 'app', primary: 'node1' });
    expect(cluster.appDnsBlocked).toBe(false);
    expect(cluster.calls).toEqual(['blockAppDns', 'unblockAppDns', 'unblockAppDns']);
  });

  it('disk-full: the node fills, the undo frees it, twice is fine', async () => {
    const cluster = new FakeFaults();
    const fault = await diskFull.inject(on(cluster));
    expect(cluster.node('node1').diskFull).toBe(true);
    expect(fault).toMatchObject({ kind: 'disk-full', node: 'node1', detail: "node1's data file system filled with a ballast file (0 bytes left)" });
    await diskFull.undo(on(cluster));
    await diskFull.undo(on(cluster));
    expect(cluster.node('node1').diskFull).toBe(false);
    expect(cluster.calls).toEqual(['fillDisk node1', 'freeDisk node1', 'freeDisk node1']);
  });

  it('clock-skew: the clock is set off, and right again by the undo', async () => {
    const cluster = new FakeFaults();
    const skew = clockSkew(30);
    const fault = await skew.inject(on(cluster));
    expect(cluster.node('node1').clockOffsetSecs).toBe(30);
    expect(fault.detail).toBe("node1's clock set 30 s ahead (libfaketime)");
    await skew.undo(on(cluster));
    expect(cluster.node('node1').clockOffsetSecs).toBe(0);
    expect(skew.down).toBeUndefined();
  });

  it('clock-skew on the standby, then the primary killed: the standby is skewed first, the primary is what the heal restarts', async () => {
    const cluster = new FakeFaults();
    const skew = nemesisFor(resolveScenario('clock-skew-standby'));
    const targets = { cluster, node: 'node2', primary: 'node1', standby: 'node2' };
    expect(await skew.prepare!.run(targets)).toBe("node2's clock set 30 s behind (libfaketime)");
    expect(cluster.node('node2').clockOffsetSecs).toBe(-30);
    const fault = await skew.inject(targets);
    expect(fault).toMatchObject({ kind: 'clock-skew', node: 'node1' });
    expect(cluster.node('node1').running).toBe(false);
    expect(skew.down!(targets)).toBe('node1');
    await skew.undo(targets);
    expect(cluster.node('node2').clockOffsetSecs).toBe(0);
  });

  it('repmgrd-crash on the primary: repmgrd killed, PostgreSQL left alone; the undo starts it again, once', async () => {
    const cluster = new FakeFaults();
    const crash = repmgrdCrash();
    const fault = await crash.inject(on(cluster));
    expect(cluster.node('node1')).toMatchObject({ running: true, repmgrd: false, postmasterDown: false });
    expect(fault.detail).toBe('SIGKILL to repmgrd on node1 (pkill -KILL -x repmgrd); PostgreSQL runs on');
    // A second crash finds no repmgrd and says so.
    await expect(crash.inject(on(cluster))).rejects.toThrow('no repmgrd to kill on node1');
    await crash.undo(on(cluster));
    await crash.undo(on(cluster));
    expect(cluster.node('node1').repmgrd).toBe(true);
    expect(crash.prepare).toBeUndefined();
    expect(crash.down).toBeUndefined();
  });

  it('repmgrd-crash on the standby, then the primary killed: the heal restarts the primary, and only then starts repmgrd', async () => {
    const cluster = new FakeFaults();
    const crash = nemesisFor(resolveScenario('repmgrd-crash-standby'));
    const targets = on(cluster, 'node2');
    expect(await crash.prepare!.run(targets)).toBe('repmgrd on node2 killed (SIGKILL): nothing there watches the primary');
    expect(cluster.node('node2').repmgrd).toBe(false);
    const fault = await crash.inject(targets);
    expect(cluster.node('node1').running).toBe(false);
    expect(fault.detail).toContain('with repmgrd dead on node2: no node is left to promote itself');
    expect(crash.down?.(targets)).toBe('node1');
    expect(crash.undoAfterRestart).toBe(true);
    await crash.undo(targets);
    expect(cluster.node('node2').repmgrd).toBe(true);
  });

  it("nemesisFor: every built-in scenario's fault has a nemesis of its own kind", () => {
    for (const name of ['kill-primary', 'stop-primary', 'freeze-primary', 'partition-primary', 'partition-primary-one-way', 'switchover', 'lagging-standby']) {
      const scenario = resolveScenario(name);
      expect(nemesisFor(scenario).kind).toBe(scenario.fault.type);
    }
  });
});
