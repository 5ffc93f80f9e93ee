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

/** A new folder under `root`, named after the time (or `name`), never reusing an existing one. */
export function createRunFolder(root: string, now = new Date(), name?: string): RunFolder {
  const stamp = name ?? now.toISOString().replace(/[:.]/g, '-').replace('T', '_').replace('Z', '');
  let id = stamp;
  let dir = path.resolve(root, id);
  for (let i = 2; ; i++) {
    try {
      mkdirSync(dir, { recursive: false });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        mkdirSync(path.resolve(root), { recursive: true });
        continue;
      }
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
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
