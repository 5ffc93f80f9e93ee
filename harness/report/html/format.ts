/** Numbers, times and values as a person reads them, for the pages' text and tooltips. */

/** Milliseconds since the drill started, as the checker rounds them (two decimals). */
export const nsToMs = (ns: number) => Math.round(ns / 1e4) / 100;
export const duration = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? 'n/a' : Math.abs(ms) >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
/** A moment of the drill: seconds since it started, to the millisecond. */
export const at = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
export const wallClock = (epochMs: number) => new Date(epochMs).toISOString().slice(11, 23);
/** The time of day of a database timestamp, as written (an unparsable one is shown as it is). */
export const timeOfDay = (iso: string) => (Number.isNaN(Date.parse(iso)) ? iso : `${wallClock(Date.parse(iso))} UTC`);
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** One decimal is enough for SVG coordinates, and keeps the page small. */
export const px = (n: number) => Math.round(n * 10) / 10;
const humanKey = (key: string) => key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${humanKey(k)} ${describeValue(v)}`)
      .join(', ');
  }
  return String(value);
}

export const textOf = (value: unknown) => (value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));
