/**
 * The package as a user gets it: `npm pack`, installed into a scratch project with pg, vitest and
 * TypeScript from the registry, the library guide's vitest example (docs/guides/library.md) pasted in as it stands twice (two
 * files, which vitest runs in parallel, each starting a cluster without choosing a name, ports or
 * subnets), type-checked against the package's declarations, and run against real clusters.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, REPO_ROOT, removeClusters } from '../cluster/index.ts';
import { testDocker } from './test-support/docker.ts';
import { runCommand } from './test-support/run-command.ts';

const work = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-package-'));
const scratch = path.join(work, 'scratch');

/** The library guide's example, between its markers. */
function readmeExample(): string {
  const readme = readFileSync(path.join(REPO_ROOT, 'docs', 'guides', 'library.md'), 'utf8');
  const block = /<!-- example:vitest -->\n```ts\n([\s\S]*?)```\n<!-- \/example:vitest -->/.exec(readme);
  if (!block) throw new Error('docs/guides/library.md has no <!-- example:vitest --> block');
  return block[1]!;
}

/** The clusters the example starts are named flipdrill-<random>: whatever of them is left. */
async function exampleClusters(): Promise<string[]> {
  const docker = await testDocker();
  return [...new Set((await docker.listContainers({ 'io.flipdrill.project': 'flipdrill' })).map((c) => c.labels['io.flipdrill.cluster'] ?? '').filter((n) => /^flipdrill-[a-z0-9]{6}$/.test(n)))];
}

afterAll(async () => {
  for (const name of [...(await exampleClusters()), 'fdtest-npx']) await removeClusters(await testDocker(), createLogger(), name);
  rmSync(work, { recursive: true, force: true });
});

describe('the flipdrill package in a project of its own', () => {
  it('packs, installs, type-checks the library guide\'s example, and runs it twice in parallel, each on a cluster of its own', async () => {
    const pack = await runCommand('npm', ['pack', '--pack-destination', work], { cwd: REPO_ROOT });
    expect(pack.status, pack.stderr).toBe(0);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();

    mkdirSync(scratch);
    writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }, null, 2));
    writeFileSync(
      path.join(scratch, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] }, include: ['*.ts'] }, null, 2),
    );
    const rootPackage = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const pin = (name: string) => `${name}@${rootPackage.devDependencies[name]}`;
    const install = await runCommand('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(work, tarball!), 'pg', pin('vitest'), pin('typescript'), pin('@types/node'), pin('@types/pg')], {
      cwd: scratch,
      timeoutMs: 300_000,
    });
    expect(install.status, install.stderr).toBe(0);
    writeFileSync(path.join(scratch, 'orders-a.test.ts'), readmeExample());
    writeFileSync(path.join(scratch, 'orders-b.test.ts'), readmeExample());
    const before = await exampleClusters();

    const types = await runCommand(path.join(scratch, 'node_modules/.bin/tsc'), ['-p', '.'], { cwd: scratch });
    expect(types.stdout + types.stderr).toBe('');
    expect(types.status).toBe(0);

    const run = await runCommand(path.join(scratch, 'node_modules/.bin/vitest'), ['run', '--reporter=verbose'], { cwd: scratch, timeoutMs: 600_000, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    if (run.status !== 0) process.stderr.write(`${run.stdout}\n${run.stderr}\n`);
    expect(run.stdout.match(/no acknowledged order is lost when the primary freezes/g)).toHaveLength(2);
    expect(run.stdout).toMatch(/Test Files\s+2 passed/);
    expect(run.stdout).toMatch(/Tests\s+2 passed/);
    expect(run.status).toBe(0);
    // Their afterAll stopped both clusters: nothing left behind.
    expect(await exampleClusters()).toEqual(before);

    // And the command, as installed: a drill from the scratch project, the images from the package's files.
    const drill = await runCommand(path.join(scratch, 'node_modules/.bin/flipdrill'), ['drill', '--name', 'fdtest-npx', '--port-base', '27132', '--app-port', '27180', '--back-subnet', '10.213.105.0/24', '--front-subnet', '10.213.106.0/24', '--warmup', '2', '--settle', '2'], {
      cwd: scratch,
      timeoutMs: 600_000,
      env: { ...process.env, NO_COLOR: '1' },
    });
    if (drill.status !== 0) process.stderr.write(`${drill.stdout}\n${drill.stderr}\n`);
    expect(drill.stdout).toContain('verdict: PASS');
    expect(drill.status).toBe(0);
  });
});
