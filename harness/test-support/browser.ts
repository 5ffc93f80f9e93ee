/**
 * report.html in a real browser (harness/report/browser.ts), so a test sees the page as its reader
 * does (the SVG laid out and drawn, no script or console errors, nothing fetched from outside) and
 * reads back what the chart shows from its data attributes (see harness/report/html/drill-page.ts
 * for what they are).
 *
 *   await using browser = await ReportBrowser.launch();
 *   const page = await browser.inspect(`${runDir}/report.html`, { screenshot: '/tmp/report.png' });
 *
 * or, for one page, `await inspectHtmlReport(file)`.
 */
import { CHROMIUM_PATH, launchChromium, PageBrowser, type PageTrouble } from '../report/browser.ts';
import type { MarkerKind, Outcome } from '../report/html/timeline.ts';

/** One segment of a stacked bar: the operations of one kind answered in one 100 ms bucket. */
export interface ChartBar {
  f: 'write' | 'read';
  type: Outcome;
  startMs: number;
  count: number;
  /** Drawn position and size in CSS pixels, x from the chart's left edge. */
  x: number;
  width: number;
  height: number;
}

export interface ChartMarker {
  kind: MarkerKind;
  atMs: number;
  /** Where the line is drawn, in CSS pixels from the chart's left edge. */
  x: number;
  /** The drawn line's length in CSS pixels (0 if it is not drawn). */
  height: number;
}

export interface AnomalySection {
  /** The section's own count (data-count): every anomaly of the kind, listed or not. */
  count: number;
  /** Write ids of the rows the page lists (at most the page's limit). */
  listedIds: string[];
  /** How many the page says it left out ("and N more"). */
  more: number;
}

/** What the page shows, as read in the browser after it loaded. */
export interface RenderedReport {
  title: string;
  /** Text of the verdict badge: "PASS" or "FAIL". */
  verdict: string;
  scenario: string;
  runId: string;
  /** The timeline SVG's drawn size in CSS pixels; null when the page has no chart. */
  chart: { width: number; height: number } | null;
  bars: ChartBar[];
  /** Per operation and outcome: how many bar segments, and the sum of their counts. */
  totals: Record<'write' | 'read', Record<Outcome, { rects: number; count: number }>>;
  /** The acknowledged writes the checker found lost, hatched over the ok bars, per bucket. */
  lostWrites: { startMs: number; count: number }[];
  markers: ChartMarker[];
  /** The shaded write-outage band, from the last ok write before writes stopped to the first after the fault. */
  outage: { fromMs: number; toMs: number; width: number } | null;
  /** Write latency points drawn (median and slowest, one each per bucket with answered writes). */
  latencyPoints: { median: number; max: number };
  checks: { name: string; ok: boolean; detail: string }[];
  /** By kind: lost, contradicted, duplicated, unexpected, split-brain, stale-reads. */
  anomalies: Record<string, AnomalySection>;
  /** The events table's rows, by type, in the page's order. */
  eventTypes: string[];
  consoleErrors: string[];
  pageErrors: string[];
  /** Anything the page asked for beyond its own file: a self-contained page asks for nothing. */
  externalRequests: string[];
}

// The smallest part of the DOM the page snapshot needs: the project's type-check has no DOM
// library, and the snapshot function runs in the page, not in Node.
interface PageRect {
  x: number;
  width: number;
  height: number;
}
/** The little of the DOM that tests read in a page (the project builds without the DOM's types). */
export interface PageElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): PageRect;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}
export interface PageDocument {
  title: string;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}

/**
 * Runs in the page: raw attributes and drawn sizes only, parsed in Node. No named inner
 * functions: the function travels as source text, and tsx would wrap named ones in a `__name`
 * helper the page does not have.
 */
function snapshotPage() {
  const doc = (globalThis as unknown as { document: PageDocument }).document;
  const chart = doc.querySelector('[data-testid="timeline-chart"]');
  const chartRect = chart?.getBoundingClientRect() ?? { x: 0, width: 0, height: 0 };
  const band = doc.querySelector('[data-band="write-unavailability"]');
  return {
    title: doc.title,
    verdict: doc.querySelector('[data-testid="verdict"]')?.textContent ?? '',
    scenario: doc.querySelector('[data-testid="scenario"]')?.textContent ?? '',
    runId: doc.querySelector('[data-testid="run-id"]')?.textContent ?? '',
    chart: chart ? { width: chartRect.width, height: chartRect.height } : null,
    bars: Array.from(doc.querySelectorAll('rect[data-bucket-start-ms]')).map((el) => ({
      f: el.getAttribute('data-f') ?? '',
      type: el.getAttribute('data-type') ?? '',
      startMs: el.getAttribute('data-bucket-start-ms') ?? '',
      count: el.getAttribute('data-count') ?? '',
      x: el.getBoundingClientRect().x - chartRect.x,
      width: el.getBoundingClientRect().width,
      height: el.getBoundingClientRect().height,
    })),
    lostWrites: Array.from(doc.querySelectorAll('[data-lost-count]')).map((el) => ({
      startMs: el.getAttribute('data-lost-bucket-start-ms') ?? '',
      count: el.getAttribute('data-lost-count') ?? '',
    })),
    markers: Array.from(doc.querySelectorAll('[data-marker]')).map((el) => ({
      kind: el.getAttribute('data-marker') ?? '',
      atMs: el.getAttribute('data-at-ms') ?? '',
      x: el.getBoundingClientRect().x - chartRect.x,
      height: el.getBoundingClientRect().height,
    })),
    outage: band ? { fromMs: band.getAttribute('data-from-ms') ?? '', toMs: band.getAttribute('data-to-ms') ?? '', width: band.getBoundingClientRect().width } : null,
    latencyPoints: {
      median: doc.querySelectorAll('[data-latency="median"]').length,
      max: doc.querySelectorAll('[data-latency="max"]').length,
    },
    checks: Array.from(doc.querySelectorAll('[data-check-ok]')).map((row) => ({
      ok: row.getAttribute('data-check-ok') ?? '',
      cells: Array.from(row.querySelectorAll('td')).map((td) => td.textContent ?? ''),
    })),
    anomalies: Array.from(doc.querySelectorAll('[data-testid^="anomaly-"]')).map((section) => ({
      kind: (section.getAttribute('data-testid') ?? '').replace(/^anomaly-/, ''),
      count: section.getAttribute('data-count') ?? '',
      listedIds: Array.from(section.querySelectorAll('[data-write-id]')).map((row) => row.getAttribute('data-write-id') ?? ''),
      more: section.querySelector('[data-more]')?.getAttribute('data-more') ?? '0',
    })),
    eventTypes: Array.from(doc.querySelectorAll('[data-event-type]')).map((row) => row.getAttribute('data-event-type') ?? ''),
  };
}

type PageSnapshot = ReturnType<typeof snapshotPage>;

function readSnapshot(raw: PageSnapshot, seen: PageTrouble): RenderedReport {
  const bars: ChartBar[] = raw.bars.map((b) => ({ ...b, f: b.f as ChartBar['f'], type: b.type as Outcome, startMs: Number(b.startMs), count: Number(b.count) }));
  const totals = {} as RenderedReport['totals'];
  for (const f of ['write', 'read'] as const) {
    totals[f] = { ok: { rects: 0, count: 0 }, fail: { rects: 0, count: 0 }, info: { rects: 0, count: 0 } };
    for (const bar of bars.filter((b) => b.f === f)) {
      totals[f][bar.type].rects += 1;
      totals[f][bar.type].count += bar.count;
    }
  }
  return {
    title: raw.title,
    verdict: raw.verdict.trim(),
    scenario: raw.scenario.trim(),
    runId: raw.runId.trim(),
    chart: raw.chart,
    bars,
    totals,
    lostWrites: raw.lostWrites.map((l) => ({ startMs: Number(l.startMs), count: Number(l.count) })),
    markers: raw.markers.map((m) => ({ ...m, kind: m.kind as MarkerKind, atMs: Number(m.atMs) })),
    outage: raw.outage ? { fromMs: Number(raw.outage.fromMs), toMs: Number(raw.outage.toMs), width: raw.outage.width } : null,
    latencyPoints: raw.latencyPoints,
    checks: raw.checks.map((c) => ({ ok: c.ok === 'true', name: c.cells[1]?.trim() ?? '', detail: c.cells[2]?.trim() ?? '' })),
    anomalies: Object.fromEntries(raw.anomalies.map((a) => [a.kind, { count: Number(a.count), listedIds: a.listedIds, more: Number(a.more) }])),
    eventTypes: raw.eventTypes,
    ...seen,
  };
}

/** The browser the tests look at our pages with: a PageBrowser that also reads back what a report.html shows. */
export class ReportBrowser extends PageBrowser {
  static override async launch(executablePath = CHROMIUM_PATH): Promise<ReportBrowser> {
    return new ReportBrowser(await launchChromium(executablePath));
  }

  /** Open a report.html, read what it shows, optionally save a full-page PNG. */
  async inspect(file: string, options: { screenshot?: string } = {}): Promise<RenderedReport> {
    return this.open(file, async (page, seen) => {
      const raw = await page.evaluate(snapshotPage);
      if (options.screenshot) await page.screenshot({ path: options.screenshot, fullPage: true });
      return readSnapshot(raw, seen);
    });
  }
}

/** Launch Chromium, inspect one report.html, close it again. */
export async function inspectHtmlReport(file: string, options: { screenshot?: string } = {}): Promise<RenderedReport> {
  await using browser = await ReportBrowser.launch();
  // Awaited here, or the browser would close (leaving the block) before the page is read.
  return await browser.inspect(file, options);
}
