/**
 * The documented formats of a run's reports, checked in tests: report.json against
 * docs/report.schema.json (ajv, strict), junit.xml against docs/junit.xsd (xmllint, from
 * Debian's libxml2-utils).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { REPO_ROOT } from '../../cluster/index.ts';

let validate: ValidateFunction | undefined;

/** The schema's complaints about a report.json (empty when it is valid). */
export function reportSchemaErrors(report: unknown): string[] {
  if (!validate) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    // ISO 8601 with a time, as Date#toISOString writes it (ajv ships no formats of its own).
    ajv.addFormat('date-time', (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)));
    validate = ajv.compile(JSON.parse(readFileSync(path.join(REPO_ROOT, 'docs/report.schema.json'), 'utf8')));
  }
  return validate(report) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

/** xmllint's complaints about a junit.xml (empty when it validates against docs/junit.xsd). */
export function junitSchemaErrors(file: string): string[] {
  try {
    execFileSync('xmllint', ['--noout', '--schema', path.join(REPO_ROOT, 'docs/junit.xsd'), file], { stdio: ['ignore', 'pipe', 'pipe'] });
    return [];
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error('xmllint is not installed (apt-get install libxml2-utils)');
    return (e.stderr?.toString() ?? e.message).split('\n').filter((l) => l && !l.endsWith('fails to validate'));
  }
}
