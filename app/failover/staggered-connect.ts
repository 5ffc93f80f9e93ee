/**
 * Opening a connection while the endpoint moves: an attempt that started just before the move
 * goes to the old address (a dead node's, by a name resolved a moment too early), and waits there
 * until its connect timeout, though a new attempt would find the new primary at once. So an
 * attempt that has not opened within `staggerMs` gets another beside it, which resolves the name
 * again, and so on up to `most` at once (happy eyeballs, in time rather than by address family).
 * The first to open is kept; every other that opens later is closed; once every attempt started
 * has failed, the last failure is thrown (no new attempt starts for a failure: a refused
 * connection is the caller's to retry, with its backoff). None is cut short: each ends by its own timeout, so a slow but working path
 * (a busy machine) still gets through.
 */
export interface StaggerOptions {
  /** How long an attempt may go without opening before another starts beside it. */
  staggerMs: number;
  /** Attempts at once, at most (1: no staggering). */
  most: number;
}

export async function staggered<C>(open: () => Promise<C>, close: (c: C) => void, options: StaggerOptions): Promise<C> {
  if (options.most <= 1) return open();
  return new Promise<C>((resolve, reject) => {
    let settled = false;
    let running = 0;
    let started = 0;
    let lastError: unknown;
    let timer: NodeJS.Timeout | undefined;
    const start = () => {
      started += 1;
      running += 1;
      open().then(
        (c) => {
          running -= 1;
          if (settled) return close(c);
          settled = true;
          clearTimeout(timer);
          resolve(c);
        },
        (error: unknown) => {
          running -= 1;
          lastError = error;
          // A failure ends the race once no attempt is left waiting: staggering is for attempts
          // that hang, not for one refused (that is the caller's to retry, with its backoff).
          if (settled || running > 0) return;
          settled = true;
          clearTimeout(timer);
          reject(lastError);
        },
      );
    };
    const schedule = () => {
      if (started >= options.most) return;
      timer = setTimeout(() => {
        if (settled) return;
        start();
        schedule();
      }, options.staggerMs);
    };
    start();
    schedule();
  });
}
