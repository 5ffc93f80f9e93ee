/** `flipdrill check <folder>` on hostile run folders, end to end: a refusal in one line and exit 2, never a hang. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../../..');
const invoke = (p: number, id: string) => JSON.stringify({ process: p, type: 'invoke', f: 'write', time: p * 10, value: { id, name: `n${id}` } });
const ok = (p: number, id: string) => JSON.stringify({ process: p, type: 'ok', f: 'write', time: p * 10 + 5, value: { id, name: `n${id}` } });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-check-'));
  writeFileSync(path.join(dir, 'history.jsonl'), [invoke(1, 'a'), ok(1, 'a')].join('\n'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The command, killed after 10 s: a hang shows as a signal, not as a stuck test. */
const check = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli.ts', 'check', dir, ...args], { encoding: 'utf8', cwd: repo, timeout: 10_000 });

describe('flipdrill check --json', () => {
  it('refuses a FIFO or a link to /dev/zero as report.json at once, in one line, exit 2', { timeout: 40_000 }, () => {
    execFileSync('mkfifo', [path.join(dir, 'report.json')]);
    const fifo = check('--json');
    expect(fifo.signal, 'hung on the FIFO').toBeNull();
    expect(fifo.status).toBe(2);
    expect(fifo.stderr).toMatch(/^flipdrill: malformed run, not checked: .*report\.json is not a regular file\n$/);
    expect(JSON.parse(fifo.stdout)).toEqual({ error: expect.stringMatching(/report\.json is not a regular file/) });

    rmSync(path.join(dir, 'report.json'));
    symlinkSync('/dev/zero', path.join(dir, 'report.json'));
    const zero = check('--json');
    expect(zero.signal, 'still reading /dev/zero').toBeNull();
    expect(zero.status).toBe(2);
    expect(zero.stderr.split('\n')).toHaveLength(2);
  });

  it('says report.json is not valid JSON without quoting it', { timeout: 20_000 }, () => {
    writeFileSync(path.join(dir, 'report.json'), 'root:$6$saltsalt$hashhashhash:19000:0:99999:7:::\n');
    const r = check('--json');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^flipdrill: malformed run, not checked: report\.json in .* is not valid JSON\n$/);
    expect(r.stdout + r.stderr).not.toContain('root:');
    expect(r.stdout + r.stderr).not.toContain('$6$');
  });
});

describe('flipdrill check on a run.json that breaks its schema', () => {
  it.each([['[1,2]'], ['null'], ['{"schema":"flipdrill.run/v1","runId":"r","scenario":"kill-primary","startedAt":"2026-11-20T02:00:00.000Z","seed":1,"expectations":{"maxLost":0,"replication":"sync","promotion":true,"finalPrimary":"standby","maxWriteDownMs":"Infinity"}}']])(
    'refuses %s: one line, exit 2, nothing of the file quoted, never PASS',
    { timeout: 20_000 },
    (text) => {
      writeFileSync(path.join(dir, 'run.json'), text);
      const r = check();
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^flipdrill: malformed run, not checked: run\.json[^\n]*\n$/);
      expect(r.stderr).not.toContain('Infinity');
      expect(r.stderr).not.toContain('1,2');
    },
  );
});
