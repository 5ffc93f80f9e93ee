/**
 * The folder flipdrill's files live in: a clone, or node_modules/flipdrill when installed as a
 * package. Found by walking up from this module to flipdrill's own package.json, so the same code
 * works run from TypeScript sources (tsx) and from the compiled dist/ (the library).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let found: string | undefined;

export function packageRoot(): string {
  if (found) return found;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'flipdrill') return (found = dir);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`flipdrill's package.json was not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
