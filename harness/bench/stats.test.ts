import { describe, expect, it } from 'vitest';
import { markdownTable, seconds, summarize } from './stats.ts';

describe('bench summaries', () => {
  it('median, nearest-rank p95, worst and best', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => (i + 1) * 100);
    expect(summarize(twenty)).toEqual({ n: 20, median: 1050, p95: 1900, worst: 2000, best: 100 });
    expect(summarize([3, 1, 2])).toEqual({ n: 3, median: 2, p95: 3, worst: 3, best: 1 });
    expect(summarize([])).toEqual({ n: 0, median: null, p95: null, worst: null, best: null });
  });

  it('renders seconds and Markdown', () => {
    expect(seconds(2512)).toBe('2.51 s');
    expect(seconds(null)).toBe('n/a');
    expect(markdownTable(['a', 'b'], [['1', '2']])).toBe('| a | b |\n| --- | --- |\n| 1 | 2 |');
  });
});
