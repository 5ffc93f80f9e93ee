/** Summaries for `npm run bench`: medians and percentiles of samples, and Markdown tables of them. */

export interface Summary {
  n: number;
  median: number | null;
  /** Nearest-rank 95th percentile (with fewer than 20 samples it is the worst or close to it). */
  p95: number | null;
  worst: number | null;
  best: number | null;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { n: 0, median: null, p95: null, worst: null, best: null };
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  const p95 = s[Math.max(0, Math.ceil(0.95 * s.length) - 1)]!;
  return { n: s.length, median, p95, worst: s.at(-1)!, best: s[0]! };
}

/** Milliseconds as seconds with two decimals; "n/a" for no samples. */
export const seconds = (ms: number | null) => (ms === null ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
