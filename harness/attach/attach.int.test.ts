/**
 * A cluster file on a real cluster, described as someone else's would be: flipdrill's own repmgr
 * cluster, reached only by the SQL URLs the file gives and its containers by name. Discovery finds
 * the manager, the primary and the standby streaming from it and says what would keep a drill from
 * starting; `flipdrill drill --cluster <file> --dry-run` prints every step with its command, and
 * changes nothing; and a real drill through the file (kill-primary) passes and leaves it whole.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import os from 'node:os';
import path from 'node:path';
import { connectDocker, createLogger, discover, ImageBuilder, parseClusterFile, startCluster, type StartedCluster } from '../../cluster/index.ts';
import { capabilityLeftovers } from '../../cluster/index.ts';
import { runCommand } from '../test-support/run-command.ts';

const CLUSTER = { name: 'fdtest-attach', portBase: 38000, appPort: 38050, backSubnet: '10.230.6.0/24', frontSubnet: '10.230.7.0/24', app: false };

describe('discovering a cluster from its cluster file', () => {
  let cluster: StartedCluster;
  const env = () => ({ PW: cluster.credentials.superuser.password, APP_PW: cluster.credentials.app.password });
  // The witness keeps no app database: it is observed in postgres.
  const url = (node: string, user = cluster.credentials.superuser.user, secret = 'PW') =>
    `postgres://${user}:\${${secret}}@127.0.0.1:${cluster.node(node).hostPort}/${node === 'node3' ? 'postgres' : cluster.credentials.app.database}`;
  const fileText = (user?: string, secret?: string) => `
name: own-repmgr
endpoint: "${url('node1', user, secret)}"
nodes:
  - { name: node1, url: "${url('node1', user, secret)}", docker: ${cluster.containerOf('node1')} }
  - { name: node2, url: "${url('node2', user, secret)}", docker: ${cluster.containerOf('node2')} }
  - { name: node3, url: "${url('node3', user, secret)}", docker: ${cluster.containerOf('node3')}, witness: true }
`;

  /** What a look could have changed: the schemas of the app's database, and who is primary. */
  async function state(): Promise<{ schemas: string[]; primary: boolean }> {
    const client = new pg.Client({ host: '127.0.0.1', port: cluster.node('node1').hostPort, user: cluster.credentials.superuser.user, password: cluster.credentials.superuser.password, database: cluster.credentials.app.database });
    await client.connect();
    try {
      const schemas = (await client.query<{ nspname: string }>('SELECT nspname FROM pg_namespace ORDER BY 1')).rows.map((r) => r.nspname);
      const [row] = (await client.query<{ r: boolean }>('SELECT NOT pg_is_in_recovery() AS r')).rows;
      return { schemas, primary: row!.r };
    } finally {
      await client.end();
    }
  }

  /** What a drill's app could have left on `node`: its table in public, the drill's schema. */
  async function leftBehind(node: string, table: string): Promise<{ table: string | null; schema: boolean }> {
    const client = new pg.Client({ host: '127.0.0.1', port: cluster.node(node).hostPort, user: cluster.credentials.superuser.user, password: cluster.credentials.superuser.password, database: cluster.credentials.app.database });
    await client.connect();
    try {
      const [row] = (await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`public.${table}`])).rows;
      const schema = (await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', ['flipdrill'])).rowCount === 1;
      return { table: row!.t, schema };
    } finally {
      await client.end();
    }
  }

  /** The cluster as the file's SQL URLs show it now. */
  const found = () => discover(parseClusterFile(fileText(), 'own-repmgr.yaml', env()));

  beforeAll(async () => {
    const logger = createLogger();
    const docker = await connectDocker({ logger, allowInstall: false });
    const images = await new ImageBuilder({ docker, logger }).ensureAll();
    cluster = await startCluster(CLUSTER, { docker, images, logger });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('finds repmgr, the primary and its streaming standby by SQL alone, and changes nothing', async () => {
    const before = await state();
    const found = await discover(parseClusterFile(fileText(), 'own-repmgr.yaml', env()));
    expect(found.problems).toEqual([]);
    expect(found.manager).toEqual({ name: 'repmgr', how: 'repmgr in shared_preload_libraries' });
    expect(found.primary).toBe('node1');
    expect(found.nodes.map((n) => [n.name, n.role])).toEqual([
      ['node1', 'primary'],
      ['node2', 'standby'],
      ['node3', 'witness'],
    ]);
    expect(found.nodes[1]).toMatchObject({ upstream: 'node1', timeline: found.nodes[0]!.timeline });
    expect(found.replication.map((r) => r.state)).toEqual(['streaming']);
    expect(await state()).toEqual(before);
  });

  it('flipdrill drill --cluster <file> --dry-run: the manager, the primary, each step with its command; exit 0, and nothing changed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-dry-run-'));
    try {
      const file = path.join(dir, 'own-repmgr.yaml');
      writeFileSync(file, fileText());
      const before = await state();
      const cli = path.join(import.meta.dirname, '..', 'cli.ts');
      const run = await runCommand(process.execPath, ['--import', 'tsx', cli, 'drill', '--cluster', file, '--dry-run', '--scenario', 'kill-primary,freeze-primary,partition-primary'], { env: { ...process.env, ...env() }, timeoutMs: 120_000 });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const out = run.stdout;
      expect(out).toContain('manager      repmgr (repmgr in shared_preload_libraries)');
      expect(out).toContain('primary      node1');
      expect(out).toMatch(/nodes +node1 \(primary, timeline \d+\); node2 \(standby, timeline \d+, streaming from node1\); node3 \(witness\)/);
      // Each step with what it runs: the container killed whole, paused, cut off in its own network namespace.
      expect(out).toContain(`3. fault on node1 (the primary): docker kill --signal SIGKILL ${cluster.containerOf('node1')}`);
      expect(out).toMatch(new RegExp(`fault on node1 \\(the primary\\): docker pause ${cluster.containerOf('node1')}`));
      expect(out).toMatch(/fault on node1 \(the primary\): .*network namespace/);
      expect(out).toContain('CREATE SCHEMA IF NOT EXISTS flipdrill');
      expect(out).toContain('DROP SCHEMA flipdrill CASCADE');
      expect(out).not.toContain(cluster.credentials.superuser.password);
      expect(await state()).toEqual(before);
      expect(await capabilityLeftovers(cluster, ['node1', 'node2', 'node3'])).toEqual([]);
      // Without --dry-run and without a terminal to confirm on, a drill needs --yes: one line, nothing touched.
      const real = await runCommand(process.execPath, ['--import', 'tsx', cli, 'drill', '--cluster', file], { env: { ...process.env, ...env() }, timeoutMs: 60_000 });
      expect(real.status).toBe(2);
      expect(real.stderr.trim().split('\n')).toEqual(['flipdrill: a drill acts on own-repmgr, a cluster flipdrill did not build: confirm on a terminal, or give --yes (--dry-run shows what it would run)']);
      expect(await state()).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drills it through the file as a foreign cluster: kill-primary PASS, the killed node back, the cluster whole as repmgr says, the schema gone', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-own-drill-'));
    try {
      const file = path.join(dir, 'own-repmgr.yaml');
      // The endpoint the way a libpq app would have it: both data nodes, the writable one wins.
      const endpoint = `postgres://${cluster.credentials.superuser.user}:\${PW}@127.0.0.1:${cluster.node('node1').hostPort},127.0.0.1:${cluster.node('node2').hostPort}/${cluster.credentials.app.database}?target_session_attrs=read-write`;
      writeFileSync(file, fileText().replace(/^endpoint: .*$/m, `endpoint: "${endpoint}"`));
      const cli = path.join(import.meta.dirname, '..', 'cli.ts');
      const run = await runCommand(process.execPath, ['--import', 'tsx', cli, 'drill', '--cluster', file, '--yes', '--json', '--scenario', 'kill-primary', '--runs-dir', path.join(dir, 'runs')], { env: { ...process.env, ...env() }, timeoutMs: 300_000 });
      const report = JSON.parse(run.stdout) as { result: { verdict: string; lost: unknown[]; promotion: { node: string } | null; checks: { ok: boolean; id: string; detail: string }[] } };
      expect(report.result.checks.filter((c) => !c.ok), run.stderr).toEqual([]);
      expect(run.status).toBe(0);
      expect(report.result.promotion?.node).toBe('node2');
      expect(report.result.lost).toEqual([]);
      expect(run.stderr).toContain('own-repmgr is whole again as repmgr sees it');
      expect(run.stderr).toContain("dropped the drill's schema flipdrill");
      expect((await state()).schemas).not.toContain('flipdrill');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drills it through the file with your client module (--client): kill-primary PASS, nothing lost, its table made in the drill\'s schema and gone with it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-own-client-'));
    try {
      const file = path.join(dir, 'own-repmgr.yaml');
      const endpoint = `postgres://${cluster.credentials.superuser.user}:\${PW}@127.0.0.1:${cluster.node('node1').hostPort},127.0.0.1:${cluster.node('node2').hostPort}/${cluster.credentials.app.database}?target_session_attrs=read-write`;
      writeFileSync(file, fileText().replace(/^endpoint: .*$/m, `endpoint: "${endpoint}"`));
      const cli = path.join(import.meta.dirname, '..', 'cli.ts');
      const module = path.join(import.meta.dirname, '..', 'fixtures', 'clients', 'multihost.mjs');
      // The primary is whichever node the drill before left so: the kill is of that one.
      const run = await runCommand(process.execPath, ['--import', 'tsx', cli, 'drill', '--cluster', file, '--client', module, '--yes', '--json', '--scenario', 'kill-primary', '--runs-dir', path.join(dir, 'runs')], {
        env: { ...process.env, ...env() },
        timeoutMs: 300_000,
      });
      expect(run.stderr).toContain('your client module');
      const report = JSON.parse(run.stdout) as { cluster: { app: string }; workload: { name: string }; result: { verdict: string; lost: unknown[]; promotion: { node: string } | null; checks: { ok: boolean; id: string; detail: string }[] } };
      expect(report.result.checks.filter((c) => !c.ok), run.stderr).toEqual([]);
      expect(run.status).toBe(0);
      expect([report.cluster.app, report.workload.name]).toEqual(['client', 'contract']);
      expect(report.result.promotion).not.toBeNull();
      expect(report.result.lost).toEqual([]);
      expect(run.stderr).toContain("dropped the drill's schema flipdrill");
      // The module's CREATE TABLE landed in the drill's schema (its search_path), not in public.
      expect(await leftBehind(report.result.promotion!.node, 'client_writes')).toEqual({ table: null, schema: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("drills it through the file with your app's image (--app-image), on this machine's network: kill-standby PASS, nothing lost, its table in the drill's schema, the container gone", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-own-image-'));
    const docker = await connectDocker({ allowInstall: false });
    const image = 'fdtest/notes-attach:1';
    try {
      // The notes service of harness/fixtures/app-image/, built here from its files.
      const fixture = path.join(import.meta.dirname, '..', 'fixtures', 'app-image');
      await build({ entryPoints: [path.join(fixture, 'server.mjs')], outfile: path.join(dir, 'server.cjs'), bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['pg-native'], logLevel: 'error' });
      copyFileSync(path.join(fixture, 'Dockerfile'), path.join(dir, 'Dockerfile'));
      const images = await new ImageBuilder({ docker, logger: createLogger() }).ensureAll();
      await docker.buildImage({ contextDir: dir, files: ['Dockerfile', 'server.cjs'], dockerfile: 'Dockerfile', tag: image, buildArgs: { BASE_IMAGE: images.app }, labels: {} });
      // The endpoint is the primary as the drills before left it; the fault is the standby's.
      const primary = (await found()).primary!;
      const file = path.join(dir, 'own-repmgr.yaml');
      writeFileSync(file, fileText().replace(/^endpoint: .*$/m, `endpoint: "${url(primary)}"`));
      const cli = path.join(import.meta.dirname, '..', 'cli.ts');
      const run = await runCommand(process.execPath, ['--import', 'tsx', cli, 'drill', '--cluster', file, '--app-image', image, '--yes', '--json', '--scenario', 'kill-standby', '--runs-dir', path.join(dir, 'runs')], {
        env: { ...process.env, ...env() },
        timeoutMs: 300_000,
      });
      expect(run.stderr).toContain(`your app image ${image} (container flipdrill-own-repmgr-app, on this machine's network)`);
      const report = JSON.parse(run.stdout) as { cluster: { app: string }; workload: { name: string }; result: { lost: unknown[]; promotion: unknown; checks: { ok: boolean }[] } };
      expect(report.result.checks.filter((c) => !c.ok), run.stderr).toEqual([]);
      expect(run.status).toBe(0);
      expect([report.cluster.app, report.workload.name]).toEqual(['image', 'contract']);
      expect(report.result.promotion ?? null).toBeNull();
      expect(report.result.lost).toEqual([]);
      expect(await docker.inspectContainer('flipdrill-own-repmgr-app')).toBeUndefined();
      // Its CREATE TABLE notes went into the drill's schema (PGOPTIONS), which is gone.
      expect(await leftBehind(primary, 'notes')).toEqual({ table: null, schema: false });
    } finally {
      await docker.removeContainer('flipdrill-own-repmgr-app').catch(() => {});
      await docker.removeImage(image).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("says, one line each, what stands in a drill's way: a role without pg_monitor or CREATE, a node that does not answer", async () => {
    const text = fileText('flipdrill_app', 'APP_PW').replace(`127.0.0.1:${cluster.node('node3').hostPort}`, '127.0.0.1:1');
    const found = await discover(parseClusterFile(text, 'own-repmgr.yaml', env()));
    expect(found.problems, found.problems.join('\n')).toHaveLength(3);
    expect(found.problems.some((p) => /^node node3 does not answer at postgres:\/\/flipdrill_app:\*\*\*@127\.0\.0\.1:1\//.test(p))).toBe(true);
    expect(found.problems).toContain('role flipdrill_app on node node1 is not a member of pg_monitor: GRANT pg_monitor TO flipdrill_app');
    expect(found.problems).toContain('role flipdrill_app on node node2 is not a member of pg_monitor: GRANT pg_monitor TO flipdrill_app');
    for (const p of found.problems) expect(p).not.toContain(cluster.credentials.app.password);
  });
});
