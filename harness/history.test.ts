import { describe, expect, it } from 'vitest';
import { HistoryFormatError, parseHistory } from './history.ts';

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
  ])('names the line and what is wrong: %s', (text, message) => {
    expect(() => parseHistory(text)).toThrow(HistoryFormatError);
    expect(() => parseHistory(text)).toThrow(message);
  });
});
