/**
 * junit.xml: the drill as a JUnit test suite, for CI systems that gate a merge on test results.
 * One test case per check the checker made (each is an expectation of the scenario: a promotion,
 * the endpoint moved, nothing lost...), named by the check's stable id so that a changed budget
 * does not rename it in a CI system's history; the expectation in words, its thresholds and the
 * figures found are the case's properties; a failure carries the evidence, and the summary is the
 * suite's output. The format is the common one (Jenkins, GitLab, GitHub's test reporters), pinned
 * down by docs/junit.xsd, which a test validates every file against.
 */
import os from 'node:os';
import path from 'node:path';
import { writeFileSafely } from '../../cluster/lib/safe-write.ts';
import { readRunJson } from './stored-run.ts';
import type { Check, CheckResult, WriteRef } from '../checker/types.ts';

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

function caseXml(classname: string, c: Check, result: CheckResult): string {
  // Reports written before checks had ids: their sentence is the only name there is.
  const head = [`    <testcase classname="${xmlEscape(classname)}" name="${xmlEscape(c.id ?? c.name)}" time="0">`, ...propertiesOf(c)].join('\n');
  if (c.ok) return `${head}\n      <system-out>${xmlEscape(c.detail)}</system-out>\n    </testcase>`;
  return `${head}\n      <failure message="${xmlEscape(c.detail)}" type="flipdrill.check">${xmlEscape(evidence(c, result))}</failure>\n    </testcase>`;
}

interface SuiteSpec {
  runId: string;
  scenario: string;
  startedAt: string;
  finishedAt: string;
  properties: [string, string][];
  cases: string[];
  failures: number;
  errors: number;
  out: string;
}

function documentXml(spec: SuiteSpec, hostname: string): string {
  const seconds = Math.max(0, (Date.parse(spec.finishedAt) - Date.parse(spec.startedAt)) / 1000) || 0;
  const suite = `flipdrill.${spec.scenario}`;
  const tests = spec.cases.length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="flipdrill" tests="${tests}" failures="${spec.failures}" errors="${spec.errors}" time="${seconds.toFixed(3)}">`,
    `  <testsuite name="${xmlEscape(suite)}" tests="${tests}" failures="${spec.failures}" errors="${spec.errors}" skipped="0" time="${seconds.toFixed(3)}" timestamp="${xmlEscape(spec.startedAt.replace(/Z$/, ''))}" hostname="${xmlEscape(hostname)}">`,
    '    <properties>',
    ...[['runId', spec.runId], ['scenario', spec.scenario], ...spec.properties].map(([name, value]) => `      <property name="${xmlEscape(name)}" value="${xmlEscape(value)}"/>`),
    '    </properties>',
    ...spec.cases,
    `    <system-out>${xmlEscape(spec.out)}</system-out>`,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

export function renderJunit(input: JunitInput, hostname = os.hostname()): string {
  const { result } = input;
  const suite = `flipdrill.${input.scenario}`;
  return documentXml(
    {
      ...input,
      properties: [
        ['verdict', result.verdict],
        ['replication', result.expectations.replication],
        ['writeDownMs', String(result.writeUnavailability?.ms ?? '')],
        ['promotionMs', String(result.promotion?.observedMs ?? '')],
        ['lostWrites', String(result.lost.length)],
      ],
      cases: result.checks.map((c) => caseXml(suite, c, result)),
      failures: result.checks.filter((c) => !c.ok).length,
      errors: 0,
      out: `verdict: ${result.verdict} (run ${input.runId})`,
    },
    hostname,
  );
}

/**
 * A --repeat run's own junit.xml: one suite, one case per iteration and check (the iteration is
 * in the class name, the check's id is the name), beside each iteration's own file.
 */
export function renderJunitIterations(
  input: { runId: string; scenario: string; startedAt: string; finishedAt: string; verdict: string; iterations: { folder: string; result: CheckResult }[] },
  hostname = os.hostname(),
): string {
  const suite = `flipdrill.${input.scenario}`;
  return documentXml(
    {
      ...input,
      properties: [
        ['verdict', input.verdict],
        ['iterations', String(input.iterations.length)],
        ['lostWrites', String(input.iterations.reduce((n, i) => n + i.result.lost.length, 0))],
      ],
      cases: input.iterations.flatMap((i) => i.result.checks.map((c) => caseXml(`${suite}.${i.folder}`, c, i.result))),
      failures: input.iterations.reduce((n, i) => n + i.result.checks.filter((c) => !c.ok).length, 0),
      errors: 0,
      out: `verdict: ${input.verdict} (run ${input.runId}, ${input.iterations.length} iterations)`,
    },
    hostname,
  );
}

/**
 * A drill that stopped with an error before its verdict (a cluster that never became healthy, a
 * lost connection to the engine): still a junit.xml, one case in error, so a CI gate shows why.
 */
export function renderJunitError(input: { runId: string; scenario: string; startedAt: string; finishedAt: string; error: { type: string; message: string } }, hostname = os.hostname()): string {
  const suite = `flipdrill.${input.scenario}`;
  const message = input.error.message.split('\n')[0]!;
  return documentXml(
    {
      ...input,
      properties: [
        ['verdict', 'ERROR'],
      ],
      cases: [
        [
          `    <testcase classname="${xmlEscape(suite)}" name="drill" time="0">`,
          `      <error message="${xmlEscape(message)}" type="${xmlEscape(input.error.type)}">${xmlEscape(input.error.message)}</error>`,
          '    </testcase>',
        ].join('\n'),
      ],
      failures: 0,
      errors: 1,
      out: `the drill stopped with an error before its verdict (run ${input.runId}): ${message}`,
    },
    hostname,
  );
}

/** Write junit.xml into a finished run folder, from its report.json. */
export function writeJunitReport(runDir: string): string {
  const report = readRunJson<JunitInput>(path.join(runDir, 'report.json'));
  const file = path.join(runDir, 'junit.xml');
  writeFileSafely(file, renderJunit(report));
  return file;
}
