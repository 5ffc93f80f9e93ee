/** `flipdrill check` on run folders that are broken or hostile: a clear refusal, never a hang or a polluted process. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistoryFormatError } from '../history.ts';
import { loadRun, RunFolderError } from './stored-run.ts';
import { printable, renderSummary } from './summary.ts';

const invoke = (p: number, id: string, db?: string) => JSON.stringify({ process: p, type: 'invoke', f: 'write', time: p * 10, value: { id, name: `n${id}`, ...(db ? { db } : {}) } });
const ok = (p: number, id: string, db?: string, error?: string) =>
  JSON.stringify({ process: p, type: error ? 'fail' : 'ok', f: 'write', time: p * 10 + 5, value: { id, name: `n${id}`, ...(db ? { db } : {}) }, ...(error ? { error } : {}) });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-stored-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => writeFileSync(path.join(dir, name), text);

describe('a hostile or broken run folder', () => {
  it('"__proto__" as a database or an error code is only a key: nothing reaches Object.prototype', () => {
    write('history.jsonl', [invoke(1, 'a', '__proto__'), ok(1, 'a', '__proto__'), invoke(2, 'b'), ok(2, 'b', undefined, '__proto__')].join('\n'));
    const result = loadRun(dir).check();
    expect(({} as Record<string, unknown>).ok).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'ok')).toBe(false);
    expect(JSON.parse(JSON.stringify(result.writesByDatabase))).toEqual({ ['__proto__']: { ok: 1, lost: 0 } });
  });

  it('a null line or a line without wall time in events.jsonl names the file and line', () => {
    write('history.jsonl', [invoke(1, 'a'), ok(1, 'a')].join('\n'));
    write('events.jsonl', '{"type":"phase","wall":1}\nnull\n');
    expect(() => loadRun(dir)).toThrow(new HistoryFormatError(2, 'not an object', 'events.jsonl'));
    write('events.jsonl', '{"type":"phase"}\n');
    expect(() => loadRun(dir)).toThrow(/events.jsonl line 1: wall must be a number/);
  });

  it('final-read.json with rows that are not a list, or rows without ids, names the file and what is wrong', () => {
    write('history.jsonl', [invoke(1, 'a'), ok(1, 'a')].join('\n'));
    write('final-read.json', '{"node":"node2","rows":5}');
    expect(() => loadRun(dir)).toThrow(/final-read.json: rows must be an array, not 5/);
    write('final-read.json', '{"node":"node2","rows":[{"id":"a"},{"id":7}]}');
    expect(() => loadRun(dir)).toThrow(/final-read.json: row 2: id must be a string/);
    write('final-read.json', 'null');
    expect(() => loadRun(dir)).toThrow(RunFolderError);
  });

  it('refuses a FIFO and a symlink to /dev/zero as history.jsonl at once, instead of hanging', () => {
    execFileSync('mkfifo', [path.join(dir, 'history.jsonl')]);
    const t0 = Date.now();
    expect(() => loadRun(dir)).toThrow(/is not a regular file/);
    rmSync(path.join(dir, 'history.jsonl'));
    symlinkSync('/dev/zero', path.join(dir, 'history.jsonl'));
    expect(() => loadRun(dir)).toThrow(/is not a regular file/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('refuses a file above the size cap', async () => {
    const { readRunFile } = await import('./stored-run.ts');
    write('history.jsonl', 'x'.repeat(2000));
    expect(() => readRunFile(path.join(dir, 'history.jsonl'), 1000)).toThrow(/2000 bytes, more than the 1000/);
  });

  it('what the history says reaches the terminal without escape sequences', () => {
    const evil = '\u001b]0;pwned\u0007\u001b[2J';
    write('history.jsonl', [invoke(1, 'a'), ok(1, 'a')].join('\n'));
    write('events.jsonl', `${JSON.stringify({ type: 'fault', kind: `kill${evil}`, node: `node1${evil}`, wall: 1, time: 1 })}\n`);
    write('run.json', JSON.stringify({ schema: 'flipdrill.run/v1', runId: 'r', scenario: `kill-primary${evil}`, startedAt: '2026-11-20T02:00:00.000Z', seed: 1, expectations: { maxLost: 0, replication: 'sync', promotion: 'either', finalPrimary: 'either' } }));
    const stored = loadRun(dir);
    const raw = renderSummary(stored.check(), dir, stored.settings?.scenario);
    expect(raw).toMatch(/\u001b/);
    const text = printable(raw);
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain(']0;pwned');
    // And the command itself, end to end.
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli.ts', 'check', dir], { encoding: 'utf8', cwd: path.resolve(import.meta.dirname, '../..') });
    expect(r.stdout).not.toMatch(/\u001b/);
    expect(r.stdout).toContain(']0;pwned');
  });
});

describe('run.json and the other run files, checked before they are believed', () => {
  const settings = {
    schema: 'flipdrill.run/v1',
    runId: '2026-11-20_02-00-00-000',
    scenario: 'kill-primary',
    startedAt: '2026-11-20T02:00:00.000Z',
    seed: 7,
    expectations: { maxLost: 0, replication: 'sync', promotion: true, finalPrimary: 'standby', maxWriteDownMs: 30_000 },
    workload: { name: 'set', prefix: 'r/' },
  };
  const history = () => write('history.jsonl', [invoke(1, 'a'), ok(1, 'a')].join('\n'));

  it('takes a run.json of its schema', () => {
    history();
    write('run.json', JSON.stringify(settings));
    expect(loadRun(dir).settings).toEqual(settings);
    write('run.json', JSON.stringify({ ...settings, workload: { name: 'bank', prefix: 'r/', accounts: 5, balance: 100 } }));
    expect(loadRun(dir).settings?.workload).toEqual({ name: 'bank', prefix: 'r/', accounts: 5, balance: 100 });
  });

  it.each([
    ['[1,2]', 'run.json is not an object'],
    ['null', 'run.json is not an object'],
    ['{"schema":"flipdrill.run/v9"}', 'run.json is not of schema flipdrill.run/v1'],
    [JSON.stringify({ ...settings, expectations: { ...settings.expectations, maxWriteDownMs: 'Infinity' } }), 'run.json: expectations.maxWriteDownMs must be a number of 0 or more'],
    [JSON.stringify({ ...settings, expectations: { ...settings.expectations, maxWriteDownMs: 1e309 } }), 'run.json: expectations.maxWriteDownMs must be a number of 0 or more'],
    [JSON.stringify({ ...settings, expectations: {} }), 'run.json: expectations.maxLost must be a whole number of 0 or more'],
    [JSON.stringify({ ...settings, expectations: { ...settings.expectations, maxLost: -1 } }), 'run.json: expectations.maxLost must be a whole number of 0 or more'],
    [JSON.stringify({ ...settings, expectations: { ...settings.expectations, replication: 'sometimes' } }), 'run.json: expectations.replication must be sync or async'],
    [JSON.stringify({ ...settings, expectations: { ...settings.expectations, promotion: 'yes' } }), 'run.json: expectations.promotion must be true, false or "either"'],
    [JSON.stringify({ ...settings, expectations: { ...settings.expectations, finalPrimary: 'node9' } }), 'run.json: expectations.finalPrimary must be primary, standby or either'],
    [JSON.stringify({ ...settings, expectations: { ...settings.expectations, rejoin: 'true' } }), 'run.json: expectations.rejoin must be true or false'],
    [JSON.stringify({ ...settings, expectations: { ...settings.expectations, sessionGuarantees: ['linearizable'] } }), 'run.json: expectations.sessionGuarantees must be a list of read-your-writes, monotonic-reads, no-deposed-read'],
    [JSON.stringify({ ...settings, expectations: { ...settings.expectations, sessionGuarantees: 'read-your-writes' } }), 'run.json: expectations.sessionGuarantees must be a list of read-your-writes, monotonic-reads, no-deposed-read'],
    [JSON.stringify({ ...settings, expectations: { ...settings.expectations, secretlyLenient: true } }), 'run.json: expectations has a field this flipdrill does not know'],
    [JSON.stringify({ ...settings, expectations: [] }), 'run.json: expectations must be an object'],
    [JSON.stringify({ ...settings, scenario: 7 }), 'run.json: scenario must be a string'],
    [JSON.stringify({ ...settings, seed: 'x' }), 'run.json: seed must be a whole number'],
    [JSON.stringify({ ...settings, workload: { name: 'root:$6$', prefix: 'r/' } }), 'run.json: workload.name must be one of set, bank, contract'],
    [JSON.stringify({ ...settings, workload: { name: 'bank', prefix: 'r/', accounts: 'Infinity', balance: 100 } }), 'run.json: workload.accounts must be a whole number of 1 or more'],
  ])('refuses run.json %s, naming what is wrong and quoting nothing of it', (text, message) => {
    history();
    write('run.json', text);
    let error: unknown;
    try {
      loadRun(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RunFolderError);
    expect((error as Error).message).toBe(`${message} (in ${dir})`);
  });

  it('reads no run file through a link, and says a file is not JSON without quoting it', () => {
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-stored-elsewhere-'));
    try {
      writeFileSync(path.join(elsewhere, 'history.jsonl'), [invoke(1, 'a'), ok(1, 'a')].join('\n'));
      writeFileSync(path.join(elsewhere, 'shadow'), 'root:$6$saltsalt$hashhashhash:19000:0:99999:7:::\n');
      symlinkSync(path.join(elsewhere, 'history.jsonl'), path.join(dir, 'history.jsonl'));
      expect(() => loadRun(dir)).toThrow(/history\.jsonl is not a regular file: a symbolic link, not followed/);
      rmSync(path.join(dir, 'history.jsonl'));
      history();
      symlinkSync(path.join(elsewhere, 'shadow'), path.join(dir, 'run.json'));
      expect(() => loadRun(dir)).toThrow(/run\.json is not a regular file: a symbolic link, not followed/);
      rmSync(path.join(dir, 'run.json'));
      write('run.json', readFileSync(path.join(elsewhere, 'shadow'), 'utf8'));
      expect(() => loadRun(dir)).toThrow(new RunFolderError(`run.json in ${dir} is not valid JSON`));
      write('final-read.json', readFileSync(path.join(elsewhere, 'shadow'), 'utf8'));
      rmSync(path.join(dir, 'run.json'));
      expect(() => loadRun(dir)).toThrow(new RunFolderError(`final-read.json in ${dir} is not valid JSON`));
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
