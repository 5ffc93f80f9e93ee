/**
 * `flipdrill tutorial --yes` end to end, as a reader would run it, non-interactively: every step
 * shows its code and its real output, the write through the old primary's address fails after
 * the kill, and the write through the floating endpoint lands on the promoted node.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, removeClusters } from '../cluster/index.ts';
import { leftovers, testDocker } from './test-support/docker.ts';
import { runFlipdrill } from './test-support/run-command.ts';

const NAME = 'fdtest-tutorial';
const ARGS = ['--name', NAME, '--port-base', '23432', '--app-port', '23480', '--back-subnet', '10.213.81.0/24', '--front-subnet', '10.213.82.0/24'];

afterAll(async () => {
  await removeClusters(await testDocker(), createLogger(), NAME);
});

function tutorial(...args: string[]) {
  return runFlipdrill(['tutorial', ...args], { timeoutMs: 600_000 });
}

describe('flipdrill tutorial', () => {
  it('refuses to pause without a terminal, in one line', async () => {
    const r = await tutorial(...ARGS);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('flipdrill: the tutorial pauses between steps and needs a terminal (pass --yes to run it straight through)');
  });

  it('runs end to end with --yes: writes fail without a floating endpoint and come back with one', async () => {
    const r = await tutorial('--yes', ...ARGS);
    if (r.status !== 0) process.stderr.write(`${r.stdout}\n${r.stderr}\n`);
    expect(r.status).toBe(0);
    const out = r.stdout;
    for (let i = 1; i <= 8; i++) expect(out).toContain(`== Step ${i} of 8:`);
    // Real output of real code, in order.
    expect(out).toMatch(/node1 \| primary \| \* running/);
    expect(out).toContain('Connection has been established successfully.');
    expect(out).toContain('create table countries');
    expect(out).toMatch(/Portugal created - country_id: 1\n/);
    expect(out).toContain('"name": "Portugal"');
    expect(out).toMatch(/reads answered by: node[12], node[12]; the write host is node1/);
    expect(out).toMatch(/node1 killed; node2 is primary [\d.]+ s later/);
    expect(out).toMatch(/the write failed: Sequelize\w*Error/);
    expect(out).toContain('the endpoint leads to node2');
    expect(out).toMatch(/Spain created - country_id: \d+\n\s+the write host is node2 now/);
    // The code shown is the code that ran.
    expect(out).toContain('  await sequelize.sync({ force: true });');
    expect(out).toContain("replication: { read: config.reads.map((r) => ({ host: r.host, port: r.port })), write: { host: config.write.host, port: config.write.port } }");
    expect(out).toContain('Done. Removing the cluster.');
    expect(await leftovers(NAME)).toEqual([]);
  });
});
