/** Run folders in a runs folder someone else may write to: no write through a planted link, no endless retry. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeRepeatHtmlReport } from './html/repeat-page.ts';
import { createRunFolder, writeJson } from './run-folder.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-run-folder-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('a run folder', () => {
  it("writes run.json and the run's other files without following a link planted at their names", () => {
    const run = createRunFolder(dir, new Date('2026-11-20T02:00:00Z'));
    const target = path.join(dir, 'target');
    writeFileSync(target, 'owner\n');
    symlinkSync(target, run.settings);
    expect(() => writeJson(run.settings, { schema: 'flipdrill.run/v1' })).toThrow(/run\.json is a symbolic link/);
    symlinkSync(target, path.join(run.dir, 'report.html'));
    expect(() => writeRepeatHtmlReport(run.dir, run.id, { schema: 'flipdrill.aggregate/v1', scenario: 'kill-primary', iterations: [], passed: 0, writeDownMs: { median: null, worst: null }, totalLost: 0, verdict: 'PASS' })).toThrow(/report\.html is a symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('owner\n');
    writeJson(run.report, { ok: true });
    expect(JSON.parse(readFileSync(run.report, 'utf8'))).toEqual({ ok: true });
  });

  it('gives up in one line on a runs folder it cannot create a folder in (/proc/self), instead of retrying for ever', { timeout: 30_000 }, () => {
    const script = `import('./harness/report/run-folder.ts').then((m) => { try { m.createRunFolder('/proc/self'); console.log('created'); } catch (e) { console.log(String(e.message)); } });`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', cwd: path.resolve(import.meta.dirname, '../..'), timeout: 10_000 });
    expect(r.signal, 'still retrying after 10 s').toBeNull();
    expect(r.stdout).toMatch(/^cannot create a run folder in \/proc\/self: ENOENT\n$/);
  });

  it('still creates the runs folder when it is not there yet, and a second folder of the same moment gets its own name', () => {
    const root = path.join(dir, 'new', 'runs');
    const at = new Date('2026-11-20T02:00:00Z');
    expect(createRunFolder(root, at).id).toBe('2026-11-20_02-00-00-000');
    expect(createRunFolder(root, at).id).toBe('2026-11-20_02-00-00-000-2');
  });
});
