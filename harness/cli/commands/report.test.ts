/** `flipdrill report <runs folder>`, end to end: each folder left out of the index is named, one line each. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../../..');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-report-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('flipdrill report', () => {
  it('names each folder it left out, one line each, and still writes the index', { timeout: 20_000 }, () => {
    const report = (startedAt: string) => ({ schema: 'flipdrill.report/v1', scenario: 'kill-primary', startedAt, result: { verdict: 'PASS', lost: [], writeUnavailability: { ms: 1000 } } });
    for (const [name, startedAt] of [
      ['good', '2026-11-20T02:00:00.000Z'],
      ['far-future', new Date(8e15).toISOString()],
      ['last-valid-date', new Date(8.64e15).toISOString()],
    ]) {
      mkdirSync(path.join(dir, name!));
      writeFileSync(path.join(dir, name!, 'report.json'), JSON.stringify(report(startedAt!)));
    }
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli.ts', 'report', dir], { encoding: 'utf8', cwd: repo, timeout: 10_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`1 runs: ${path.join(dir, 'index.html')}\n`);
    expect(r.stderr.split('\n')).toEqual([
      'flipdrill: left out far-future: report.json has a startedAt before 2000 or more than a day from now',
      'flipdrill: left out last-valid-date: report.json has a startedAt before 2000 or more than a day from now',
      '',
    ]);
  });
});
