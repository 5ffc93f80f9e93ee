/**
 * Move a floating IP to this droplet, the way a failover can trust
 * (shared/reference/digitalocean-flip.md §2.3): idempotent, so a promote hook, a switchover and a
 * person running `flipdrill flip assign` can all call it, any number of times.
 *
 *   1. Who holds it? This droplet already: done, no write (assigning it again answers 422).
 *   2. Locked by another action: wait for it.
 *   3. Ask for the assign action. Rate limited (429): wait as the headers say. "Pending event"
 *      (422), a server error, no answer: back off and ask again. Unauthorized, not found, any
 *      other refusal: fail at once, saying which.
 *   4. Poll the action until completed (errored is a failure).
 *   5. Check that this droplet holds the IP now.
 * Every wait is bounded by one deadline.
 */
import { DoApiError, type DoAction, type DoIpClient } from './api.ts';

export interface MoveIpOptions {
  /** Give up after this long (default 60 s: DigitalOcean moves take seconds, with no SLA). */
  deadlineMs?: number;
  /** Between polls of a pending action or a locked IP. */
  pollMs?: number;
  /** First backoff after a retryable refusal; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Progress, one line each (no token ever reaches it: errors are DoApiErrors). */
  onProgress?: (message: string) => void;
}

export interface MoveIpResult {
  outcome: 'already-held' | 'moved';
  ip: string;
  from: number | null;
  to: number;
  /** Assign requests sent (1 when the first was accepted). */
  requests: number;
  /** Refusals that were waited out: 429 and 422 pending event, with how long each wait was. */
  retries: { status: number; id?: string; waitedMs: number }[];
  /** Wall-clock milliseconds: from the first call to the verified assignment. */
  tookMs: number;
  action?: DoAction;
}

export class FloatingIpMoveError extends Error {
  override name = 'FloatingIpMoveError';

  constructor(
    message: string,
    readonly status?: number,
    readonly id?: string,
  ) {
    super(message);
  }
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function moveFloatingIp(client: DoIpClient, ip: string, selfDropletId: number, options: MoveIpOptions = {}): Promise<MoveIpResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const say = options.onProgress ?? (() => {});
  const started = now();
  const deadline = started + (options.deadlineMs ?? 60_000);
  const pollMs = options.pollMs ?? 500;
  const retries: MoveIpResult['retries'] = [];
  let backoff = options.backoffMs ?? 1000;
  const maxBackoff = options.maxBackoffMs ?? 3000;

  const left = () => deadline - now();
  const giveUp = (what: string, error?: DoApiError): never => {
    throw new FloatingIpMoveError(`moving ${ip} to droplet ${selfDropletId}: ${what}`, error?.status, error?.id);
  };

  /** How long to wait before asking again after a retryable refusal. */
  function waitFor(error: DoApiError): number {
    if (error.status === 429) {
      if (error.retryAfterSecs !== undefined) return error.retryAfterSecs * 1000;
      if (error.rateLimitResetAt !== undefined && error.rateLimitRemaining === 0) return Math.max(0, error.rateLimitResetAt * 1000 - now());
    }
    const wait = backoff;
    backoff = Math.min(backoff * 2, maxBackoff);
    return wait;
  }

  /** Run a call, waiting out retryable refusals until the deadline. */
  async function patiently<T>(what: string, call: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof DoApiError)) throw error;
        if (!error.retryable) giveUp(`${what} was refused: ${error.message}`, error);
        const wait = waitFor(error);
        if (left() <= 0 || wait > left()) giveUp(`${what} still refused when the deadline came (${error.message}; would wait ${Math.ceil(wait / 1000)} s more)`, error);
        retries.push({ status: error.status, ...(error.id ? { id: error.id } : {}), waitedMs: wait });
        say(`${what}: ${error.message}; asking again in ${(wait / 1000).toFixed(1)} s`);
        await sleep(wait);
      }
    }
  }

  let current = await patiently('reading the IP', () => client.getIp(ip));
  const from = current.dropletId;
  while (current.locked && current.dropletId !== selfDropletId) {
    if (left() <= 0) giveUp('the IP stayed locked by another action until the deadline');
    say(`${ip} is locked by another action; waiting`);
    await sleep(pollMs);
    current = await patiently('reading the IP', () => client.getIp(ip));
  }
  if (current.dropletId === selfDropletId) {
    say(`${ip} is already on droplet ${selfDropletId}: nothing to do`);
    return { outcome: 'already-held', ip, from, to: selfDropletId, requests: 0, retries, tookMs: now() - started };
  }

  let requests = 0;
  let action = await patiently('the assign request', () => {
    requests += 1;
    return client.assign(ip, selfDropletId);
  });
  say(`assign action ${action.id} accepted (${action.status}); ${ip} moves from droplet ${from ?? 'none'} to ${selfDropletId}`);
  while (action.status !== 'completed') {
    if (action.status === 'errored') giveUp(`DigitalOcean reports assign action ${action.id} errored`);
    if (left() <= 0) giveUp(`assign action ${action.id} was still ${action.status} at the deadline`);
    await sleep(pollMs);
    action = await patiently(`polling action ${action.id}`, () => client.getAction(ip, action.id));
  }
  const after = await patiently('reading the IP', () => client.getIp(ip));
  if (after.dropletId !== selfDropletId) giveUp(`action ${action.id} completed, but the IP is on droplet ${after.dropletId ?? 'none'}`);
  say(`${ip} is on droplet ${selfDropletId} (action ${action.id} completed)`);
  return { outcome: 'moved', ip, from, to: selfDropletId, requests, retries, tookMs: now() - started, action };
}
