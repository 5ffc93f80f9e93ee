/** A run folder per drill: runs/<timestamp>/ with run.json, history.jsonl, events.jsonl, final-read.json, report.json, flipdrill.log. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeFileSafely } from '../../cluster/lib/safe-write.ts';

export interface RunFolder {
  id: string;
  dir: string;
  history: string;
  events: string;
  report: string;
  settings: string;
  finalRead: string;
  log: string;
}

export class RunFolderCreateError extends Error {
  override name = 'RunFolderCreateError';
}

/** How many names of one moment are tried before giving up (`<stamp>`, `<stamp>-2`, ...). */
const MAX_TRIES = 1000;

/**
 * A new folder under `root`, named after the time (or `name`), never reusing an existing one.
 * `root` is created when it is not there; any failure but a name already taken gives up at once,
 * in one line (RunFolderCreateError).
 */
export function createRunFolder(root: string, now = new Date(), name?: string): RunFolder {
  const stamp = name ?? now.toISOString().replace(/[:.]/g, '-').replace('T', '_').replace('Z', '');
  const giveUp = (error: unknown) =>
    new RunFolderCreateError(`cannot create a run folder in ${root}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  let id = stamp;
  let dir = path.resolve(root, id);
  let madeRoot = false;
  for (let i = 2; ; i++) {
    try {
      mkdirSync(dir, { recursive: false });
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // The runs folder is not there yet: made once; if the folder is still not creatable (a
      // runs folder under /proc), that is the answer.
      if (code === 'ENOENT' && !madeRoot) {
        madeRoot = true;
        try {
          mkdirSync(path.resolve(root), { recursive: true });
        } catch (rootError) {
          throw giveUp(rootError);
        }
        continue;
      }
      if (code !== 'EEXIST' || i > MAX_TRIES) throw giveUp(error);
      id = `${stamp}-${i}`;
      dir = path.resolve(root, id);
    }
  }
  return {
    id,
    dir,
    history: path.join(dir, 'history.jsonl'),
    events: path.join(dir, 'events.jsonl'),
    report: path.join(dir, 'report.json'),
    settings: path.join(dir, 'run.json'),
    finalRead: path.join(dir, 'final-read.json'),
    log: path.join(dir, 'flipdrill.log'),
  };
}

/** A JSON file of a run folder, written as every file there is: never through a link, never half written. */
export function writeJson(file: string, value: unknown): void {
  writeFileSafely(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** A run folder as the user can follow it: relative to the current folder when it is below it. */
export function shownPath(dir: string, cwd = process.cwd()): string {
  const relative = path.relative(cwd, path.resolve(dir));
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : path.resolve(dir);
}
