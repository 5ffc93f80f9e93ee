import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../checker/checker.ts';
import type { Op } from '../op.ts';
import { junitSchemaErrors } from '../test-support/report-files.ts';
import { renderJunit, renderJunitError, renderJunitIterations, writeJunitReport } from './junit.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-junit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ms = (n: number) => n * 1e6;
/** Two acknowledged writes, one of them missing from the final read: a lost write, so a FAIL. */
function failingResult() {
  const history: Op[] = [
    { process: 0, type: 'invoke', f: 'write', value: { id: 'a', name: 'run/a' }, time: ms(1) },
    { process: 0, type: 'ok', f: 'write', value: { id: 'a', name: 'run/a', committed_by: 'node1', committed_timeline: 1, committed_at: '2026-01-01T00:00:00Z' }, time: ms(2) },
    { process: 1, type: 'invoke', f: 'write', value: { id: 'b<&>"', name: 'run/b' }, time: ms(3) },
    { process: 1, type: 'ok', f: 'write', value: { id: 'b<&>"', name: 'run/b', committed_by: 'node1', committed_timeline: 1, committed_at: '2026-01-01T00:00:00Z' }, time: ms(4) },
  ];
  return check({
    history,
    events: [{ type: 'fault', kind: 'kill', node: 'node1', wall: 0, time: ms(5) }],
    finalRead: { node: 'node2', synchronousStandbyNames: '', rows: [{ id: 'a', committed_by: 'node1', committed_timeline: 1, committed_at_us: 1 }] },
    expectations: { maxLost: 0, replication: 'async', promotion: false, finalPrimary: 'primary' },
  });
}

describe('junit.xml', () => {
  it('has one test case per check, and a failure with the lost write as evidence', () => {
    const result = failingResult();
    expect(result.verdict).toBe('FAIL');
    const xml = renderJunit({ runId: 'r1', scenario: 'kill-primary', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:12.500Z', result }, 'ci-host');
    expect(xml.match(/<testcase /g)).toHaveLength(result.checks.length);
    const failed = result.checks.filter((c) => !c.ok);
    expect(failed.length).toBeGreaterThan(0);
    expect(xml.match(/<failure /g)).toHaveLength(failed.length);
    expect(xml).toContain(`tests="${result.checks.length}" failures="${failed.length}" errors="0" time="12.500"`);
    // The lost write's id, escaped, in the evidence.
    expect(xml).toContain('b&lt;&amp;&gt;&quot;');
    expect(xml).not.toContain('b<&>"');
    expect(xml).toContain('<property name="verdict" value="FAIL"/>');
  });

  it("names each case by its check's stable id: a changed budget changes a property, not the name", () => {
    const render = (maxLost: number) => {
      const result = { ...failingResult() };
      const rechecked = check({ history: [], events: [], finalRead: null, expectations: { maxLost } });
      return renderJunit({ runId: 'r', scenario: 'kill-primary', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.000Z', result: { ...result, checks: rechecked.checks } }, 'ci-host');
    };
    const names = (xml: string) => [...xml.matchAll(/<testcase classname="[^"]*" name="([^"]*)"/g)].map((m) => m[1]);
    const strict = render(0);
    const lenient = render(5);
    expect(names(strict)).toEqual(names(lenient));
    expect(names(strict)).toContain('lost-within-budget');
    expect(strict).toContain('<property name="maxLost" value="0"/>');
    expect(lenient).toContain('<property name="maxLost" value="5"/>');
    expect(strict).toContain('<property name="description" value="acknowledged writes lost within budget (0)"/>');
  });

  it('for a drill that stopped with an error: one case in error with the reason, valid against the XSD', () => {
    const xml = renderJunitError(
      { runId: 'r3', scenario: 'kill-primary', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:01:30.000Z', error: { type: 'WaitTimeoutError', message: 'timed out after 90.0s waiting for a healthy cluster' } },
      'ci-host',
    );
    expect(xml).toContain('tests="1" failures="0" errors="1"');
    expect(xml).toContain('<testcase classname="flipdrill.kill-primary" name="drill" time="0">');
    expect(xml).toContain('<error message="timed out after 90.0s waiting for a healthy cluster" type="WaitTimeoutError">');
    expect(xml).toContain('<property name="verdict" value="ERROR"/>');
    const file = path.join(dir, 'error.xml');
    writeFileSync(file, xml);
    expect(junitSchemaErrors(file)).toEqual([]);
  });

  it('for --repeat: one suite, a case per iteration and check, the iteration in the class name, valid against the XSD', () => {
    const failing = failingResult();
    const passing = check({ history: [], events: [], finalRead: null });
    const xml = renderJunitIterations(
      { runId: 'r4', scenario: 'kill-primary-failback', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:05:00.000Z', verdict: 'FAIL', iterations: [{ folder: 'iteration-01', result: failing }, { folder: 'iteration-02', result: passing }] },
      'ci-host',
    );
    expect(xml.match(/<testsuite /g)).toHaveLength(1);
    expect(xml.match(/<testcase /g)).toHaveLength(failing.checks.length + passing.checks.length);
    expect(xml).toContain('<testcase classname="flipdrill.kill-primary-failback.iteration-01" name="lost-within-budget" time="0">');
    expect(xml).toContain('<testcase classname="flipdrill.kill-primary-failback.iteration-02" name="lost-within-budget" time="0">');
    const failures = [failing, passing].reduce((n, r) => n + r.checks.filter((c) => !c.ok).length, 0);
    expect(xml).toContain(`failures="${failures}" errors="0"`);
    const file = path.join(dir, 'repeat.xml');
    writeFileSync(file, xml);
    expect(junitSchemaErrors(file)).toEqual([]);
  });

  it('is written next to report.json', () => {
    const result = failingResult();
    writeFileSync(path.join(dir, 'report.json'), JSON.stringify({ runId: 'r2', scenario: 's', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.000Z', result }));
    const file = writeJunitReport(dir);
    expect(readFileSync(file, 'utf8')).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="flipdrill"/);
  });
});
