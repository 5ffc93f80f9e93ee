/**
 * Bundle the app into one file, app/dist/server.cjs, so its image needs only Node: no npm, no
 * registry, no node_modules inside the container. Runs on `npm ci` (prepare) and whenever
 * flipdrill builds the app image.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { packageRoot } from '../cluster/lib/package-root.ts';

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

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  bundleApp().then((file) => console.log(`app bundled: ${path.relative(process.cwd(), file)}`));
}
