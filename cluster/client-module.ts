/**
 * A user's client module (--client), made ready for the client host in the app image, which runs
 * as the module file's owner (so it reads what its owner can). A module
 * in JavaScript (.mjs, .js, .cjs) is used as it is: its project (the nearest folder above it with
 * node_modules or a package.json) is mounted read-only at /client, so it imports what its project
 * has installed, and Node's own modules. A TypeScript module (.ts, .mts) is bundled first with
 * what it imports (esbuild) into a folder of its own, mounted the same way.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { ConfigError } from './errors.ts';

export interface ClientModule {
  /** As the user named it, for messages. */
  name: string;
  /** The folder mounted at /client, and the module's path under it. */
  mount: string;
  inContainer: string;
  /** The module file's owner (uid:gid): the client host runs as that user, who can read the files. */
  user: string;
}

const SCRIPT = new Set(['.mjs', '.js', '.cjs']);
const TYPESCRIPT = new Set(['.ts', '.mts']);

/** Check the module's file before anything is created: one line for a wrong one. */
export function checkClientModule(given: string): string {
  const file = path.resolve(given);
  const ext = path.extname(file);
  if (!SCRIPT.has(ext) && !TYPESCRIPT.has(ext)) throw new ConfigError(`--client ${given}: a client module is a .mjs, .js, .cjs, .ts or .mts file`);
  if (!existsSync(file) || !statSync(file).isFile()) throw new ConfigError(`--client ${given}: no such file`);
  return file;
}

function projectOf(file: string): string {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'node_modules')) || existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.dirname(file);
  }
}

export async function prepareClientModule(given: string): Promise<ClientModule> {
  const file = checkClientModule(given);
  if (SCRIPT.has(path.extname(file))) {
    const mount = projectOf(file);
    const { uid, gid } = statSync(file);
    return { name: given, mount, inContainer: path.posix.join('/client', ...path.relative(mount, file).split(path.sep)), user: `${uid}:${gid}` };
  }
  const hash = createHash('sha256').update(file).update(readFileSync(file)).digest('hex').slice(0, 12);
  const mount = path.join(os.tmpdir(), `flipdrill-client-${hash}`);
  mkdirSync(mount, { recursive: true });
  try {
    await build({
      entryPoints: [file],
      outfile: path.join(mount, 'client.mjs'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      // CommonJS packages (pg...) call require: give the bundle one.
      banner: { js: "import { createRequire as __flipdrillRequire } from 'node:module'; const require = __flipdrillRequire(import.meta.url);" },
      external: ['pg-native'],
      logLevel: 'silent',
    });
  } catch (error) {
    const first = (error as { errors?: { text: string }[] }).errors?.[0]?.text ?? (error as Error).message;
    throw new ConfigError(`--client ${given} does not build: ${first.split('\n')[0]}`);
  }
  const { uid, gid } = statSync(path.join(mount, 'client.mjs'));
  return { name: given, mount, inContainer: '/client/client.mjs', user: `${uid}:${gid}` };
}
