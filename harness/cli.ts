/**
 * flipdrill's command line. From a clone: `npm run flipdrill -- <command>`; `npm run drill` is
 * `flipdrill drill`. Exit codes: 0 PASS (or success), 1 FAIL, 2 usage or environment error,
 * 130 interrupted. Errors are one line; the details are in the run folder's log.
 * Each command is a module of cli/commands/; this file parses, dispatches and reports errors.
 */
import { describeError, DrillAbortedError, FlipdrillError } from '../cluster/index.ts';
import { parseCommandLine, type ParsedCommand } from './cli-args.ts';
import * as check from './cli/commands/check.ts';
import * as compare from './cli/commands/compare.ts';
import * as down from './cli/commands/down.ts';
import * as drill from './cli/commands/drill.ts';
import * as flip from './cli/commands/flip.ts';
import * as help from './cli/commands/help.ts';
import * as report from './cli/commands/report.ts';
import * as scenarios from './cli/commands/scenarios.ts';
import * as status from './cli/commands/status.ts';
import * as tutorial from './cli/commands/tutorial.ts';
import * as up from './cli/commands/up.ts';
import * as version from './cli/commands/version.ts';

/** Each command's run: its exit code. */
const COMMANDS: Record<ParsedCommand['command'], { run(parsed: ParsedCommand): number | Promise<number> }> = {
  version,
  help,
  check,
  report,
  flip,
  scenarios,
  compare,
  tutorial,
  drill,
  down,
  status,
  up,
};

/** With --json, stdout holds JSON only: results, and errors as {"error", "hint"}. */
let jsonOutput = false;

async function main(argv: string[]): Promise<number> {
  jsonOutput = argv.includes('--json');
  const parsed = parseCommandLine(argv);
  return COMMANDS[parsed.command].run(parsed);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof DrillAbortedError) {
      if (jsonOutput) process.stdout.write(`${JSON.stringify({ error: 'interrupted; everything created was removed' })}\n`);
      process.stderr.write('flipdrill: interrupted; everything created was removed\n');
      process.exit(130);
    }
    const known = error instanceof FlipdrillError;
    if (jsonOutput) process.stdout.write(`${JSON.stringify({ error: known ? error.message : describeError(error), ...(known && error.hint ? { hint: error.hint } : {}) })}\n`);
    process.stderr.write(`flipdrill: ${describeError(error)}\n`);
    if (!known && process.env.FLIPDRILL_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(2);
  },
);
