/**
 * The ssh driver: the scripts it sends for each fault and undo, to whom, and what it makes of their
 * answers (against a stand-in for the SSH runner); and its process scripts run for real, with bash
 * on this host, against stand-in processes named `postgres` whose postmaster its pid file names
 * (so nothing else of this host's is touched).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClusterError } from '../../errors.ts';
import { waitFor } from '../../lib/wait-for.ts';
import type { SshHost, SshResult } from '../../remote/ssh.ts';
import { ONE_WAY_CHAIN } from '../../target.ts';
import { postmasterScript, sshDriver, type SshNode, type SshScripts } from './ssh-driver.ts';

type Sent = { host: SshHost; script: string; options?: { user?: string; timeoutMs?: number } };

function stand(node: Partial<SshNode> = {}, answer: (script: string) => Partial<SshResult> = () => ({})) {
  const sent: Sent[] = [];
  const ssh: SshScripts = {
    run: async (host, script, options) => {
      sent.push({ host, script, ...(options ? { options } : {}) });
      return { exitCode: 0, stdout: '', stderr: '', ...answer(script) };
    },
  };
  const driver = sshDriver({ name: 'pg2', host: '10.0.0.12', user: 'admin', manager: ['patroni'], ...node }, ssh);
  return { driver, sent };
}

describe('the ssh driver', () => {
  it('reaches the machine as the node says, the key in the home directory', async () => {
    const { driver, sent } = stand({ port: 2202, key: '~/.ssh/id_ed25519', sshOptions: ['-o', 'ProxyJump=bastion'] });
    await driver.core.kill!();
    expect(sent[0]!.host).toEqual({ name: 'pg2', host: '10.0.0.12', user: 'admin', port: 2202, privateKeyFile: path.join(os.homedir(), '.ssh/id_ed25519'), extraArgs: ['-o', 'ProxyJump=bastion'] });
    expect(driver.where).toBe('admin@10.0.0.12:2202');
    expect(await driver.addresses()).toEqual(['10.0.0.12']);
  });

  it("kills the manager's processes, the postmaster and its children at once, with the signal asked for", async () => {
    const { driver, sent } = stand({ dataDirectory: '/var/lib/postgresql/15/main/' });
    await driver.core.kill!('SIGTERM');
    const script = sent[0]!.script;
    expect(script).toContain('pm=$(head -n 1 /var/lib/postgresql/15/main/postmaster.pid 2>/dev/null)');
    expect(script).toContain('for m in patroni; do pids="$pids $(pgrep -x "$m" | tr "\\n" " ")"; done');
    expect(script.split('\n').at(-1)).toBe('kill -TERM $pids');
    expect(driver.core.describe('kill')).toMatch(/^on admin@10\.0\.0\.12:22 as root: pm=\$\(head -n 1 .*; kill -KILL \$pids$/);
  });

  it('finds the postmaster by pgrep when no data directory is named', () => {
    expect(postmasterScript()).toContain('for p in $(pgrep -x postgres); do [ "$(ps -o comm= -p "$(ps -o ppid= -p "$p" | tr -d " ")" 2>/dev/null)" = postgres ] || echo "$p"; done');
  });

  it('fails a step with the last lines of what the machine said', async () => {
    const { driver } = stand({}, () => ({ exitCode: 3, stderr: 'neither a postmaster nor patroni runs here\n' }));
    await expect(driver.core.kill!()).rejects.toThrow('kill on admin@10.0.0.12:22 (pg2) failed (exit 3): neither a postmaster nor patroni runs here');
  });

  it('points at the node\'s SSH settings when SSH itself fails', async () => {
    const ssh: SshScripts = { run: async () => Promise.reject(new Error('ssh admin@10.0.0.12 (pg2) failed: Permission denied (publickey)')) };
    const driver = sshDriver({ name: 'pg2', host: '10.0.0.12', user: 'admin' }, ssh);
    const error = await driver.core.isRunning!().catch((e: unknown) => e as ClusterError);
    expect((error as ClusterError).message).toBe('looking for the postmaster on admin@10.0.0.12:22 (pg2): ssh admin@10.0.0.12 (pg2) failed: Permission denied (publickey)');
    expect((error as ClusterError).hint).toBe("check the node's host, user, port and key, and that ssh to it works by hand");
  });

  it('starts by the service manager, or by the command the node gives, thawing first', async () => {
    const plain = stand({ manager: ['pg_autoctl'], services: ['pgautofailover'] });
    await plain.driver.core.start!();
    expect(plain.sent[0]!.script.split('\n').at(-1)).toBe('if [ -d /run/systemd/system ]; then systemctl start pgautofailover; else for s in pgautofailover; do service "$s" start || exit; done; fi');
    expect(plain.sent[0]!.script).toContain('for m in pg_autoctl; do pkill -CONT -x "$m" || true; done');
    expect(plain.sent[0]!.options).toEqual({ timeoutMs: 180_000 });
    const own = stand({ start: 'sudo -u postgres /opt/start-node' });
    await own.driver.core.start!();
    expect(own.sent[0]!.script.split('\n').at(-1)).toBe('sudo -u postgres /opt/start-node');
    const none = stand({ manager: [] });
    expect(none.driver.core.describe('start')).toContain('systemctl start postgresql;');
  });

  it('stops by signals and waits, or by the command the node gives', async () => {
    const plain = stand({ stopTimeoutSecs: 5 });
    await plain.driver.core.stop!();
    expect(plain.sent[0]!.script).toContain('for m in patroni; do pkill -TERM -x "$m" || true; done\n[ -z "$pm" ] || kill -INT "$pm"');
    expect(plain.sent[0]!.script).toContain('for _ in $(seq 1 50); do');
    expect(plain.sent[0]!.options).toEqual({ timeoutMs: 35_000 });
    const own = stand({ stop: 'systemctl stop patroni' });
    await own.driver.core.stop!();
    expect(own.sent[0]!.script).toBe('systemctl stop patroni');
  });

  it('says whether the node runs by its exit code, and fails when the machine cannot tell', async () => {
    expect(await stand({}, () => ({ exitCode: 0 })).driver.core.isRunning!()).toBe(true);
    expect(await stand({}, () => ({ exitCode: 1 })).driver.core.isRunning!()).toBe(false);
    await expect(stand({}, () => ({ exitCode: 3, stderr: 'more than one postmaster runs here (pids 10 20 )' })).driver.core.isRunning!()).rejects.toThrow('could not tell whether pg2 runs: more than one postmaster');
  });

  it('runs a command quoted, as the user asked for', async () => {
    const { driver, sent } = stand();
    await driver.core.exec!(['psql', '-c', 'select 1'], { user: 'postgres' });
    expect(sent[0]).toMatchObject({ script: "psql -c 'select 1'", options: { user: 'postgres' } });
  });

  it('partitions by chains that keep SSH open, on port 22 and the one it connects to', async () => {
    const { driver, sent } = stand({ port: 2202 });
    await driver.capabilities.partition!.partition();
    const script = sent[0]!.script;
    expect(script).toContain('iptables -w -A FLIPDRILL-PARTITION-IN -i lo -j RETURN\niptables -w -A FLIPDRILL-PARTITION-IN -p tcp --dport 22 -j RETURN\niptables -w -A FLIPDRILL-PARTITION-IN -p tcp --dport 2202 -j RETURN\niptables -w -A FLIPDRILL-PARTITION-IN -j DROP');
    expect(script).toContain('iptables -w -A FLIPDRILL-PARTITION-OUT -p tcp --sport 22 -j RETURN\niptables -w -A FLIPDRILL-PARTITION-OUT -p tcp --sport 2202 -j RETURN\niptables -w -A FLIPDRILL-PARTITION-OUT -j DROP');
    await driver.capabilities.partition!.heal();
    expect(sent[1]!.script).toContain('! iptables -w -S FLIPDRILL-PARTITION-IN >/dev/null 2>&1 && ! iptables -w -S FLIPDRILL-PARTITION-OUT >/dev/null 2>&1');
    const shaped = stand({ sshdPorts: [22] });
    await shaped.driver.capabilities['network-shape']!.shapeNetwork({ lossPct: 5 });
    expect(shaped.sent[0]!.script).toContain('iptables -w -A FLIPDRILL-SHAPE-OUT -p tcp --sport 22 -j RETURN');
    expect(shaped.sent[0]!.script).not.toContain('2202');
  });

  it('drops the other nodes\' packets for a one-way partition', async () => {
    const { driver, sent } = stand();
    await driver.capabilities['one-way-partition']!.partitionOneWay(['10.0.0.11', '10.0.0.13']);
    expect(sent[0]!.script).toContain(`iptables -w -A ${ONE_WAY_CHAIN} -s 10.0.0.11/32 -j DROP\niptables -w -A ${ONE_WAY_CHAIN} -s 10.0.0.13/32 -j DROP`);
    await expect(driver.capabilities['one-way-partition']!.partitionOneWay([])).rejects.toThrow('no address of another node is known');
  });

  it('names what it left: frozen processes, chains, a shape', async () => {
    const { driver } = stand({}, (script) => {
      if (script.includes('cut -c1)" = T ]')) return { stdout: 'its postmaster\npatroni\n' };
      if (script.includes('iptables -w -S FLIPDRILL-PARTITION-IN')) return { stdout: 'FLIPDRILL-PARTITION-IN\n' };
      if (script.includes('FLIPDRILL-SHAPE')) return { stdout: 'firewall rules of a network shape\n' };
      return {};
    });
    expect(await driver.capabilities.freeze!.leftovers()).toEqual(['pg2 is frozen (its postmaster, patroni stopped)']);
    expect(await driver.capabilities.partition!.leftovers()).toEqual(["pg2 still has the partition's firewall rules"]);
    expect(await driver.capabilities['one-way-partition']!.leftovers()).toEqual([]);
    expect(await driver.capabilities['network-shape']!.leftovers()).toEqual(['pg2 still has firewall rules of a network shape']);
  });
});

describe("the ssh driver's process scripts, run for real", () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-ssh-driver-'));
  const started: number[] = [];
  afterAll(() => {
    for (const pid of started) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    rmSync(work, { recursive: true, force: true });
  });

  /** A stand-in postmaster (a script named postgres) with two children (`sleep` named postgres), and a manager named fdtestmgr. */
  async function cluster() {
    const dir = mkdtempSync(path.join(work, 'node-'));
    mkdirSync(path.join(dir, 'bin'));
    mkdirSync(path.join(dir, 'data'));
    copyFileSync('/bin/sleep', path.join(dir, 'bin', 'postgres'));
    copyFileSync('/bin/sleep', path.join(dir, 'bin', 'fdtestmgr'));
    const postmaster = path.join(dir, 'postgres');
    writeFileSync(postmaster, `#!/bin/sh\necho $$ > ${dir}/data/postmaster.pid\ntrap 'kill $a $b; exit 0' INT TERM\n${dir}/bin/postgres 600 & a=$!\n${dir}/bin/postgres 600 & b=$!\nwait\n`);
    chmodSync(postmaster, 0o755);
    const spawnGroup = (file: string, args: string[]) => {
      const child = spawn(file, args, { detached: true, stdio: 'ignore' });
      child.unref();
      started.push(child.pid!);
      return child.pid!;
    };
    spawnGroup(postmaster, []);
    const manager = spawnGroup(path.join(dir, 'bin', 'fdtestmgr'), ['600']);
    const pm = await waitFor('the stand-in postmaster and its children', async () => {
      const pid = Number(readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8').trim());
      return children(pid).length === 2 ? pid : undefined;
    }, { timeoutMs: 10_000, intervalMs: 50 });
    // Bash on this host as the machine: the scripts as they would run over SSH.
    const ssh: SshScripts = {
      run: (_host, script) =>
        new Promise((resolve) => {
          const child = spawn('bash', ['-s'], { stdio: ['pipe', 'pipe', 'pipe'] });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
          child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
          child.on('close', (code) => resolve({ exitCode: code ?? 1, stdout, stderr }));
          child.stdin.end(`${script}\n`);
        }),
    };
    const driver = sshDriver({ name: 'pg2', host: '127.0.0.1', user: 'root', manager: ['fdtestmgr'], dataDirectory: path.join(dir, 'data'), stopTimeoutSecs: 10 }, ssh);
    return { driver, pm, manager, kids: children(pm) };
  }

  function state(pid: number): string {
    try {
      return /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? 'gone';
    } catch {
      return 'gone';
    }
  }
  function children(pid: number): number[] {
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }
  const dead = (pid: number) => ['gone', 'Z'].includes(state(pid));

  it('freezes the postmaster, its children and the manager, finds them frozen, and thaws them', async () => {
    const { driver, pm, manager, kids } = await cluster();
    expect(await driver.core.isRunning!()).toBe(true);
    await driver.capabilities.freeze!.pause();
    expect([pm, ...kids, manager].map(state)).toEqual(['T', 'T', 'T', 'T']);
    expect(await driver.core.isRunning!()).toBe(false);
    expect(await driver.capabilities.freeze!.leftovers()).toEqual(['pg2 is frozen (its postmaster, fdtestmgr stopped)']);
    await driver.capabilities.freeze!.unpause();
    expect([pm, ...kids, manager].map(state).every((s) => s !== 'T')).toBe(true);
    expect(await driver.capabilities.freeze!.leftovers()).toEqual([]);
    await driver.core.kill!();
  });

  it('kills them all, and then finds no postmaster running', async () => {
    const { driver, pm, manager, kids } = await cluster();
    await driver.core.kill!();
    await waitFor('every stand-in process dead', async () => [pm, ...kids, manager].every(dead), { timeoutMs: 10_000, intervalMs: 50 });
    expect(await driver.core.isRunning!()).toBe(false);
    await expect(driver.core.kill!()).rejects.toThrow('neither a postmaster nor fdtestmgr runs here');
  });

  it('stops a frozen node: the manager told to end, the postmaster to shut down fast, both waited for', async () => {
    const { driver, pm, manager } = await cluster();
    await driver.capabilities.freeze!.pause();
    await driver.core.stop!();
    expect(dead(pm)).toBe(true);
    expect(dead(manager)).toBe(true);
  });
});
