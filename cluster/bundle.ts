/**
 * Bundle the app into one file, app/dist/server.cjs, so its image needs only Node: no npm, no
 * registry, no node_modules inside the container. Runs on `npm ci` (prepare) and whenever
 * flipdrill builds the app image. An image build step, so it lives with the images: it names the
 * app's entry point by path and imports nothing of app/ (cluster/ depends on neither app/ nor
 * harness/).
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { packageRoot } from './lib/package-root.ts';

// From the sources, also when running compiled (dist/): esbuild bundles TypeScript itself.
const appDir = path.join(packageRoot(), 'app');

export async function bundleApp(outFile = path.join(appDir, 'dist', 'server.cjs')): Promise<string> {
  await build({
    entryPoints: [path.join(appDir, 'main.ts')],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    // Optional native drivers Sequelize and pg only load when asked to.
    external: ['pg-native', 'mysql2', 'mariadb', 'tedious', 'sqlite3', 'oracledb', 'ibm_db', 'snowflake-sdk'],
    logLevel: 'error',
  });
  return outFile;
}

/**
 * The cluster's endpoint agent (cluster/endpoint/agent/), which runs on the app image's Node in a
 * container of its own: app/dist/endpoint-agent.cjs.
 */
export async function bundleEndpointAgent(outFile = path.join(appDir, 'dist', 'endpoint-agent.cjs')): Promise<string> {
  await build({
    entryPoints: [path.join(packageRoot(), 'cluster', 'endpoint', 'agent', 'main.ts')],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['pg-native'],
    logLevel: 'error',
  });
  return outFile;
}

/**
 * The client host (app/client-host.ts), which serves a user's client module over the app contract
 * from the app image: app/dist/client-host.cjs. Its one dynamic import (the user's module, ESM or
 * CommonJS) stays a real import().
 */
export async function bundleClientHost(outFile = path.join(appDir, 'dist', 'client-host.cjs')): Promise<string> {
  await build({
    entryPoints: [path.join(appDir, 'client-host.ts')],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'error',
  });
  return outFile;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  Promise.all([bundleApp(), bundleEndpointAgent(), bundleClientHost()]).then((files) => console.log(`bundled: ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`));
}
