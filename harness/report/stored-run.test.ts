/** `flipdrill check` on run folders that are broken or hostile: a clear refusal, never a hang or a polluted process. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
    write('run.json', JSON.stringify({ schema: 'flipdrill.run/v1', scenario: `kill-primary${evil}`, expectations: {} }));
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
