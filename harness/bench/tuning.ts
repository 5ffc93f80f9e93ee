/**
 * The detection-tuning study (`npm run bench -- --suites tuning`): fast failure detection has a
 * price, a failover on a stall that would have passed. For each timing profile, the primary is
 * frozen (docker pause: CPU and network) for a stall of N seconds under load, then thawed; did a
 * standby get promoted, and how long were writes stopped? Beside it, each profile's kill and
 * freeze windows. The answer, per stall: the fastest profile that rides it out.
 *
 * The drills run in suites/tuning.ts; this file holds what is decided and drawn from their
 * results, pure.
 */
import type { RepmgrTiming } from '../../cluster/index.ts';
import type { Scenario } from '../scenario.ts';
import { markdownTable, seconds, summarize } from './stats.ts';

export interface TuningProfile {
  name: string;
  timing: RepmgrTiming;
}

export const DEFAULT_STALLS_SECS = [0.5, 1, 2, 3, 5] as const;

/** One stall drill's outcome. */
export interface StallRun {
  profile: string;
  stallSecs: number;
  verdict: string;
  failedOver: boolean;
  /** The longest gap between acknowledged writes from the fault on (ms). */
  writeGapMs: number | null;
}

/** One kill or freeze drill's window under a profile. */
export interface WindowRun {
  profile: string;
  fault: 'kill' | 'freeze';
  verdict: string;
  writeDownMs: number | null;
}

/** A stall of `stallSecs` on the primary under load, then a thaw: failover or not, the history must hold. */
export function stallScenario(base: Scenario, stallSecs: number): Scenario {
  return {
    ...base,
    name: `stall-${stallSecs}s`,
    description: `freeze the primary ${stallSecs} s under load, then thaw it: failover or none, nothing may be lost`,
    fault: { type: 'freeze', target: 'primary' },
    hold: { until: 'time', maxSecs: stallSecs },
    heal: { restart: false, switchback: false },
    plan: undefined,
    expect: { promotion: 'either', primary: 'either', maxWriteDownSecs: 120 },
  };
}

/** How long a profile takes to notice a dead primary at most, roughly: what orders profiles from fast to slow. */
export const detectionBudgetSecs = (t: RepmgrTiming) => t.monitorIntervalSecs + t.reconnectAttempts * (t.reconnectInterval + 2);

/** The table: one row a profile and stall, failovers of runs and the write gap. */
export function stallTable(runs: readonly StallRun[], profiles: readonly TuningProfile[], stalls: readonly number[]): string {
  const rows: string[][] = [];
  for (const p of profiles) {
    for (const stall of stalls) {
      const cell = runs.filter((r) => r.profile === p.name && r.stallSecs === stall);
      if (cell.length === 0) continue;
      const gaps = summarize(cell.map((r) => r.writeGapMs).filter((g): g is number => g !== null));
      rows.push([p.name, `${stall} s`, `${cell.filter((r) => r.failedOver).length} of ${cell.length}`, seconds(gaps.median), seconds(gaps.worst), `${cell.filter((r) => r.verdict === 'PASS').length} of ${cell.length}`]);
    }
  }
  return markdownTable(['profile', 'stall', 'failed over', 'writes stopped, median', 'worst', 'PASS'], rows);
}

/**
 * For each stall, the fastest profile (by its measured kill window, else its detection budget)
 * that never failed over on it; null when every profile did.
 */
export function fastestRidingOut(runs: readonly StallRun[], profiles: readonly TuningProfile[], stalls: readonly number[], killWindowMs: ReadonlyMap<string, number | null>): { stallSecs: number; profile: string | null }[] {
  const speed = (p: TuningProfile) => killWindowMs.get(p.name) ?? detectionBudgetSecs(p.timing) * 1000;
  const bySpeed = [...profiles].sort((a, b) => speed(a) - speed(b));
  return stalls.map((stallSecs) => {
    const fit = bySpeed.find((p) => {
      const cell = runs.filter((r) => r.profile === p.name && r.stallSecs === stallSecs);
      return cell.length > 0 && cell.every((r) => !r.failedOver);
    });
    return { stallSecs, profile: fit?.name ?? null };
  });
}

/** The profiles' kill and freeze windows, median and worst. */
export function windowTable(runs: readonly WindowRun[], profiles: readonly TuningProfile[]): string {
  const rows = profiles.map((p) => {
    const of = (fault: WindowRun['fault']) => summarize(runs.filter((r) => r.profile === p.name && r.fault === fault && r.verdict === 'PASS').map((r) => r.writeDownMs).filter((w): w is number => w !== null));
    const kill = of('kill');
    const freeze = of('freeze');
    const t = p.timing;
    return [p.name, `${t.monitorIntervalSecs} s, ${t.reconnectAttempts}, ${t.reconnectInterval} s`, `${seconds(kill.median)} (${seconds(kill.worst)})`, `${seconds(freeze.median)} (${seconds(freeze.worst)})`];
  });
  return markdownTable(['profile', 'monitor interval, reconnect attempts, reconnect interval', 'kill-primary writes down, median (worst)', 'freeze-primary writes down, median (worst)'], rows);
}

/** The share of stall runs that failed over, per profile: a small SVG line chart (no dependencies). */
export function stallPlot(runs: readonly StallRun[], profiles: readonly TuningProfile[], stalls: readonly number[]): string {
  const W = 560;
  const H = 300;
  const left = 56;
  const right = 150;
  const top = 20;
  const bottom = 44;
  const maxStall = Math.max(...stalls);
  const x = (s: number) => left + (s / maxStall) * (W - left - right);
  const y = (share: number) => top + (1 - share) * (H - top - bottom);
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
  const lines = profiles.map((p, i) => {
    const points = stalls
      .map((s) => {
        const cell = runs.filter((r) => r.profile === p.name && r.stallSecs === s);
        return cell.length ? { s, share: cell.filter((r) => r.failedOver).length / cell.length } : null;
      })
      .filter((pt): pt is { s: number; share: number } => pt !== null);
    const color = colors[i % colors.length]!;
    const path = points.map((pt, k) => `${k ? 'L' : 'M'}${x(pt.s).toFixed(1)},${y(pt.share).toFixed(1)}`).join(' ');
    const dots = points.map((pt) => `<circle cx="${x(pt.s).toFixed(1)}" cy="${y(pt.share).toFixed(1)}" r="3.5" fill="${color}"/>`).join('');
    const ly = top + 16 + i * 18;
    return `<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>${dots}<line x1="${W - right + 16}" y1="${ly - 4}" x2="${W - right + 36}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/><text x="${W - right + 42}" y="${ly}" font-size="12">${escapeXml(p.name)}</text>`;
  });
  const xTicks = stalls.map((s) => `<line x1="${x(s)}" y1="${H - bottom}" x2="${x(s)}" y2="${H - bottom + 4}" stroke="#333"/><text x="${x(s)}" y="${H - bottom + 18}" font-size="12" text-anchor="middle">${s} s</text>`);
  const yTicks = [0, 0.5, 1].map((v) => `<line x1="${left - 4}" y1="${y(v)}" x2="${W - right}" y2="${y(v)}" stroke="#ddd"/><text x="${left - 8}" y="${y(v) + 4}" font-size="12" text-anchor="end">${v * 100}%</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<title>Share of stalls of the primary that ended in a failover, per repmgrd timing profile</title>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    ...yTicks,
    `<line x1="${left}" y1="${H - bottom}" x2="${W - right}" y2="${H - bottom}" stroke="#333"/>`,
    ...xTicks,
    `<text x="${(left + W - right) / 2}" y="${H - 6}" font-size="12" text-anchor="middle">stall of the primary (frozen, then thawed)</text>`,
    `<text x="14" y="${(top + H - bottom) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${(top + H - bottom) / 2})">failed over</text>`,
    ...lines,
    '</svg>',
  ].join('\n');
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
