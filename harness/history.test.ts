import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HistoryFormatError, JsonLinesWriter, parseHistory } from './history.ts';
import { createRunFolder } from './report/run-folder.ts';

describe('parseHistory', () => {
  it('reads one operation per line and skips blank lines', () => {
    const ops = parseHistory('{"process":0,"type":"invoke","f":"write","value":{"id":"a"},"time":1}\n\n{"process":0,"type":"ok","f":"write","value":{"id":"a"},"time":2}\n');
    expect(ops.map((o) => o.type)).toEqual(['invoke', 'ok']);
  });

  it.each([
    ['{"process":0,"type":"invoke","f":"write","time":1}\nnot json', 'line 2: not JSON'],
    ['{"process":"x","type":"invoke","f":"write","time":1}', 'line 1: process must be an integer'],
    ['{"process":0,"type":"done","f":"write","time":1}', 'line 1: type must be invoke, ok, fail or info, not "done"'],
    ['{"process":0,"type":"ok","f":"Delete!","time":1}', 'line 1: f must be an operation name (write, read, transfer...), not "Delete!"'],
    ['{"process":0,"type":"ok","f":"read"}', 'line 1: time must be a number'],
    ['{"process":0,"session":-1,"type":"invoke","f":"read","time":1}', 'line 1: session must be a whole number'],
    ['{"process":0,"session":"w0","type":"invoke","f":"read","time":1}', 'line 1: session must be a whole number'],
  ])('names the line and what is wrong: %s', (text, message) => {
    expect(() => parseHistory(text)).toThrow(HistoryFormatError);
    expect(() => parseHistory(text)).toThrow(message);
  });
});

describe("JsonLinesWriter, on a run folder's history.jsonl and events.jsonl", () => {
  const inTemp = (body: (root: string) => void) => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-jsonl-'));
    try {
      body(root);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };

  it('writes a new file, one JSON object per line', () => {
    inTemp((root) => {
      const run = createRunFolder(path.join(root, 'runs'));
      const w = new JsonLinesWriter<{ a: number }>(run.history);
      w.append({ a: 1 });
      w.append({ a: 2 });
      w.close();
      expect(readFileSync(run.history, 'utf8')).toBe('{"a":1}\n{"a":2}\n');
    });
  });

  for (const name of ['history', 'events'] as const) {
    it(`refuses a link planted at ${name}.jsonl, and the file it leads to is left as it was`, () => {
      inTemp((root) => {
        const run = createRunFolder(path.join(root, 'runs'));
        const target = path.join(root, 'victim');
        writeFileSync(target, 'precious\n');
        symlinkSync(target, run[name]);
        expect(() => new JsonLinesWriter(run[name]).append({ type: 'x' })).toThrow(new RegExp(`${name}\\.jsonl`));
        expect(readFileSync(target, 'utf8')).toBe('precious\n');
        expect(lstatSync(run[name]).isSymbolicLink()).toBe(true);
      });
    });

    it(`refuses a dangling link at ${name}.jsonl: nothing is made where it points`, () => {
      inTemp((root) => {
        const run = createRunFolder(path.join(root, 'runs'));
        const target = path.join(root, 'made-by-the-link');
        symlinkSync(target, run[name]);
        expect(() => new JsonLinesWriter(run[name]).append({ type: 'x' })).toThrow(new RegExp(`${name}\\.jsonl`));
        expect(existsSync(target)).toBe(false);
      });
    });
  }

  it('refuses a file already there (a run folder is new; its files are too)', () => {
    inTemp((root) => {
      const run = createRunFolder(path.join(root, 'runs'));
      writeFileSync(run.history, 'earlier\n');
      expect(() => new JsonLinesWriter(run.history)).toThrow(/history\.jsonl/);
      expect(readFileSync(run.history, 'utf8')).toBe('earlier\n');
    });
  });
});
