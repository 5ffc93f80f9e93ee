/** `npm run docs:cli`: writes docs/reference/cli.md from the CLI's help tables (harness/cli-help.ts). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../cluster/lib/package-root.ts';
import { cliReference } from './cli-help.ts';

const file = path.join(packageRoot(), 'docs', 'reference', 'cli.md');
writeFileSync(file, cliReference());
console.log(`written: ${path.relative(process.cwd(), file)}`);
