import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../cluster/errors.ts';
import { builtInScenarios, parseScenario, planOf, resolveScenario } from './scenario.ts';

/** The minimal file without the keys a stated plan replaces. */
const { hold: _hold, ...withoutHold } = {
  name: 'mine',
  description: 'kill the witness',
  fault: { type: 'kill', target: 'witness' },
  hold: { until: 'time', maxSecs: 5 },
  expect: { promotion: false, primary: 'primary', maxWriteDownSecs: 2 },
};

const minimal = {
  name: 'mine',
  description: 'kill the witness',
  fault: { type: 'kill', target: 'witness' },
  hold: { until: 'time', maxSecs: 5 },
  expect: { promotion: false, primary: 'primary', maxWriteDownSecs: 2 },
};

describe('scenarios', () => {
  it('ships one file per fault, each valid', () => {
    expect(builtInScenarios().map((s) => s.name)).toEqual([
      'clock-skew-primary',
      'clock-skew-standby',
      'disk-full-primary',
      'dns-app',
      'flapping-primary',
      'freeze-primary-mid-query',
      'freeze-primary',
      'half-open-primary',
      'io-error-primary',
      'io-stall-primary',
      'isolate-witness',
      'kill-primary-failback',
      'kill-primary-switchback',
      'kill-primary',
      'kill-standby',
      'kill-witness',
      'lagging-standby',
      'latency-primary',
      'latency-severe-primary',
      'loss-primary',
      'loss-severe-primary',
      'partition-primary-one-way',
      'partition-primary',
      'postmaster-crash',
      'power-loss-primary-unsynced',
      'power-loss-primary',
      'replication-bandwidth-primary',
      'replication-latency-primary',
      'repmgrd-crash-primary',
      'repmgrd-crash-standby',
      'restart-primary',
      'slow-disk-primary',
      'stop-primary',
      'switchover',
      'tcp-reset-primary',
    ]);
  });

  it('fills defaults for what a file leaves out', () => {
    expect(parseScenario(minimal, 'mine.json')).toEqual({
      ...minimal,
      fault: { type: 'kill', target: 'witness', signal: 'SIGKILL' },
      hold: { until: 'time', maxSecs: 5 },
      heal: { restart: false, switchback: false },
      warmupSecs: 3,
      settleSecs: 3,
      workload: { concurrency: 4, readFraction: 0.3, pauseMs: 20, analyticsFraction: 0.2 },
    });
  });

  it.each([
    [{ ...minimal, colour: 'red' }, 'unknown key "colour"'],
    [{ ...minimal, fault: { type: 'kill', target: 'primary', pauseRepmgrd: false } }, 'fault.pauseRepmgrd is for restart only, and is true or false'],
    [{ ...minimal, fault: { type: 'restart', target: 'primary', pauseRepmgrd: 'no' } }, 'fault.pauseRepmgrd is for restart only, and is true or false'],
    [{ ...minimal, fault: { type: 'meteor', target: 'primary' } }, 'fault.type must be one of kill, stop, freeze, partition, partition-one-way, lag-then-kill, switchover, restart, postmaster-crash, latency, loss, repmgrd-crash, flapping, dns, disk-full, clock-skew, isolate-witness, io-stall, io-error, slow-disk, power-loss, tcp-reset, half-open, replication-latency, replication-bandwidth, not "meteor"'],
    [{ ...minimal, fault: { type: 'kill', target: 'primary', delayMs: 100 } }, 'fault.delayMs is for latency and replication-latency only'],
    [{ ...minimal, fault: { type: 'dns', target: 'primary' } }, 'fault.target of dns must be app (it is the app that cannot resolve)'],
    [{ ...minimal, fault: { type: 'kill', target: 'app' } }, 'fault.target app is for the dns fault only; a kill hits a node'],
    [{ ...minimal, expect: { ...minimal.expect, promotion: 'either' } }, 'expect.promotion "either" goes with expect.primary "either", and only with it'],
    [{ ...minimal, fault: { type: 'flapping', target: 'primary', cycles: 0 } }, 'fault.cycles must be a number from 1 to 100'],
    [{ ...minimal, fault: { type: 'latency', target: 'primary', delayMs: 100, jitterMs: 200 } }, 'fault.jitterMs must not be more than fault.delayMs'],
    [{ ...minimal, fault: { type: 'latency', target: 'primary', delayMs: -1 } }, 'fault.delayMs must be a number from 1 to 30000'],
    [{ ...minimal, fault: { type: 'loss', target: 'primary', lossPct: 150 } }, 'fault.lossPct must be a number from 0.1 to 100'],
    [{ ...minimal, fault: { type: 'repmgrd-crash', target: 'primary', thenKillPrimary: true } }, 'fault.thenKillPrimary kills the primary after the repmgrd-crash on a standby: fault.target must be standby'],
    [{ ...minimal, fault: { type: 'switchover', target: 'primary' } }, 'fault.target of switchover must be standby'],
    [{ ...minimal, heal: { rewind: true } }, 'unknown key "heal.rewind"'],
    [
      { ...minimal, heal: { switchback: true }, expect: { promotion: true, primary: 'primary', maxWriteDownSecs: 9 } },
      'heal.switchback needs the old primary back as a standby first',
    ],
    [
      { ...minimal, fault: { type: 'switchover', target: 'standby' }, heal: { switchback: true }, expect: { promotion: true, primary: 'standby', maxWriteDownSecs: 9 } },
      'after heal.switchback the old primary is primary again: expect.primary must be primary',
    ],
    [{ ...minimal, fault: { type: 'stop', target: 'primary', signal: 'SIGINT' } }, 'fault.signal is for kill only'],
    [{ ...minimal, hold: { until: 'time', maxSecs: -1 } }, 'hold.maxSecs must be a number from 0 to 600'],
    [{ ...minimal, expect: { promotion: true, primary: 'primary', maxWriteDownSecs: 2 } }, 'a promotion makes the standby primary: expect.primary must be standby'],
    [{ ...minimal, expect: { ...minimal.expect, rejoin: true } }, 'expect.rejoin needs heal.restart'],
    [{ ...minimal, expect: { primary: 'primary', maxWriteDownSecs: 2 } }, 'expect.promotion must be true, false or "either"'],
    [{ ...withoutHold, plan: 'warm-up, fault' }, 'plan must be an array of steps'],
    [{ ...withoutHold, plan: [{ step: 'warm-up' }, { step: 'nap' }] }, 'plan[1].step must be one of warm-up, quiet, fault, hold, heal, switchback, settle, final-read, not "nap"'],
    [{ ...withoutHold, plan: [{ step: 'warm-up' }, { step: 'heal' }, { step: 'fault' }, { step: 'settle' }, { step: 'final-read' }] }, 'plan: "fault" is missing before "heal"'],
    [{ ...withoutHold, plan: [{ step: 'warm-up' }, { step: 'fault' }, { step: 'settle' }, { step: 'heal' }, { step: 'final-read' }] }, 'plan: "heal" is missing before "settle"'],
    [{ ...withoutHold, plan: [{ step: 'warm-up' }, { step: 'fault' }, { step: 'heal' }, { step: 'fault' }] }, 'plan: "heal" is missing at the end'],
    [{ ...withoutHold, plan: [{ step: 'warm-up' }, { step: 'fault' }, { step: 'heal' }, { step: 'hold', until: 'time', maxSecs: 1 }, { step: 'settle' }, { step: 'final-read' }] }, 'plan: "hold" cannot come after "heal"'],
    [{ ...withoutHold, plan: [{ step: 'warm-up' }, { step: 'fault' }, { step: 'heal' }, { step: 'settle' }] }, 'plan: "final-read" is missing at the end'],
    [{ ...withoutHold, plan: [{ step: 'warm-up', secs: 3, until: 'promotion' }] }, 'unknown key "plan[0].until" (a warm-up step takes secs)'],
    [{ ...minimal, plan: [{ step: 'warm-up' }, { step: 'fault' }, { step: 'heal' }, { step: 'settle' }, { step: 'final-read' }] }, 'give the plan or hold, not both'],
  ])('rejects a bad file with one clear message: %#', (raw, message) => {
    expect(() => parseScenario(raw, 'mine.json')).toThrow(ConfigError);
    expect(() => parseScenario(raw, 'mine.json')).toThrow(`scenario mine.json: ${message}`);
  });

  it('derives the phase plan from the keys, or takes the one the file states (and reads the keys from it)', () => {
    expect(planOf(parseScenario(minimal, 'mine.json'))).toEqual([
      { step: 'warm-up', secs: 3 },
      { step: 'fault' },
      { step: 'hold', until: 'time', maxSecs: 5 },
      { step: 'heal', restart: false },
      { step: 'settle', secs: 3 },
      { step: 'final-read' },
    ]);
    expect(planOf(resolveScenario('kill-primary-switchback')).map((s) => s.step)).toEqual(['warm-up', 'fault', 'hold', 'heal', 'switchback', 'settle', 'final-read']);
    const plan = [{ step: 'warm-up', secs: 1 }, { step: 'fault' }, { step: 'heal', restart: true }, { step: 'settle', secs: 2 }, { step: 'final-read' }];
    const stated = parseScenario({ ...withoutHold, plan, expect: { ...withoutHold.expect, rejoin: true } }, 'mine.json');
    expect(planOf(stated)).toEqual(plan);
    expect(stated).toMatchObject({ warmupSecs: 1, settleSecs: 2, hold: { until: 'time', maxSecs: 0 }, heal: { restart: true, switchback: false } });
  });

  it('resolves a built-in name or a file, and names the built-ins when it knows neither', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-scenario-'));
    const file = path.join(dir, 'mine.json');
    writeFileSync(file, JSON.stringify(minimal));
    try {
      expect(resolveScenario(file).name).toBe('mine');
      expect(resolveScenario('kill-witness').fault).toEqual({ type: 'kill', target: 'witness', signal: 'SIGKILL' });
      expect(() => resolveScenario('meteor')).toThrow('unknown scenario "meteor"');
      expect(() => resolveScenario(path.join(dir, 'missing.json'))).toThrow('no such file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
