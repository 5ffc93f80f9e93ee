/**
 * A user's client module (--client), made ready for the client host in the app image, which runs
 * as the module file's owner (so it reads what its owner can). A module
 * in JavaScript (.mjs, .js, .cjs) is used as it is: its project (the nearest folder above it with
 * node_modules or a package.json) is mounted read-only at /client, so it imports what its project
 * has installed, and Node's own modules; a project that would be `/` or the home folder is
 * refused. A TypeScript module (.ts, .mts) is bundled first with what it imports (esbuild) into a
 * fresh folder of its own (mkdtemp), mounted the same way, and removed once the client host has
 * loaded it (dispose()).
 */
import { chmodSync, closeSync, constants, existsSync, fchownSync, lstatSync, mkdtempSync, openSync, realpathSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
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
  /**
   * Remove what was made for the client host (a TypeScript module's bundle), once the client host
   * has loaded the module or failed to: it imports it once, at its start. Idempotent.
   */
  dispose(): void;
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

/** A project folder the client host may mount: never `/` nor the home folder itself (one line). */
export function checkProjectFolder(dir: string, given: string): string {
  const real = realpathSync(dir);
  const home = (() => {
    try {
      return realpathSync(os.homedir());
    } catch {
      return undefined;
    }
  })();
  const what = real === path.parse(real).root ? 'the root of the file system' : real === home ? 'your home folder' : undefined;
  if (what) throw new ConfigError(`--client ${given}: its project folder would be ${dir}, ${what}, and all of it mounted into the client host; put the module in a folder of its own with a package.json`);
  return dir;
}

/** The module's real file and its owner, read from the file itself (through a link, the file it names). */
function sourceOf(file: string, given: string): { real: string; uid: number; gid: number } {
  const real = realpathSync(file);
  const st = lstatSync(real);
  if (!st.isFile()) throw new ConfigError(`--client ${given}: no such file`);
  return { real, uid: st.uid, gid: st.gid };
}

export async function prepareClientModule(given: string): Promise<ClientModule> {
  const file = checkClientModule(given);
  const source = sourceOf(file, given);
  const user = `${source.uid}:${source.gid}`;
  if (SCRIPT.has(path.extname(file))) {
    const mount = checkProjectFolder(projectOf(file), given);
    return { name: given, mount, inContainer: path.posix.join('/client', ...path.relative(mount, file).split(path.sep)), user, dispose: () => {} };
  }
  let output;
  try {
    output = await build({
      entryPoints: [source.real],
      outfile: 'client.mjs',
      write: false,
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
  // A fresh folder no one else can have made first (mkdtemp: 0700, ours). The client host runs as
  // the module's owner: it may pass through the folder (0711) and read its bundle (its own, 0400).
  const mount = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-client-'));
  const written: string[] = [];
  const dispose = () => {
    for (const f of written.splice(0)) unlinkSync(f);
    if (existsSync(mount)) rmdirSync(mount);
  };
  try {
    for (const out of output.outputFiles) {
      const target = path.join(mount, path.basename(out.path));
      const fd = openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o400);
      written.push(target);
      try {
        writeSync(fd, out.contents);
        if (process.getuid?.() !== source.uid || process.getgid?.() !== source.gid) fchownSync(fd, source.uid, source.gid);
      } finally {
        closeSync(fd);
      }
    }
    chmodSync(mount, 0o711);
  } catch (error) {
    dispose();
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'EPERM') throw new ConfigError(`--client ${given}: its file belongs to ${user}, and only root can give that user the bundle; run flipdrill as root or as that user`);
    throw error;
  }
  return { name: given, mount, inContainer: '/client/client.mjs', user, dispose };
}
