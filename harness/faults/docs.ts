/** The docs' view of the fault registry: the table of docs/reference/scenarios.md, between its markers. */
import { faultTable } from './index.ts';

const START = '<!-- fault-table:start -->';
const END = '<!-- fault-table:end -->';

/** The page with its fault table made afresh from the registry. */
export function withFaultTable(page: string): string {
  const a = page.indexOf(START);
  const b = page.indexOf(END);
  if (a < 0 || b < a) throw new Error(`the page has no ${START} ... ${END} markers`);
  return `${page.slice(0, a + START.length)}\n${faultTable()}\n${page.slice(b)}`;
}

/** The kinds the page's table lists, in its order (what the registry test compares). */
export function kindsInFaultTable(page: string): string[] {
  const a = page.indexOf(START);
  const b = page.indexOf(END);
  if (a < 0 || b < a) return [];
  return [...page.slice(a, b).matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]!);
}
