/**
 * HA managers side by side (`npm run bench -- --suites managers`): repmgr as flipdrill sets it up,
 * Patroni with its defaults and tuned, pg_auto_failover with its defaults, each drilled through a
 * cluster file under the same faults, the same workload and the same checker. What is counted per
 * drill, and the table and the plot made of the drills, pure; the drills run in suites/managers.ts.
 */
import { markdownTable, seconds, summarize, type Summary } from './stats.ts';

export const MANAGER_CONFIGS = ['repmgr', 'patroni', 'patroni-tuned', 'pgaf'] as const;
export type ManagerConfigName = (typeof MANAGER_CONFIGS)[number];
export const MANAGER_FAULTS = ['kill-primary', 'freeze-primary', 'partition-primary'] as const;
export type ManagerFault = (typeof MANAGER_FAULTS)[number];
export const REPLICATIONS = ['sync', 'async'] as const;
export type Replication = (typeof REPLICATIONS)[number];

/** Patroni tuned: the lowest ttl its documentation allows (20 s), keeping loop_wait + 2 × retry_timeout <= ttl. */
export const PATRONI_TUNED = { ttl: 20, loop_wait: 2, retry_timeout: 5 } as const;
/** Patroni's documented defaults, set explicitly so the run says what it ran with. */
export const PATRONI_DEFAULTS = { ttl: 30, loop_wait: 10, retry_timeout: 10 } as const;

/** What each configuration is, in the table's words. */
export const MANAGER_LABELS: Record<ManagerConfigName, string> = {
  repmgr: "repmgr (flipdrill's fast profile)",
  patroni: `Patroni, defaults (ttl ${PATRONI_DEFAULTS.ttl}, loop_wait ${PATRONI_DEFAULTS.loop_wait}, retry_timeout ${PATRONI_DEFAULTS.retry_timeout})`,
  'patroni-tuned': `Patroni tuned (ttl ${PATRONI_TUNED.ttl}, loop_wait ${PATRONI_TUNED.loop_wait}, retry_timeout ${PATRONI_TUNED.retry_timeout})`,
  pgaf: 'pg_auto_failover, defaults',
};

/** One drill of one manager configuration. */
export interface ManagerDrill {
  manager: ManagerConfigName;
  fault: ManagerFault;
  replication: Replication;
  /** PASS or FAIL (the checker's), ERROR (the drill stopped), SKIPPED (not run: past the deadline, the cluster not whole). */
  verdict: string;
  /** A node other than the faulted primary was promoted. */
  failedOver: boolean;
  /** As drill-figures counts it: the clients' write unavailability, or the longest write gap if longer (ms). */
  writeDownMs: number | null;
  /** Acknowledged writes the final read did not find. */
  lost: number;
  /** Without a failover, or when the drill stopped: why, in the manager's own words (its events, its log). */
  reason?: string;
  /** The run folder (or the error's first line). */
  run: string;
  wallMs: number;
}

/** The drills of one manager, fault and replication. */
export interface ManagerCell {
  manager: ManagerConfigName;
  fault: ManagerFault;
  replication: Replication;
  drills: number;
  passed: number;
  failedOver: number;
  writeDown: Summary;
  lost: number;
  notes: string[];
}

const clip = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The drills grouped by manager, fault and replication, in the order of the lists given. */
export function aggregateManagers(drills: readonly ManagerDrill[], order: { managers: readonly string[]; faults: readonly string[]; replications: readonly string[] }): ManagerCell[] {
  const cells: ManagerCell[] = [];
  for (const manager of order.managers) {
    for (const fault of order.faults) {
      for (const replication of order.replications) {
        const cell = drills.filter((d) => d.manager === manager && d.fault === fault && d.replication === replication);
        if (cell.length === 0) continue;
        const ran = cell.filter((d) => d.verdict !== 'SKIPPED');
        const notes: string[] = [];
        const noFailover = ran.filter((d) => !d.failedOver && d.verdict !== 'ERROR');
        if (noFailover.length) {
          const reasons = [...new Set(noFailover.map((d) => d.reason ?? 'nothing recorded'))];
          notes.push(`no failover in ${noFailover.length} of ${ran.length}: ${reasons.slice(0, 2).map((r) => clip(r)).join(' / ')}`);
        }
        const errors = ran.filter((d) => d.verdict === 'ERROR');
        if (errors.length) notes.push(`${errors.length} stopped: ${clip([...new Set(errors.map((d) => d.reason ?? d.run))][0]!)}`);
        const failed = ran.filter((d) => d.verdict === 'FAIL');
        if (failed.length) notes.push(`${failed.length} FAIL`);
        const skipped = cell.length - ran.length;
        if (skipped) notes.push(`${skipped} not run: ${clip(cell.find((d) => d.verdict === 'SKIPPED')!.reason ?? '')}`);
        cells.push({
          manager: manager as ManagerConfigName,
          fault: fault as ManagerFault,
          replication: replication as Replication,
          drills: ran.length,
          passed: ran.filter((d) => d.verdict === 'PASS').length,
          failedOver: ran.filter((d) => d.failedOver).length,
          writeDown: summarize(ran.map((d) => d.writeDownMs).filter((w): w is number => w !== null)),
          lost: ran.reduce((n, d) => n + d.lost, 0),
          notes,
        });
      }
    }
  }
  return cells;
}

/** A Markdown cell holds no pipe or line break. */
const cellText = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/** The table: a row per manager, fault and replication. */
export function managersTable(cells: readonly ManagerCell[]): string {
  return markdownTable(
    ['manager', 'fault', 'replication', 'drills', 'PASS', 'failed over', 'writes down median', 'p95', 'worst', 'lost acknowledged writes', 'notes'],
    cells.map((c) => [
      MANAGER_LABELS[c.manager],
      c.fault,
      c.replication,
      String(c.drills),
      String(c.passed),
      `${c.failedOver} of ${c.drills}`,
      seconds(c.writeDown.median),
      seconds(c.writeDown.p95),
      seconds(c.writeDown.worst),
      String(c.lost),
      cellText(c.notes.join('; ')) || '',
    ]),
  );
}

/**
 * Why a manager did not fail over, from what it recorded itself: its last events (at most three,
 * oldest first), else the last lines of its log. Undefined when it said nothing.
 */
export function noFailoverReason(events: readonly { node?: string; event: string; details?: string }[], logLines: readonly string[]): string | undefined {
  if (events.length) return events.slice(-3).map((e) => `${e.node ? `${e.node}: ` : ''}${e.event}${e.details ? ` (${e.details})` : ''}`).join('; ');
  if (logLines.length) return logLines.slice(-2).map((l) => l.trim()).join(' / ');
  return undefined;
}

/** The interesting lines of a manager's log: its own INFO, WARNING and ERROR lines, no traceback. */
export function managerLogLines(text: string, n = 3): string[] {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => /\b(INFO|WARNING|WARN|ERROR|FATAL|LOG|NOTICE)\b/.test(l) && !/Traceback|ConnectionResetError/.test(l))
    .slice(-n);
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Writes down per drill, a column per manager within each fault, sync and async side by side:
 * a dot per drill (hollow: no failover), a bar at the median. A small SVG, no dependencies.
 */
export function managersPlot(drills: readonly ManagerDrill[], managers: readonly ManagerConfigName[], faults: readonly ManagerFault[], replications: readonly Replication[]): string {
  const slot = 56;
  const gap = 24;
  const left = 60;
  const right = 20;
  const top = 40;
  const bottom = 120;
  const plotH = 300;
  const groupW = managers.length * slot;
  // Wide enough for the legend below however few columns there are.
  const W = Math.max(480, left + faults.length * groupW + (faults.length - 1) * gap + right);
  const H = top + plotH + bottom;
  const shown = drills.filter((d) => d.writeDownMs !== null && d.verdict !== 'SKIPPED');
  const maxMs = Math.max(10_000, ...shown.map((d) => d.writeDownMs!));
  // A round top: the next multiple of 10 s (of 30 s past two minutes).
  const step = maxMs > 120_000 ? 30_000 : 10_000;
  const topMs = Math.ceil(maxMs / step) * step;
  const y = (ms: number) => top + plotH - (ms / topMs) * plotH;
  const colors: Record<Replication, string> = { sync: '#1f77b4', async: '#ff7f0e' };
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    '<title>Writes down per drill, by HA manager and fault (dots: drills, hollow without a failover; bars: medians)</title>',
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
  ];
  for (let ms = 0; ms <= topMs; ms += step) {
    out.push(`<line x1="${left - 4}" y1="${y(ms).toFixed(1)}" x2="${W - right}" y2="${y(ms).toFixed(1)}" stroke="#e5e5e5"/><text x="${left - 8}" y="${(y(ms) + 4).toFixed(1)}" font-size="11" text-anchor="end">${ms / 1000} s</text>`);
  }
  out.push(`<text x="14" y="${top + plotH / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${top + plotH / 2})">writes down</text>`);
  faults.forEach((fault, f) => {
    const x0 = left + f * (groupW + gap);
    out.push(`<text x="${(x0 + groupW / 2).toFixed(1)}" y="${top - 16}" font-size="13" font-weight="bold" text-anchor="middle">${escapeXml(fault)}</text>`);
    out.push(`<line x1="${x0}" y1="${top + plotH}" x2="${x0 + groupW}" y2="${top + plotH}" stroke="#333"/>`);
    managers.forEach((manager, m) => {
      const cx = x0 + m * slot + slot / 2;
      out.push(`<text x="${cx.toFixed(1)}" y="${top + plotH + 14}" font-size="11" text-anchor="end" transform="rotate(-40 ${cx.toFixed(1)} ${top + plotH + 14})">${escapeXml(manager)}</text>`);
      replications.forEach((replication, r) => {
        const col = cx + (replications.length === 1 ? 0 : (r - (replications.length - 1) / 2) * (slot / 2.6));
        const cell = shown.filter((d) => d.manager === manager && d.fault === fault && d.replication === replication);
        const color = colors[replication];
        cell.forEach((d, i) => {
          // Spread a cell's dots a little sideways, the same way every time.
          const dx = ((i % 5) - 2) * 2;
          const fill = d.failedOver ? color : '#fff';
          out.push(`<circle cx="${(col + dx).toFixed(1)}" cy="${y(d.writeDownMs!).toFixed(1)}" r="3" fill="${fill}" stroke="${color}" stroke-width="1.2"/>`);
        });
        const median = summarize(cell.map((d) => d.writeDownMs!)).median;
        if (median !== null) out.push(`<line x1="${(col - 9).toFixed(1)}" y1="${y(median).toFixed(1)}" x2="${(col + 9).toFixed(1)}" y2="${y(median).toFixed(1)}" stroke="#222" stroke-width="2.5"/>`);
      });
    });
  });
  const ly = H - 18;
  replications.forEach((replication, r) => {
    const lx = left + r * 110;
    out.push(`<circle cx="${lx}" cy="${ly - 4}" r="4" fill="${colors[replication]}"/><text x="${lx + 9}" y="${ly}" font-size="12">${replication}</text>`);
  });
  const lx = left + replications.length * 110;
  out.push(`<circle cx="${lx}" cy="${ly - 4}" r="4" fill="#fff" stroke="#555"/><text x="${lx + 9}" y="${ly}" font-size="12">no failover</text>`);
  out.push(`<line x1="${lx + 100}" y1="${ly - 4}" x2="${lx + 118}" y2="${ly - 4}" stroke="#222" stroke-width="2.5"/><text x="${lx + 124}" y="${ly}" font-size="12">median</text>`);
  out.push('</svg>');
  return out.join('\n');
}
