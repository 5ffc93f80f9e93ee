/**
 * What a person (or a CI log, or a program) sees while a drill runs, on stderr:
 * Each step line carries the time since the command started and, once a drill's clock runs, t: the
 * time since the drill started, the origin of its history and of report.html's axis.
 *   tty    each step on a line of its own with the time since the start, and below them one
 *          status line, redrawn a few times a second: the phase, how long it has lasted, and the
 *          workload's ok / fail / unknown counts
 *   plain  the step lines only, each with the counts so far (CI logs, pipes: no escape codes)
 *   json   one JSON object per line: {"atMs", "phase", "step"} or {"atMs", "counts"}
 */
import type { DrillPhase, LiveCounts } from './report.ts';

export type ProgressMode = 'tty' | 'plain' | 'json';

/** tty on an interactive terminal outside CI, json when asked, plain otherwise. */
export function progressMode(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, json: boolean): ProgressMode {
  if (json) return 'json';
  return stream.isTTY && !env.CI && env.TERM !== 'dumb' ? 'tty' : 'plain';
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1).padStart(6)}s`;

export function formatCounts(c: LiveCounts): string {
  const part = (name: string, x: LiveCounts['write']) => `${name} ${x.ok} ok, ${x.fail} failed, ${x.info} unknown`;
  return `${part('writes', c.write)}; ${part('reads', c.read)}`;
}

export class ProgressRenderer {
  readonly #out: { write(s: string): unknown };
  readonly #mode: ProgressMode;
  readonly #now: () => number;
  readonly #started: number;
  #phase?: { name: DrillPhase; since: number };
  /** The drill's time 0, on this renderer's clock (since the command started). */
  #drillOrigin?: number;
  #counts?: LiveCounts;
  #statusShown = false;
  #timer?: NodeJS.Timeout;

  constructor(out: { write(s: string): unknown }, mode: ProgressMode, now: () => number = Date.now) {
    this.#out = out;
    this.#mode = mode;
    this.#now = now;
    this.#started = now();
    // The status line's clock keeps moving while nothing completes (that is the outage).
    if (mode === 'tty') this.#timer = setInterval(() => this.#drawStatus(), 250).unref();
  }

  /** A drill's clock started at this wall-clock time (each iteration's, with --repeat). */
  drillClock(wallOriginMs: number): void {
    this.#drillOrigin = wallOriginMs - this.#started;
  }

  step(step: string, phase?: DrillPhase): void {
    const at = this.#now() - this.#started;
    if (phase && phase !== this.#phase?.name) this.#phase = { name: phase, since: at };
    const t = this.#drillOrigin === undefined ? undefined : at - this.#drillOrigin;
    if (this.#mode === 'json') {
      this.#out.write(`${JSON.stringify({ atMs: at, ...(t !== undefined ? { tMs: t } : {}), ...(phase ? { phase } : {}), step })}\n`);
      return;
    }
    const counts = this.#mode === 'plain' && this.#counts ? `  (${formatCounts(this.#counts)})` : '';
    this.#clearStatus();
    this.#out.write(`[${seconds(at)}${t !== undefined ? ` t=${(t / 1000).toFixed(2)}s` : ''}] ${step}${counts}\n`);
    this.#drawStatus();
  }

  counts(counts: LiveCounts): void {
    this.#counts = counts;
    if (this.#mode === 'json') this.#out.write(`${JSON.stringify({ atMs: this.#now() - this.#started, counts })}\n`);
    else this.#drawStatus();
  }

  /** A log line (--verbose), kept above the status line. */
  log(line: string): void {
    if (this.#mode === 'json') {
      this.#out.write(`${JSON.stringify({ atMs: this.#now() - this.#started, log: line.trimEnd() })}\n`);
      return;
    }
    this.#clearStatus();
    this.#out.write(line);
    this.#drawStatus();
  }

  /** Leave the terminal clean for the summary. */
  end(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#clearStatus();
  }

  #clearStatus(): void {
    if (this.#statusShown) this.#out.write('\r\x1b[2K');
    this.#statusShown = false;
  }

  #drawStatus(): void {
    if (this.#mode !== 'tty' || !this.#phase) return;
    const at = this.#now() - this.#started;
    const line = `  ${this.#phase.name} for ${((at - this.#phase.since) / 1000).toFixed(1)}s${this.#counts ? ` · ${formatCounts(this.#counts)}` : ''}`;
    this.#out.write(`\r\x1b[2K${line}`);
    this.#statusShown = true;
  }
}
