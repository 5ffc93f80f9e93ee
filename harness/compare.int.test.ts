/**
 * naive versus aware on the same planned switchover, each on its own fresh cluster. What is
 * asserted is what these runs really showed on this project's machines (docs/concepts/sequelize-config.md, "What to change in your
 * Sequelize config"): the tutorial's app passes the switchover's errors on to its clients, and its
 * pool often keeps write connections on the demoted node, which answers 25006 (read-only) to every
 * INSERT; whether that happens, and whether it ever lets go, depends on timing (25006 in 4 of 5
 * runs, never recovered in 2 of 5), so only the errors are asserted for it. The aware app loses
 * nothing, shows its clients no error at all, and recovers without a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, removeClusters } from '../cluster/index.ts';
import { renderComparison, runComparison } from './compare.ts';
import { resolveScenario } from './scenario.ts';
import { leftovers, testDocker } from './test-support/docker.ts';
import { runFlipdrill } from './test-support/run-command.ts';

const CLUSTER = { name: 'fdtest-compare', portBase: 31432, appPort: 31480, backSubnet: '10.217.1.0/24', frontSubnet: '10.217.2.0/24' };
const runsDir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-compare-runs-'));

afterAll(async () => {
  await removeClusters(await testDocker(), createLogger(), CLUSTER.name);
  rmSync(runsDir, { recursive: true, force: true });
});

describe('flipdrill compare on a switchover', () => {
  it('shows the naive app passing errors to its clients while the aware app recovers with no error and no loss', async () => {
    const comparison = await runComparison({ cluster: CLUSTER, runsDir, scenario: resolveScenario('switchover'), warmupMs: 2000, settleMs: 2000 });
    process.stderr.write(`${renderComparison(comparison)}\n`);
    const naive = comparison.columns.find((c) => c.profile === 'naive')!;
    const aware = comparison.columns.find((c) => c.profile === 'aware')!;

    expect(aware.verdict).toBe('PASS');
    expect(aware.recovered).toBe(true);
    expect(aware.lost).toBe(0);
    expect(aware.errors).toEqual({});
    expect(aware.writes.info).toBe(0);

    // Its clients see the switchover: refused connections while the old primary stops, a missing
    // name while the alias moves, and (in 4 of 5 runs, not asserted) 25006 from the demoted node.
    expect(Object.values(naive.errors).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // The tutorial's app cannot tell a refused write from one that may have happened.
    expect(naive.writes.fail).toBe(0);
    expect(naive.writes.info).toBeGreaterThan(0);
    expect(naive.lost).toBe(0);
    expect(await leftovers(CLUSTER.name)).toEqual([]);
  }, 600_000);

  it("--sequelize-config: the tutorial's own config file, run by the app as it is (hosts and credentials pointed at the cluster), shows the naive column's errors beside the aware app", async () => {
    const config = path.join(import.meta.dirname, 'fixtures', 'sequelize', 'tutorial.json');
    const r = await runFlipdrill([
      'compare', '--sequelize-config', config, '--scenario', 'switchover', '--json', '--warmup', '2', '--settle', '2', '--runs-dir', runsDir,
      '--name', CLUSTER.name, '--port-base', String(CLUSTER.portBase), '--app-port', String(CLUSTER.appPort), '--back-subnet', CLUSTER.backSubnet, '--front-subnet', CLUSTER.frontSubnet,
    ]);
    const comparison = JSON.parse(r.stdout) as { columns: { profile: string; verdict: string; errors: Record<string, number>; writes: { fail: number; info: number }; lost: number }[] };
    expect(comparison.columns.map((c) => c.profile)).toEqual(['config', 'aware']);
    const [yours, aware] = comparison.columns;
    expect(aware!.verdict).toBe('PASS');
    expect(aware!.errors).toEqual({});
    // As the naive column: the switchover's errors reach the clients, as unknown outcomes.
    expect(Object.values(yours!.errors).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(yours!.writes.fail).toBe(0);
    expect(yours!.writes.info).toBeGreaterThan(0);
    expect(yours!.lost).toBe(0);
    expect(r.status).toBe(0);
    expect(await leftovers(CLUSTER.name)).toEqual([]);
  }, 600_000);
});
