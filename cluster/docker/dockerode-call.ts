/**
 * What the dockerode client's parts share: the engine connection and logger, the wrapper that
 * logs around a call and names what failed, and the engine's filters and status codes.
 */
import type Docker from 'dockerode';
import type { Logger } from '../lib/logger.ts';

/** The dockerode connection and the client's logger, handed to each part of the client. */
export interface DockerodeContext {
  readonly docker: Docker;
  readonly log: Logger;
}

/** Log around a call and rethrow with what was being done. */
export async function call<T>(ctx: DockerodeContext, what: string, context: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
  ctx.log.debug(context, `${what}...`);
  try {
    const result = await fn();
    ctx.log.debug(context, `${what}: done`);
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    ctx.log.warn({ ...context, err: message }, `${what}: failed`);
    throw Object.assign(new Error(`docker: ${what} failed: ${message}`, { cause: error }), { statusCode: statusCode(error) });
  }
}

export function labelFilter(labels: Record<string, string> = {}): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

export function statusCode(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error
    ? Number((error as { statusCode: unknown }).statusCode)
    : undefined;
}
