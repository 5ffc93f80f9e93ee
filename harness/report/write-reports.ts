/**
 * The reports of a finished run, all derived from what the run folder stores (report.json, the
 * history, the events), so they can be written again for an old run:
 *   report.json   written by the drill (schema flipdrill.report/v1, docs/report.schema.json)
 *   junit.xml     one test case per expectation of the scenario
 *   report.html   a self-contained page with the timeline chart
 */
import { writeHtmlReport } from './html/drill-page.ts';
import { writeJunitReport } from './junit.ts';

export function writeRunReports(runDir: string): { junit: string; html: string } {
  return { junit: writeJunitReport(runDir), html: writeHtmlReport(runDir) };
}
