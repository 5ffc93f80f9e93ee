/**
 * Bad input creates nothing: the command line and the cluster's definition are checked before a
 * run folder exists and before the Docker engine is asked anything. The "engine" here is a unix
 * socket this test listens on, which records every connection made to it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInScenarios } from './scenario.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

describe('bad input: one line, exit 2, nothing created, no engine contacted', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-validation-'));
  const socketPath = path.join(dir, 'engine.sock');
  let connections = 0;
  const engine = net.createServer((socket) => {
    connections += 1;
    socket.destroy();
  });

  beforeAll(() => new Promise<void>((resolve) => engine.listen(socketPath, resolve)));
  afterAll(async () => {
    await new Promise<void>((resolve) => engine.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const runs = () => (existsSync(path.join(ROOT, 'runs')) ? readdirSync(path.join(ROOT, 'runs')) : []);

  function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'harness/cli.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, FLIPDRILL_DOCKER_SOCKET: socketPath, FLIPDRILL_NO_DOCKER_INSTALL: '1' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it.each([
    [['drill', '--name', 'x;y'], /cluster name "x;y" must be lowercase letters/],
    [['drill', '--name', 'x;rm -rf /'], /cluster name "x;rm -rf \/" must be/],
    [['drill', '--back-subnet', 'nonsense'], /subnet "nonsense" is not an IPv4 CIDR/],
    [['drill', '--target', 'missing.yml'], /no inventory at .*missing\.yml/],
    [['drill', '--workload', 'ledger'], /--workload must be set or bank, not "ledger"/],
    [['down', '--name', ''], /cluster name "" must be lowercase letters/],
    [['status', '--name', 'UPPER'], /cluster name "UPPER" must be/],
    [['up', '--front-subnet', '10.213.1.0/24'], /overlap/],
    [['drill', '--nemesis', 'chaos'], /--nemesis takes random, not "chaos"/],
    [['drill', '--for', '5m'], /--for shapes a random schedule: give --nemesis random/],
    [['drill', '--overlap'], /--overlap shapes a random schedule: give --nemesis random/],
    [['drill', '--nemesis', 'random', '--faults', 'kill,meteor'], /--faults: "meteor" is not a fault a random schedule can draw/],
    [['drill', '--nemesis', 'random', '--interval', '30-10s'], /--interval must lie between 1 s and 600 s, its low end first/],
    [['drill', '--nemesis', 'random', '--scenario', 'kill-primary'], /--nemesis random plans its own faults; --scenario does not go with it/],
    [['up', '--data-fs-size', 'huge'], /--data-fs-size takes a size like 512m or 1g, not "huge"/],
    [['up', '--data-fs-size', '64m'], /the data file system's size must be a whole number of MB from 256 to 16384, not 64/],
    [['drill', '--target', 'vagrant', '--fake-clock'], /--fake-clock shapes a Docker cluster/],
    [['drill', '--target', 'vagrant', '--scenario', 'disk-full-primary'], /disk-full-primary: the disk-full fault needs the disk-fill capability, which machines of vagrant over SSH does not have/],
    [['drill', '--target', 'vagrant', '--scenario', 'clock-skew-standby'], /clock-skew-standby: the clock-skew fault needs the clock capability, which machines of vagrant over SSH does not have/],
    [['drill', '--target', 'vagrant', '--app', 'dsql'], /--app dsql runs a DSQL stand-in in a container in front of the endpoint: Docker clusters only, not with --target/],
    [['drill', '--dry-run'], /--dry-run shows what a drill of a cluster file would run: give --cluster <file>/],
    [['drill', '--cluster', '/nonexistent/staging.yaml', '--dry-run'], /^flipdrill: cluster file \/nonexistent\/staging\.yaml: no such file$/],
    [['drill', '--cluster', '/nonexistent/staging.yaml', '--name', 'x', '--dry-run'], /--name shapes a cluster flipdrill builds; with --cluster the file says what the cluster is/],
    [['drill', '--max-lost', '-1'], /^flipdrill: --max-lost must be an integer from 0 to 1000000, not "-1"$/],
    [['drill', '--concurency', '8'], /^flipdrill: unknown option '--concurency' \(did you mean --concurrency\?\)$/],
    [['drill', '--app', 'dsql', '--tls'], /--app dsql talks to its local DSQL stand-in without TLS/],
    [['report', '/nonexistent/runs'], /^flipdrill: no folder at \/nonexistent\/runs/],
  ])('flipdrill %j', async (args, message) => {
    const before = runs();
    const seen = connections;
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(runs()).toEqual(before);
    expect(connections).toBe(seen);
  }, 30_000);

  // Ten bad cluster files, each refused before anything is contacted or created (a real drill, --yes).
  const node = (name: string, extra = '  docker: x') => `  - name: ${name}\n    url: postgres://u@127.0.0.1:1/app\n  ${extra}\n`;
  const good = (top: string, nodes = node('a') + node('b')) => `name: s\nendpoint: postgres://u@127.0.0.1:1/app\n${top}nodes:\n${nodes}`;
  it.each([
    ['not YAML', 'name: [unclosed', /not valid YAML/],
    ['an unknown key', good('endpoints: x\n'), /unknown key "endpoints" \(did you mean "endpoint"\?\)/],
    ['a node with no driver', good('', node('a', '') + node('b')), /node a has no way to act on it/],
    ['a node with two drivers', good('', node('a', '  docker: x\n    commands: { kill: "true" }') + node('b')), /node a has docker and commands/],
    ['a password in the file', good('').replace('postgres://u@127.0.0.1:1/app\nnodes', 'postgres://u:secret@127.0.0.1:1/app\nnodes'), /a password written into the file/],
    ['an unset variable', good('').replace('u@127.0.0.1:1/app\nnodes', 'u:${FLIPDRILL_TEST_UNSET}@127.0.0.1:1/app\nnodes'), /\$\{FLIPDRILL_TEST_UNSET\} is not set/],
    ['one node', good('', node('a')), /at least two/],
    ['an unknown manager', good('manager: stolon\n'), /manager must be one of/],
    ['a bad expectation', good('expect: { maxWriteDownSecs: -1 }\n'), /expect\.maxWriteDownSecs must be a number of seconds from 1 to 600/],
    ['an SSH key that is not there', good('', node('a') + node('b', '  ssh: { host: h, user: u, key: /nonexistent/id }')), /node b\.ssh\.key: no such file/],
  ] as const)('a cluster file with %s: one line, exit 2, nothing contacted', async (_what, text, message) => {
    const file = path.join(dir, 'bad-cluster.yaml');
    writeFileSync(file, text);
    const before = runs();
    const seen = connections;
    const r = await cli(['drill', '--cluster', file, '--yes']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^flipdrill: cluster file .*bad-cluster\.yaml: /);
    expect(lines[0]).toMatch(message);
    expect(runs()).toEqual(before);
    expect(connections).toBe(seen);
  }, 30_000);

  it('the fake engine does count a command that gets as far as the engine (the check above can fail)', async () => {
    const seen = connections;
    const r = await cli(['status', '--name', 'valid-name']);
    expect(r.code).toBe(2);
    expect(connections).toBeGreaterThan(seen);
  }, 30_000);
  it('flipdrill --version, drill --help (its own, not the global help), help check, and a typo answered with the command meant', async () => {
    const version = await cli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^flipdrill \d+\.\d+\.\d+\n$/);
    const global = await cli(['--help']);
    const drill = await cli(['drill', '--help']);
    expect(drill.code).toBe(0);
    expect(drill.stdout).not.toBe(global.stdout);
    expect(drill.stdout).toMatch(/^Usage: flipdrill drill \[options\]/);
    expect(drill.stdout).toContain('--scenario <name|file>');
    expect(drill.stdout).toMatch(/Exit codes:\n  0 +PASS\n  1 +FAIL/);
    const check = await cli(['help', 'check']);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/^Usage: flipdrill check <run folder>/);
    expect(check.stdout).not.toContain('--scenario');
    const typo = await cli(['dril']);
    expect(typo.code).toBe(2);
    expect(typo.stderr.trim()).toBe('flipdrill: unknown command "dril" (did you mean drill?)');
  }, 60_000);

  it('with --json an error is JSON on stdout, with the same exit code, and nothing is created', async () => {
    const before = runs();
    const seen = connections;
    const r = await cli(['drill', '--json', '--port-base', 'x']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ error: '--port-base must be an integer from 1024 to 65533, not "x"' });
    const typo = await cli(['drill', '--json', '--concurency', '2']);
    expect(typo.code).toBe(2);
    expect(JSON.parse(typo.stdout)).toEqual({ error: "unknown option '--concurency'", hint: 'did you mean --concurrency?' });
    expect(runs()).toEqual(before);
    expect(connections).toBe(seen);
  }, 60_000);

  it('flipdrill scenarios --json: every built-in scenario, with its fault and what it expects', async () => {
    const r = await cli(['scenarios', '--json']);
    expect(r.code).toBe(0);
    const listed = JSON.parse(r.stdout) as { name: string; expect: { promotion: unknown } }[];
    expect(listed.map((s) => s.name)).toEqual(builtInScenarios().map((s) => s.name));
    expect(listed[0]!.expect).toEqual(builtInScenarios()[0]!.expect);
  });

  it('flipdrill scenarios: every built-in scenario, one line each, with the outcome it expects', async () => {
    const r = await cli(['scenarios']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^scenario +expected +fault$/);
    for (const s of builtInScenarios()) {
      const line = lines.find((l) => l.startsWith(`${s.name} `));
      expect(line, s.name).toContain(`${s.expect.promotion === 'either' ? 'failover or none' : s.expect.promotion ? 'failover' : 'no failover'}, writes down ≤ ${s.expect.maxWriteDownSecs} s`);
      expect(line).toContain(s.description);
    }
    expect(lines).toHaveLength(builtInScenarios().length + 1);
  });
});
