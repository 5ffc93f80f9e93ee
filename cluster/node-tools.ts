/**
 * Bundle the Node tools that run inside the node image into cluster/node-image/dist/:
 *   flipdrill-flip.cjs   the DigitalOcean floating IP hook (do-wrapper adapter and the move)
 *   flipdrill-dosim.cjs  the DigitalOcean API simulator, run in its own container for drills
 *   flipdrill-dsql.cjs   the Aurora DSQL stand-in, in its own container in front of the endpoint (--app dsql)
 * The image carries the host's Node binary (see images.ts); these need no node_modules. Runs on
 * `npm ci` (prepare) and whenever flipdrill builds the node image.
 */
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from './lib/package-root.ts';

// From the sources, also when running compiled (dist/): esbuild bundles TypeScript itself.
const here = path.join(packageRoot(), 'cluster');
export const NODE_TOOLS_DIR = path.join(here, 'node-image', 'dist');

export async function bundleNodeTools(): Promise<string[]> {
  const entries = [
    ['endpoint/digitalocean/flip-cli.ts', 'flipdrill-flip.cjs'],
    ['endpoint/digitalocean/simulator-main.ts', 'flipdrill-dosim.cjs'],
    ['dsql/stand-in-main.ts', 'flipdrill-dsql.cjs'],
  ] as const;
  const out: string[] = [];
  for (const [entry, name] of entries) {
    const outfile = path.join(NODE_TOOLS_DIR, name);
    // No source map: the output must be the same for the same sources, or the image hash changes.
    // node18: on droplets the Ansible role runs the hook on Debian 12's own nodejs (18.19).
    await build({ entryPoints: [path.join(here, entry)], outfile, bundle: true, platform: 'node', target: 'node18', format: 'cjs', logLevel: 'error' });
    out.push(outfile);
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  bundleNodeTools().then((files) => console.log(`node tools bundled: ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`));
}
