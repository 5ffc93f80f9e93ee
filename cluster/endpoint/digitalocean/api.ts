/**
 * The DigitalOcean floating (reserved) IP API, as the failover needs it: four calls behind a
 * small interface, so the vendor client stays in one adapter (do-wrapper-client.ts) and the same
 * contract tests can run against any implementation. Shapes: shared/reference/digitalocean-flip.md §1.
 */
export type DoActionStatus = 'in-progress' | 'completed' | 'errored';

export interface DoAction {
  id: number;
  /** in-progress, completed or errored; anything else is treated as still pending. */
  status: DoActionStatus | string;
  /** assign_ip or unassign_ip. */
  type: string;
  startedAt: string;
  completedAt: string | null;
}

export interface DoIpAssignment {
  ip: string;
  regionSlug: string;
  /** The droplet holding the IP, or null. */
  dropletId: number | null;
  /** An action is pending on the IP: another one would be refused with 422 "pending event". */
  locked: boolean;
}

export interface DoIpClient {
  listIps(): Promise<DoIpAssignment[]>;
  getIp(ip: string): Promise<DoIpAssignment>;
  assign(ip: string, dropletId: number): Promise<DoAction>;
  getAction(ip: string, actionId: number): Promise<DoAction>;
}

/**
 * An API answer that was not a success, with what a person or a retry loop needs. Built from the
 * status, the JSON body and the headers only: never from the request, which carries the token.
 */
export class DoApiError extends Error {
  override name = 'DoApiError';

  constructor(
    /** HTTP status; 0 when no answer came (refused, reset, timed out). */
    readonly status: number,
    /** DigitalOcean's error id (unauthorized, not_found, unprocessable_entity, too_many_requests...). */
    readonly id: string | undefined,
    message: string,
    readonly requestId?: string,
    /** Seconds, from retry-after (sent with burst-limit 429s). */
    readonly retryAfterSecs?: number,
    /** ratelimit-reset: Unix seconds when the oldest counted request leaves the window. */
    readonly rateLimitResetAt?: number,
    readonly rateLimitRemaining?: number,
  ) {
    super(message);
  }

  /** Another DigitalOcean action holds the IP or the droplet: wait and ask again. */
  get pendingEvent(): boolean {
    return this.status === 422 && /pending event/i.test(this.message);
  }

  /** Worth asking again later: rate limited, a pending event, a server error, no answer. */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500 || this.status === 0 || this.pendingEvent;
  }
}

/** Where the token comes from: DIGITALOCEAN_TOKEN, or the file DIGITALOCEAN_TOKEN_FILE names. */
export function readToken(env: NodeJS.ProcessEnv, readFile: (path: string) => string): string {
  if (env.DIGITALOCEAN_TOKEN) return env.DIGITALOCEAN_TOKEN.trim();
  if (env.DIGITALOCEAN_TOKEN_FILE) {
    try {
      return readFile(env.DIGITALOCEAN_TOKEN_FILE).trim();
    } catch (error) {
      throw new Error(`DIGITALOCEAN_TOKEN_FILE ${env.DIGITALOCEAN_TOKEN_FILE} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  throw new Error('no DigitalOcean token: set DIGITALOCEAN_TOKEN, or DIGITALOCEAN_TOKEN_FILE to a file that holds it');
}
