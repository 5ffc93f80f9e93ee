import { describe, expect, it } from 'vitest';
import { aggregateManagers, managerLogLines, managersPlot, managersTable, noFailoverReason, PATRONI_TUNED, type ManagerDrill } from './managers.ts';

const drill = (over: Partial<ManagerDrill>): ManagerDrill => ({
  manager: 'patroni',
  fault: 'kill-primary',
  replication: 'sync',
  verdict: 'PASS',
  failedOver: true,
  writeDownMs: 30_000,
  lost: 0,
  run: 'runs/x',
  wallMs: 60_000,
  ...over,
});
const order = { managers: ['repmgr', 'patroni', 'patroni-tuned', 'pgaf'], faults: ['kill-primary', 'freeze-primary', 'partition-primary'], replications: ['sync', 'async'] };

describe('HA managers side by side', () => {
  it('Patroni tuned keeps the rule its documentation states: loop_wait + 2 × retry_timeout <= ttl, ttl at least 20', () => {
    expect(PATRONI_TUNED.loop_wait + 2 * PATRONI_TUNED.retry_timeout).toBeLessThanOrEqual(PATRONI_TUNED.ttl);
    expect(PATRONI_TUNED.ttl).toBeGreaterThanOrEqual(20);
  });

  it('groups drills by manager, fault and replication in the order asked, with failovers, windows, losses and notes', () => {
    const drills = [
      drill({ writeDownMs: 31_000 }),
      drill({ writeDownMs: 29_000, lost: 2, verdict: 'FAIL' }),
      drill({ writeDownMs: 120_000, failedOver: false, reason: 'pg2: no action. I am (pg2), a secondary, and following a leader (pg1)' }),
      drill({ replication: 'async', writeDownMs: 12_000 }),
      drill({ manager: 'repmgr', writeDownMs: 2_000 }),
      drill({ manager: 'repmgr', verdict: 'ERROR', failedOver: false, writeDownMs: null, reason: 'the drill did not start' }),
      drill({ manager: 'pgaf', fault: 'freeze-primary', verdict: 'SKIPPED', failedOver: false, writeDownMs: null, reason: 'the cluster not whole: node1 does not answer' }),
    ];
    const cells = aggregateManagers(drills, order);
    expect(cells.map((c) => [c.manager, c.fault, c.replication])).toEqual([
      ['repmgr', 'kill-primary', 'sync'],
      ['patroni', 'kill-primary', 'sync'],
      ['patroni', 'kill-primary', 'async'],
      ['pgaf', 'freeze-primary', 'sync'],
    ]);
    const patroni = cells[1]!;
    expect(patroni).toMatchObject({ drills: 3, passed: 2, failedOver: 2, lost: 2, writeDown: { n: 3, median: 31_000, worst: 120_000 } });
    expect(patroni.notes).toEqual(['no failover in 1 of 3: pg2: no action. I am (pg2), a secondary, and following a leader (pg1)', '1 FAIL']);
    // An error is not a drill without a failover; its window is not counted.
    expect(cells[0]).toMatchObject({ drills: 2, failedOver: 1, writeDown: { n: 1, median: 2000 }, notes: ['1 stopped: the drill did not start'] });
    // Skipped drills are not drills run.
    expect(cells[3]).toMatchObject({ drills: 0, failedOver: 0, writeDown: { n: 0 }, notes: ['1 not run: the cluster not whole: node1 does not answer'] });
  });

  it('tabulates a row per manager, fault and replication; a note keeps the table whole', () => {
    const cells = aggregateManagers([drill({ writeDownMs: 31_000 }), drill({ writeDownMs: 35_000, failedOver: false, reason: 'a | b' })], order);
    expect(managersTable(cells).split('\n')).toEqual([
      '| manager | fault | replication | drills | PASS | failed over | writes down median | p95 | worst | lost acknowledged writes | notes |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      '| Patroni, defaults (ttl 30, loop_wait 10, retry_timeout 10) | kill-primary | sync | 2 | 2 | 1 of 2 | 33.00 s | 35.00 s | 35.00 s | 0 | no failover in 1 of 2: a \\| b |',
    ]);
  });

  it("says why from the manager's last events, else the last lines of its log", () => {
    expect(noFailoverReason([{ node: 'node1', event: 'primary → draining', details: 'a' }, { event: 'x' }, { node: 'node2', event: 'secondary → prepare_promotion' }, { node: 'node2', event: 'prepare_promotion → stop_replication', details: 'b' }], ['ignored'])).toBe(
      'x; node2: secondary → prepare_promotion; node2: prepare_promotion → stop_replication (b)',
    );
    expect(noFailoverReason([], ['2026-12-07 INFO: one', '2026-12-07 INFO: two ', '2026-12-07 INFO: three'])).toBe('2026-12-07 INFO: two / 2026-12-07 INFO: three');
    expect(noFailoverReason([], [])).toBeUndefined();
    const log = ['2026-12-07 10:00:01,1 INFO: no action. I am (pg2), a secondary, and following a leader (pg1)', 'Traceback (most recent call last):', '  File "x", line 1', 'ConnectionResetError: [Errno 104]', '2026-12-07 10:00:02,1 WARNING: Request failed to pg1: GET /patroni'].join('\n');
    expect(managerLogLines(log)).toEqual(['2026-12-07 10:00:01,1 INFO: no action. I am (pg2), a secondary, and following a leader (pg1)', '2026-12-07 10:00:02,1 WARNING: Request failed to pg1: GET /patroni']);
  });

  it('plots a dot per drill (hollow without a failover) and a median bar per cell, on a round scale', () => {
    const drills = [
      drill({ writeDownMs: 30_000 }),
      drill({ writeDownMs: 40_000, failedOver: false }),
      drill({ writeDownMs: 34_000 }),
      drill({ replication: 'async', writeDownMs: 20_000 }),
      drill({ manager: 'repmgr', writeDownMs: 2_000 }),
      drill({ manager: 'repmgr', verdict: 'ERROR', writeDownMs: null }),
    ];
    const svg = managersPlot(drills, ['repmgr', 'patroni'], ['kill-primary', 'freeze-primary'], ['sync', 'async']);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    // Five drills with a window, and the legend's two colours and its hollow dot.
    expect(svg.match(/<circle /g)).toHaveLength(5 + 3);
    expect(svg.match(/fill="#fff" stroke="#1f77b4"/g)).toHaveLength(1);
    // Medians: patroni sync, patroni async, repmgr sync; and the legend's bar.
    expect(svg.match(/stroke="#222" stroke-width="2.5"/g)).toHaveLength(4);
    // 40 s is the top of the scale: the highest dot sits on the top line (y 40), 0 s at the axis (y 340).
    expect(svg).toContain('<text x="52" y="44.0" font-size="11" text-anchor="end">40 s</text>');
    expect(svg).toMatch(/<circle cx="[\d.]+" cy="40.0" r="3" fill="#fff" stroke="#1f77b4"/);
    expect(svg).toContain('font-weight="bold" text-anchor="middle">freeze-primary</text>');
    // One manager and one fault: still as wide as the legend.
    expect(managersPlot(drills, ['patroni'], ['kill-primary'], ['sync'])).toContain('width="480" height="460"');
  });
});
