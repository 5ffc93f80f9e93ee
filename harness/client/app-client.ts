/**
 * The drill's client: performs operations against the app's HTTP API (only ever at 127.0.0.1)
 * and turns each answer into a completion. It trusts the app's own `outcome` field; when there is
 * no answer at all, a write is `info` unless the request surely never left (connection refused).
 */
import type { Completion, ReadValue, WriteValue } from '../op.ts';

function errorCode(error: unknown): string {
  const e = error as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  // AbortSignal.timeout's DOMException has a numeric legacy code (23); its name is what it means.
  if (e.name === 'TimeoutError') return 'CLIENT_TIMEOUT';
  return e.cause?.code ?? e.code ?? e.cause?.name ?? e.name ?? 'error';
}

export class AppClient {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 5000,
  ) {
    const url = new URL(baseUrl);
    if (url.hostname !== '127.0.0.1') throw new Error(`the drill client only talks to 127.0.0.1, not ${url.hostname}`);
  }

  async write(value: WriteValue): Promise<Completion> {
    let res: Response;
    try {
      const analytics = value.db === 'analytics';
      res = await fetch(`${this.baseUrl}/${analytics ? 'events' : 'countries'}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(analytics ? { id: value.id, name: value.name } : { id: value.id, name: value.name, is_eu_member: false }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const code = errorCode(error);
      // Refused: the request never reached the app, so the write surely did not happen.
      return { type: code === 'ECONNREFUSED' ? 'fail' : 'info', value, error: code };
    }
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (res.status === 201) return { type: 'ok', value: body };
    const outcome = body.outcome;
    const error = String(body.code ?? `HTTP ${res.status}`);
    return { type: outcome === 'failed' ? 'fail' : 'info', value, error };
  }

  async read(id: string): Promise<Completion> {
    try {
      const res = await fetch(`${this.baseUrl}/countries/${id}`, { signal: AbortSignal.timeout(this.timeoutMs) });
      const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      if (res.status === 200) return { type: 'ok', value: { id, found: true, committed_by: String(body.committed_by) } satisfies ReadValue };
      if (res.status === 404 && body.code === 'NOT_FOUND') return { type: 'ok', value: { id, found: false } satisfies ReadValue };
      return { type: 'fail', value: { id }, error: String(body.code ?? `HTTP ${res.status}`) };
    } catch (error) {
      // Reads change nothing: one that did not complete is a failed read.
      return { type: 'fail', value: { id }, error: errorCode(error) };
    }
  }
}
