/**
 * junit.xml: the drill as a JUnit test suite, for CI systems that gate a merge on test results.
 * One test case per check the checker made (each is an expectation of the scenario: a promotion,
 * the endpoint moved, nothing lost...), named by the check's stable id so that a changed budget
 * does not rename it in a CI system's history; the expectation in words, its thresholds and the
 * figures found are the case's properties; a failure carries the evidence, and the summary is the
 * suite's output. The format is the common one (Jenkins, GitLab, GitHub's test reporters), pinned
 * down by docs/junit.xsd, which a test validates every file against.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Check, CheckResult, WriteRef } from '../checker/checker.ts';

/** What junit.xml needs of report.json. */
export interface JunitInput {
  runId: string;
  scenario: string;
  startedAt: string;
  finishedAt: string;
  result: CheckResult;
}

const xmlEscape = (s: string) =>
  s
    // XML 1.0 has no place for most control characters, even escaped.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

function lostEvidence(lost: readonly WriteRef[], limit = 50): string {
  const lines = lost.slice(0, limit).map((w) => `  ${w.id} (process ${w.process}, invoked at ${w.invokedAtMs} ms, acknowledged at ${w.completedAtMs ?? '?'} ms${w.committedBy ? ` by ${w.committedBy} on timeline ${w.committedTimeline}` : ''})`);
  if (lost.length > limit) lines.push(`  ... and ${lost.length - limit} more (report.json lists them all)`);
  return lines.join('\n');
}

/** The evidence a failed check carries: its detail, and the writes it is about where there are some. */
function evidence(check: Check, result: CheckResult): string {
  const { id, detail } = check;
  if (id === 'lost-within-budget' && result.lost.length) return `${detail}\nlost acknowledged writes:\n${lostEvidence(result.lost)}`;
  if (id === 'no-failed-write-present' && result.contradicted.length) return `${detail}\nwrites answered "failed" but present:\n${lostEvidence(result.contradicted)}`;
  if (id === 'no-duplicate' && result.duplicated.length) return `${detail}\n${result.duplicated.map((d) => `  ${d.id} x${d.count}`).join('\n')}`;
  if (id === 'no-impossible-read' && result.readAnomalies.length) return `${detail}\n${result.readAnomalies.slice(0, 50).map((r) => `  ${r.id} (process ${r.process}, read at ${r.readAtMs} ms): ${r.kind}`).join('\n')}`;
  if (id === 'no-split-brain' && result.splitBrain) return `${detail}\n${lostEvidence(result.splitBrain.writes)}`;
  return detail;
}

function propertiesOf(check: Check): string[] {
  const entries: [string, string][] = [['description', check.name], ...Object.entries(check.properties ?? {}).map(([k, v]) => [k, String(v)] as [string, string])];
  return ['      <properties>', ...entries.map(([name, value]) => `        <property name="${xmlEscape(name)}" value="${xmlEscape(value)}"/>`), '      </properties>'];
}

export function renderJunit(input: JunitInput, hostname = os.hostname()): string {
  const { result } = input;
  const seconds = Math.max(0, (Date.parse(input.finishedAt) - Date.parse(input.startedAt)) / 1000);
  const failures = result.checks.filter((c) => !c.ok).length;
  const suite = `flipdrill.${input.scenario}`;
  const properties = [
    ['runId', input.runId],
    ['scenario', input.scenario],
    ['verdict', result.verdict],
    ['replication', result.expectations.replication],
    ['writeDownMs', String(result.writeUnavailability?.ms ?? '')],
    ['promotionMs', String(result.promotion?.observedMs ?? '')],
    ['lostWrites', String(result.lost.length)],
  ];
  const cases = result.checks.map((c) => {
    // Reports written before checks had ids: their sentence is the only name there is.
    const head = [`    <testcase classname="${xmlEscape(suite)}" name="${xmlEscape(c.id ?? c.name)}" time="0">`, ...propertiesOf(c)].join('\n');
    if (c.ok) return `${head}\n      <system-out>${xmlEscape(c.detail)}</system-out>\n    </testcase>`;
    return `${head}\n      <failure message="${xmlEscape(c.detail)}" type="flipdrill.check">${xmlEscape(evidence(c, result))}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="flipdrill" tests="${result.checks.length}" failures="${failures}" errors="0" time="${seconds.toFixed(3)}">`,
    `  <testsuite name="${xmlEscape(suite)}" tests="${result.checks.length}" failures="${failures}" errors="0" skipped="0" time="${seconds.toFixed(3)}" timestamp="${xmlEscape(input.startedAt.replace(/Z$/, ''))}" hostname="${xmlEscape(hostname)}">`,
    '    <properties>',
    ...properties.map(([name, value]) => `      <property name="${xmlEscape(name!)}" value="${xmlEscape(value!)}"/>`),
    '    </properties>',
    ...cases,
    `    <system-out>${xmlEscape(`verdict: ${result.verdict} (run ${input.runId})`)}</system-out>`,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** Write junit.xml into a finished run folder, from its report.json. */
export function writeJunitReport(runDir: string): string {
  const report = JSON.parse(readFileSync(path.join(runDir, 'report.json'), 'utf8')) as JunitInput;
  const file = path.join(runDir, 'junit.xml');
  writeFileSync(file, renderJunit(report));
  return file;
}
