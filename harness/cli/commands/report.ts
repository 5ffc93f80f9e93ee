/** `flipdrill report <runs folder>`: writes the index of its run folders. */
import { existsSync } from 'node:fs';
import { ConfigError } from '../../../cluster/index.ts';
import type { ParsedCommand } from '../../cli-args.ts';
import { shownPath } from '../../report/run-folder.ts';
import { printable } from '../../report/summary.ts';

export async function run({ target, values }: ParsedCommand): Promise<number> {
  if (!existsSync(target!)) throw new ConfigError(`no folder at ${target}`, { hint: 'give the folder drills write their run folders to (default runs)' });
  const { writeRunsIndex } = await import('../../report/runs-index.ts');
  const { file, runs, skipped } = writeRunsIndex(target!);
  // One line per folder left out, without the control characters a folder name may hold.
  for (const s of skipped) process.stderr.write(`flipdrill: left out ${printable(s.dir.replace(/\n/g, ' '))}: ${printable(s.reason.replace(/\n/g, ' '))}\n`);
  process.stdout.write(values.json ? `${JSON.stringify({ file: shownPath(file), runs })}\n` : `${runs} runs: ${shownPath(file)}\n`);
  return 0;
}
