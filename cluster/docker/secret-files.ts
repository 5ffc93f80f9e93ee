/** A container's secrets as files it reads, never as its environment. */
import type { TarFile } from './tar.ts';

/** Where a container's secrets live: files only root reads, each named like the variable it replaces. */
export const SECRETS_DIR = '/run/flipdrill-secrets';

/**
 * Secrets as files, not environment: `docker inspect` shows a container's environment to anyone
 * who can reach the engine, and every process in the container inherits it. The container gets
 * `<NAME>_FILE`, the path of a root-only file written before it starts (the node's entrypoint and
 * the agent read either form; compose users may mount Docker secrets the same way).
 */
export function secretFiles(values: Record<string, string | undefined>, owner?: { uid: number; gid: number }): { env: Record<string, string>; files: TarFile[] } {
  const env: Record<string, string> = {};
  const files: TarFile[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    env[`${key}_FILE`] = `${SECRETS_DIR}/${key}`;
    files.push({ path: `${SECRETS_DIR}/${key}`, content: value, mode: 0o400, ...(owner ? { owner } : {}) });
  }
  return { env, files };
}
