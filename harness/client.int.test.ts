/**
 * Drill your own client (--client): modules written only from docs/app-contract.md, with plain pg
 * and a table of their own (harness/fixtures/clients/), in a container on the application network.
 * A correct one PASSes kill-primary; one that acknowledges one write in 50 without committing it
 * FAILs with exactly those writes lost; one that reports "failed" for one write in 25 it did
 * commit FAILs with exactly those contradicted. A module that cannot be used: one line, exit 2.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, removeClusters } from '../cluster/index.ts';
import { runComparison } from './compare.ts';
import { runDrill, type DrillOutcome } from './drill.ts';
import { readHistory } from './history.ts';
import type { Op } from './op.ts';
import { leftovers, testDocker } from './test-support/docker.ts';
import { clusterSecrets, secretsInInspect } from './test-support/inspect-secrets.ts';
import { runFlipdrill } from './test-support/run-command.ts';

const runsDir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-client-runs-'));
const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'clients');
const CLUSTER = { name: 'fdtest-client', portBase: 26832 + 100, appPort: 26980, backSubnet: '10.213.101.0/24', frontSubnet: '10.213.102.0/24' };

afterAll(async () => {
  await removeClusters(await testDocker(), createLogger(), CLUSTER.name);
  rmSync(runsDir, { recursive: true, force: true });
});

const drill = (module: string, keep = false) => runDrill({ cluster: { ...CLUSTER, client: path.join(FIXTURES, module) }, runsDir, warmupMs: 2000, settleMs: 2000, keep });

/** Each worker's client counts its own writes: the ids of every `nth` write of each worker, that the client acknowledged. */
function everyNth(outcome: DrillOutcome, nth: number, completion: Op['type']): string[] {
  const history = readHistory(outcome.run.history);
  const concurrency = outcome.report.workload.concurrency;
  const counts = new Map<number, number>();
  const marked = new Set<string>();
  for (const op of history) {
    if (op.f !== 'write' || op.type !== 'invoke') continue;
    const worker = op.process % concurrency;
    const n = (counts.get(worker) ?? 0) + 1;
    counts.set(worker, n);
    if (n % nth === 0) marked.add((op.value as { id: string }).id);
  }
  return history
    .filter((op) => op.f === 'write' && op.type === completion && marked.has((op.value as { id: string }).id))
    .map((op) => (op.value as { id: string }).id)
    .sort();
}

describe('--client: your own client module', () => {
  it('a correct module PASSes kill-primary, through the endpoint, its rows read back by the module itself', async () => {
    // Kept for the next test, which looks at its containers.
    const { report } = await drill('good.mjs', true);
    const r = report.result;
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.verdict).toBe('PASS');
    expect(report.workload.name).toBe('contract');
    expect(report.cluster.app).toBe('client');
    expect(r.counts.write.ok).toBeGreaterThan(50);
    expect(r.counts.read.ok).toBeGreaterThan(0);
    expect(r.promotion?.node).toBe('node2');
    // No stamps from this module: the database's own downtime is not measured, not guessed.
    expect(r.databaseDowntime).toBeNull();
  });

  it('docker inspect of every container (the nodes, the endpoint agent, the client host) shows no password and no token', async () => {
    const secrets = await clusterSecrets(CLUSTER.name);
    const { containers, shown } = await secretsInInspect(CLUSTER.name, secrets);
    expect(containers).toEqual([`${CLUSTER.name}-app`, `${CLUSTER.name}-endpoint-agent`, `${CLUSTER.name}-node1`, `${CLUSTER.name}-node2`, `${CLUSTER.name}-node3`]);
    expect(shown).toEqual([]);
    await removeClusters(await testDocker(), createLogger(), CLUSTER.name);
    expect(await leftovers(CLUSTER.name)).toEqual([]);
  });

  it('a module that acknowledges one write in 50 without committing it FAILs with exactly those writes lost', async () => {
    const outcome = await drill('lossy.mjs');
    const r = outcome.report.result;
    const uncommitted = everyNth(outcome, 50, 'ok');
    expect(uncommitted.length).toBeGreaterThan(0);
    expect(r.lost.map((w) => w.id).sort()).toEqual(uncommitted);
    expect(r.verdict).toBe('FAIL');
    expect(r.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['lost-within-budget']);
  });

  it('a module that answers "failed" for one write in 25 it did commit FAILs with exactly those contradicted', async () => {
    const outcome = await drill('liar.mjs');
    const r = outcome.report.result;
    const lies = everyNth(outcome, 25, 'fail');
    expect(lies.length).toBeGreaterThan(0);
    expect(r.contradicted.map((w) => w.id).sort()).toEqual(lies);
    expect(r.verdict).toBe('FAIL');
    expect(r.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['no-failed-write-present']);
  });

  it('compare --client: your module beside the aware app, each on a fresh cluster, both PASS', async () => {
    const comparison = await runComparison({ cluster: { ...CLUSTER, client: path.join(FIXTURES, 'good.mjs') }, runsDir, warmupMs: 2000, settleMs: 2000 });
    expect(comparison.columns.map((c) => [c.profile, c.verdict])).toEqual([
      ['client', 'PASS'],
      ['aware', 'PASS'],
    ]);
    expect(comparison.columns[0]!.writes.ok).toBeGreaterThan(50);
    expect(await leftovers(CLUSTER.name)).toEqual([]);
  });

  it('a module whose client has no readAll: one line naming it, exit 2, the cluster removed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-bad-client-'));
    writeFileSync(path.join(dir, 'half.mjs'), 'export default () => ({ async write() {} });\n');
    const r = await runFlipdrill(['drill', '--client', path.join(dir, 'half.mjs'), '--name', CLUSTER.name, '--port-base', String(CLUSTER.portBase), '--app-port', String(CLUSTER.appPort), '--back-subnet', CLUSTER.backSubnet, '--front-subnet', CLUSTER.frontSubnet, '--runs-dir', runsDir]);
    rmSync(dir, { recursive: true, force: true });
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('flipdrill: '))).toEqual([`flipdrill: client module ${path.join(dir, 'half.mjs')}: the client its factory returns has no readAll function`]);
    expect(r.status).toBe(2);
    expect(await leftovers(CLUSTER.name)).toEqual([]);
  });
});
