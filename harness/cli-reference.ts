/**
 * `npm run docs:cli`: writes docs/reference/cli.md from the CLI's help tables (harness/cli-help.ts),
 * and the fault table of docs/reference/scenarios.md from the fault registry (harness/faults/).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../cluster/lib/package-root.ts';
import { cliReference } from './cli-help.ts';
import { withFaultTable } from './faults/docs.ts';

const cli = path.join(packageRoot(), 'docs', 'reference', 'cli.md');
writeFileSync(cli, cliReference());
console.log(`written: ${path.relative(process.cwd(), cli)}`);
const scenarios = path.join(packageRoot(), 'docs', 'reference', 'scenarios.md');
writeFileSync(scenarios, withFaultTable(readFileSync(scenarios, 'utf8')));
console.log(`written: ${path.relative(process.cwd(), scenarios)} (its fault table)`);
