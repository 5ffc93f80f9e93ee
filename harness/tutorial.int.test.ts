/**
 * `flipdrill tutorial --yes` end to end, as a reader would run it, non-interactively: every step
 * shows its code and its real output, the write through the old primary's address fails after
 * the kill, and the write through the floating endpoint lands on the promoted node; with the
 * DigitalOcean simulator, the promote hook moves the floating IP (its log and the API's record).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, removeClusters } from '../cluster/index.ts';
import { leftovers, testDocker } from './test-support/docker.ts';
import { runFlipdrill } from './test-support/run-command.ts';

const NAME = 'fdtest-tutorial';
const ARGS = ['--name', NAME, '--port-base', '23432', '--app-port', '23480', '--back-subnet', '10.213.81.0/24', '--front-subnet', '10.213.82.0/24'];
const DO_NAME = 'fdtest-tutorial-do';
const DO_ARGS = ['--name', DO_NAME, '--port-base', '23532', '--app-port', '23580', '--back-subnet', '10.213.83.0/24', '--front-subnet', '10.213.84.0/24', '--endpoint', 'do-simulator'];

afterAll(async () => {
  for (const name of [NAME, DO_NAME]) await removeClusters(await testDocker(), createLogger(), name);
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
    // The row written on the primary, read on the standby, which says so itself.
    expect(out).toMatch(/read by node2: Portugal\n/);
    expect(out).toContain('the write host is node1');
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

  it("with --endpoint do-simulator: repmgr's promote hook moves the floating IP, as the node's log and the API's record show", async () => {
    const r = await tutorial('--yes', ...DO_ARGS);
    if (r.status !== 0) process.stderr.write(`${r.stdout}\n${r.stderr}\n`);
    expect(r.status).toBe(0);
    const out = r.stdout;
    expect(out).toContain("== Step 7 of 9: repmgr's promote hook moves the floating IP ==");
    expect(out).toMatch(/node2: promote_command='?\/usr\/local\/bin\/flipdrill-promote/);
    expect(out).toMatch(/flipdrill-flip-here: moving [\d.]+ to this droplet \(promote\)/);
    expect(out).toMatch(/flipdrill-flip-here: done/);
    expect(out).toMatch(/POST \/v2\/floating_ips\/[\d.]+\/actions \{"type":"assign","droplet_id":\d+\} \(node2's droplet\) answered 201/);
    expect(out).toMatch(/the floating IP [\d.]+ is on node2's droplet/);
    expect(out).toMatch(/Spain created - country_id: \d+\n\s+the write host is node2 now/);
    expect(await leftovers(DO_NAME)).toEqual([]);
  });
});
