/** `flipdrill check <run folder>`: 0 valid, 1 anomalies, 2 malformed (never PASS). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { MalformedHistoryError } from '../../checker/history.ts';
import { number, type ParsedCommand } from '../../cli-args.ts';
import { HistoryFormatError } from '../../history.ts';
import { REPORT_SCHEMA, type DrillReport } from '../../report/report.ts';
import { shownPath } from '../../report/run-folder.ts';
import { loadRun, readRunJson, RunFolderError } from '../../report/stored-run.ts';
import { printable, renderSummary } from '../../report/summary.ts';

export function run({ target, values }: ParsedCommand): number {
  const dir = target!;
  const maxLost = number('max-lost', values['max-lost'] as string | undefined, { min: 0, max: 1_000_000 });
  try {
    const stored = loadRun(dir);
    const result = stored.check(maxLost === undefined ? {} : { maxLost });
    // A run folder may come from anywhere: what it says reaches the terminal without control characters.
    process.stdout.write(values.json ? `${JSON.stringify(reportDocument(dir, stored.settings, result), null, 2)}\n` : `${printable(renderSummary(result, shownPath(dir), stored.settings?.scenario))}\n`);
    return result.verdict === 'PASS' ? 0 : 1;
  } catch (error) {
    if (error instanceof MalformedHistoryError || error instanceof HistoryFormatError || error instanceof RunFolderError) {
      if (values.json) process.stdout.write(`${JSON.stringify({ error: `malformed run, not checked: ${error.message}` })}\n`);
      process.stderr.write(`flipdrill: malformed run, not checked: ${printable(error.message)}\n`);
      return 2;
    }
    throw error;
  }
}

/**
 * `check --json`: the report document, as report.json holds it, with the checker's new result; a
 * run cut off before its report.json gets the parts its run.json gives.
 */
function reportDocument(dir: string, settings: ReturnType<typeof loadRun>['settings'], result: DrillReport['result']): DrillReport | Record<string, unknown> {
  const file = path.join(dir, 'report.json');
  if (existsSync(file)) {
    // Read as every run file is: a FIFO or a device is refused, not read without end.
    const stored = readRunJson<DrillReport | null>(file);
    if (stored?.schema === REPORT_SCHEMA) return { ...stored, result };
  }
  return { schema: REPORT_SCHEMA, runId: settings?.runId ?? path.basename(dir), scenario: settings?.scenario ?? null, startedAt: settings?.startedAt ?? null, seed: settings?.seed ?? null, result };
}
