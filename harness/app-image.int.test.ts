/**
 * Drill your own app (--app-image): a small notes service that is not flipdrill's app (plain Node
 * http and a pg Pool, harness/fixtures/app-image/), built into an image here from its files, runs
 * in the app's place with the database settings flipdrill gives an app image, and is drilled
 * through the app contract. An image the engine does not have: one line, exit 2, nothing created.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, ImageBuilder, removeClusters } from '../cluster/index.ts';
import { runDrill } from './drill.ts';
import { leftovers, testDocker } from './test-support/docker.ts';
import { clusterSecrets, secretsInInspect } from './test-support/inspect-secrets.ts';
import { runFlipdrill } from './test-support/run-command.ts';

const IMAGE = 'fdtest/notes:1';
const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'app-image');
const CLUSTER = { name: 'fdtest-app-image', portBase: 27032, appPort: 27080, backSubnet: '10.213.103.0/24', frontSubnet: '10.213.104.0/24' };
const runsDir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-app-image-runs-'));
const context = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-notes-image-'));

beforeAll(async () => {
  await build({ entryPoints: [path.join(FIXTURE, 'server.mjs')], outfile: path.join(context, 'server.cjs'), bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['pg-native'], logLevel: 'error' });
  copyFileSync(path.join(FIXTURE, 'Dockerfile'), path.join(context, 'Dockerfile'));
  const docker = await testDocker();
  const images = await new ImageBuilder({ docker, logger: createLogger() }).ensureAll();
  await docker.buildImage({ contextDir: context, files: ['Dockerfile', 'server.cjs'], dockerfile: 'Dockerfile', tag: IMAGE, buildArgs: { BASE_IMAGE: images.app }, labels: {} });
}, 300_000);

afterAll(async () => {
  const docker = await testDocker();
  await removeClusters(docker, createLogger(), CLUSTER.name);
  await docker.removeImage(IMAGE);
  rmSync(runsDir, { recursive: true, force: true });
  rmSync(context, { recursive: true, force: true });
});

describe('--app-image: your own app', () => {
  it('a notes service of its own, in the app’s place, PASSes kill-primary through the app contract', async () => {
    // Kept for the next test, which looks at its containers.
    const { report } = await runDrill({ cluster: { ...CLUSTER, appImage: IMAGE }, runsDir, warmupMs: 2000, settleMs: 2000, keep: true });
    const r = report.result;
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.verdict).toBe('PASS');
    expect(report.cluster.app).toBe('image');
    expect(report.workload.name).toBe('contract');
    expect(r.counts.write.ok).toBeGreaterThan(50);
    expect(r.promotion?.node).toBe('node2');
    // It says which node committed each write: the writes after the fault are node2's.
    expect(r.writesAfterFault.onNewPrimary).toBeGreaterThan(0);
  });

  it('docker inspect of every container (the nodes, the endpoint agent, your app) shows no password and no token', async () => {
    const secrets = await clusterSecrets(CLUSTER.name);
    const { containers, shown } = await secretsInInspect(CLUSTER.name, secrets);
    expect(containers).toEqual([`${CLUSTER.name}-app`, `${CLUSTER.name}-endpoint-agent`, `${CLUSTER.name}-node1`, `${CLUSTER.name}-node2`, `${CLUSTER.name}-node3`]);
    expect(shown).toEqual([]);
    await removeClusters(await testDocker(), createLogger(), CLUSTER.name);
    expect(await leftovers(CLUSTER.name)).toEqual([]);
  });

  it('an image this engine does not have: one line, exit 2, no cluster', async () => {
    const r = await runFlipdrill(['drill', '--app-image', 'fdtest/none:0', '--name', CLUSTER.name, '--port-base', String(CLUSTER.portBase), '--app-port', String(CLUSTER.appPort), '--back-subnet', CLUSTER.backSubnet, '--front-subnet', CLUSTER.frontSubnet, '--runs-dir', runsDir]);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('flipdrill: '))).toEqual(['flipdrill: --app-image fdtest/none:0: no such image on this Docker engine (build or pull it first: flipdrill pulls nothing)']);
    expect(r.status).toBe(2);
    expect(await leftovers(CLUSTER.name)).toEqual([]);
  });
});
