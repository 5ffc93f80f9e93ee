/**
 * The commands driver: the user's commands run with `sh -c` on this host, with their environment
 * and what the fault adds to it, each one's output handed on; a command that fails or outlives its
 * timeout fails the step clearly; a capability is there exactly when both its commands are. Real
 * `sh`, harmless commands.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClusterError } from '../../errors.ts';
import { commandsDriver, type CommandName, type NodeCommands } from './commands-driver.ts';

const work = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-commands-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A process's state letter from /proc (Z: dead, not yet reaped), or `gone`. */
function stateOf(pid: number): string {
  try {
    return /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? 'gone';
  } catch {
    return 'gone';
  }
}

function driver(commands: NodeCommands, options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) {
  const outputs: { command: CommandName; stdout: string; stderr: string }[] = [];
  const made = commandsDriver({ name: 'pg3', commands, cwd: work, onOutput: (command, stdout, stderr) => outputs.push({ command, stdout, stderr }), ...options });
  return { driver: made, outputs };
}

describe('the commands driver', () => {
  it('has a capability exactly when both its commands are given', () => {
    expect(Object.keys(driver({}).driver.capabilities)).toEqual([]);
    expect(Object.keys(driver({ freeze: 'true', partition: 'true', 'heal-one-way': 'true', shape: 'true' }).driver.capabilities)).toEqual([]);
    const all = driver({ freeze: 'true', thaw: 'true', partition: 'true', heal: 'true', 'partition-one-way': 'true', 'heal-one-way': 'true', shape: 'true', unshape: 'true' });
    expect(Object.keys(all.driver.capabilities).sort()).toEqual(['freeze', 'network-shape', 'one-way-partition', 'partition']);
  });

  it('has the core faults it is given commands for, and describes each as its literal command', () => {
    const { driver: d } = driver({ kill: 'kubectl delete pod pg-1 --grace-period=1', start: 'true', freeze: 'docker pause x', thaw: 'docker unpause x' });
    expect(d.core.kill).toBeTypeOf('function');
    expect(d.core.start).toBeTypeOf('function');
    expect(d.core.stop).toBeUndefined();
    expect(d.core.exec).toBeUndefined();
    expect(d.core.isRunning).toBeUndefined();
    expect(d.core.describe('kill', 'SIGTERM')).toBe('kubectl delete pod pg-1 --grace-period=1');
    expect(d.core.describe('stop')).toBeUndefined();
    expect(d.capabilities.freeze!.describe()).toBe('docker pause x');
    expect(d.kind).toBe('commands');
  });

  it("runs a fault's command with sh, in the given environment plus the node and the signal, and hands on its output", async () => {
    const { driver: d, outputs } = driver({ kill: 'echo "$FLIPDRILL_NODE $FLIPDRILL_SIGNAL $TEAM"; echo to-stderr >&2' }, { env: { PATH: process.env.PATH, TEAM: 'ops' } });
    await d.core.kill!('SIGTERM');
    expect(outputs).toEqual([{ command: 'kill', stdout: 'pg3 SIGTERM ops\n', stderr: 'to-stderr\n' }]);
    await d.core.kill!();
    expect(outputs[1]!.stdout).toBe('pg3 SIGKILL ops\n');
  });

  it('passes the environment through by default', async () => {
    process.env.FLIPDRILL_COMMANDS_TEST = 'through';
    try {
      const { driver: d, outputs } = driver({ start: 'echo "$FLIPDRILL_COMMANDS_TEST"' });
      await d.core.start!();
      expect(outputs[0]!.stdout).toBe('through\n');
    } finally {
      delete process.env.FLIPDRILL_COMMANDS_TEST;
    }
  });

  it('fails a step whose command exits non-zero, with its last lines, and still hands on its output', async () => {
    const { driver: d, outputs } = driver({ stop: 'echo one; echo "cannot stop pg-1" >&2; false' });
    const error = await d.core.stop!().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterError);
    expect((error as Error).message).toBe("pg3's stop command failed (exit 1): cannot stop pg-1");
    expect((error as ClusterError).hint).toBe('the command: echo one; echo "cannot stop pg-1" >&2; false');
    expect(outputs).toEqual([{ command: 'stop', stdout: 'one\n', stderr: 'cannot stop pg-1\n' }]);
  });

  it('ends a command that outlives its timeout, and whatever it started, with a clear error', async () => {
    const pidFile = path.join(work, 'sleeper.pid');
    const { driver: d, outputs } = driver({ freeze: `echo started; sleep 30 & echo $! > ${pidFile}; wait`, thaw: 'true' }, { timeoutMs: 300 });
    const started = Date.now();
    const error = await d.capabilities.freeze!.pause().catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error).toBeInstanceOf(ClusterError);
    expect((error as Error).message).toBe(`pg3's freeze command did not finish within 0.3 s: echo started; sleep 30 & echo $! > ${pidFile}; wait`);
    expect(outputs).toEqual([{ command: 'freeze', stdout: 'started\n', stderr: '' }]);
    // The sleep it started was ended with it: gone, or dead and not yet reaped by its new parent.
    const sleeper = Number(readFileSync(pidFile, 'utf8'));
    expect(stateOf(sleeper)).toMatch(/^(gone|Z)$/);
  });

  it('gives each capability its own commands and environment', async () => {
    const log = path.join(work, 'capabilities.log');
    const { driver: d } = driver({
      freeze: `echo freeze >> ${log}`,
      thaw: `echo thaw >> ${log}`,
      partition: `echo partition >> ${log}`,
      heal: `echo heal >> ${log}`,
      'partition-one-way': `echo "one-way $FLIPDRILL_PEERS" >> ${log}`,
      'heal-one-way': `echo heal-one-way >> ${log}`,
      shape: `echo "shape $FLIPDRILL_DELAY_MS $FLIPDRILL_JITTER_MS $FLIPDRILL_LOSS_PCT" >> ${log}`,
      unshape: `echo unshape >> ${log}`,
    });
    const c = d.capabilities;
    await c.freeze!.pause();
    await c.freeze!.unpause();
    await c.partition!.partition();
    await c.partition!.heal();
    await c['one-way-partition']!.partitionOneWay(['10.0.0.11', '10.0.0.12']);
    await c['one-way-partition']!.healOneWay();
    await c['network-shape']!.shapeNetwork({ delayMs: 100, lossPct: 5 });
    await c['network-shape']!.unshapeNetwork();
    expect(readFileSync(log, 'utf8')).toBe('freeze\nthaw\npartition\nheal\none-way 10.0.0.11 10.0.0.12\nheal-one-way\nshape 100 0 5\nunshape\n');
  });

  it('knows no leftovers, and says so by finding none', async () => {
    const { driver: d } = driver({ freeze: 'true', thaw: 'true', partition: 'true', heal: 'true' });
    expect(await d.capabilities.freeze!.leftovers()).toEqual([]);
    expect(await d.capabilities.partition!.leftovers()).toEqual([]);
  });

  it('runs a command on the node through the exec prefix, with its words quoted, and its result as it is', async () => {
    const { driver: d } = driver({ exec: 'sh -c \'echo "as ${FLIPDRILL_USER:-nobody}:" "$@"; exit 3\' sh' });
    const result = await d.core.exec!(['echo', "it's here", '$HOME'], { user: 'postgres' });
    expect(result).toEqual({ exitCode: 3, stdout: "as postgres: echo it's here $HOME\n", stderr: '' });
  });

  it('tells whether the node runs by the running command\'s exit code', async () => {
    expect(await driver({ running: 'true' }).driver.core.isRunning!()).toBe(true);
    expect(await driver({ running: 'exit 1' }).driver.core.isRunning!()).toBe(false);
  });

  it('knows no address of the node', async () => {
    expect(await driver({}).driver.addresses()).toEqual([]);
  });
});
