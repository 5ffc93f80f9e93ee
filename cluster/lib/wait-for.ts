import { setTimeout as sleep } from 'node:timers/promises';
import { DrillAbortedError, WaitTimeoutError } from '../errors.ts';

export interface WaitOptions {
  /** Give up after this long. Every wait has a deadline. */
  timeoutMs: number;
  /** Time between two probes. */
  intervalMs?: number;
  signal?: AbortSignal;
  /** Added to the timeout error. */
  hint?: string;
  /** A probe error for which waiting longer cannot help (a container that stopped): rethrown at once. */
  fatal?: (error: unknown) => boolean;
}

/**
 * Probe until the probe returns a value other than undefined/false, or the deadline passes.
 * A probe that throws counts as "not yet"; its last error is reported if the wait times out.
 */
export async function waitFor<T>(
  describe: string,
  probe: () => Promise<T | undefined | false>,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 200;
  let lastError: unknown;
  for (;;) {
    if (options.signal?.aborted) throw new DrillAbortedError(`interrupted while waiting for ${describe}`);
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      if (options.fatal?.(error)) throw error;
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const last = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new WaitTimeoutError(`timed out after ${(options.timeoutMs / 1000).toFixed(1)}s waiting for ${describe}${last}`, {
        hint: options.hint,
        cause: lastError,
      });
    }
    try {
      await sleep(Math.min(interval, Math.max(0, deadline - Date.now())), undefined, { signal: options.signal });
    } catch {
      throw new DrillAbortedError(`interrupted while waiting for ${describe}`);
    }
  }
}
