/**
 * A secret a process is given as a file: `<NAME>_FILE` names the file (flipdrill writes it into the
 * container before it starts; compose may mount a Docker secret there), so neither `docker
 * inspect` nor any child process's environment shows it. `<NAME>` itself is still read, for a
 * process started by hand. One trailing newline is dropped (an editor's, or `echo`'s).
 */
import { readFileSync } from 'node:fs';

export class EnvSecretError extends Error {}

/** The secret `key` from the environment or from the file `<key>_FILE` names; undefined when neither is set. */
export function envSecret(env: NodeJS.ProcessEnv, key: string, read: (file: string) => string = (f) => readFileSync(f, 'utf8')): string | undefined {
  const file = env[`${key}_FILE`];
  if (file && env[key]) throw new EnvSecretError(`both ${key} and ${key}_FILE are set; use one`);
  if (!file) return env[key];
  try {
    return read(file).replace(/\r?\n$/, '');
  } catch (error) {
    throw new EnvSecretError(`${key}_FILE ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
