/**
 * The drill's door to the app: HTTP requests (only ever to 127.0.0.1) answered with a status and
 * a JSON body, or with the code of why there was no answer. What an answer means is the
 * workload's to say (harness/workloads/).
 */
import type { AppAnswer, AppHttp } from '../workloads/workload.ts';

function errorCode(error: unknown): string {
  const e = error as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  // AbortSignal.timeout's DOMException has a numeric legacy code (23); its name is what it means.
  if (e.name === 'TimeoutError') return 'CLIENT_TIMEOUT';
  return e.cause?.code ?? e.code ?? e.cause?.name ?? e.name ?? 'error';
}

export class AppClient implements AppHttp {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 5000,
  ) {
    const url = new URL(baseUrl);
    if (url.hostname !== '127.0.0.1') throw new Error(`the drill client only talks to 127.0.0.1, not ${url.hostname}`);
  }

  async request(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs = this.timeoutMs): Promise<AppAnswer> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      return { error: errorCode(error) };
    }
    // A body cut off mid-way is no answer: what it said is unknown.
    try {
      const text = await res.text();
      const parsed = text ? (JSON.parse(text) as unknown) : {};
      return { status: res.status, body: typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {} };
    } catch (error) {
      if (error instanceof SyntaxError) return { status: res.status, body: {} };
      return { error: errorCode(error) };
    }
  }
}
