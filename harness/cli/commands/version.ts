/** `flipdrill --version`: the package's version (with --json, as {"version"}). */
import { VERSION, type ParsedCommand } from '../../cli-args.ts';

export function run({ values }: ParsedCommand): number {
  process.stdout.write(values.json ? `${JSON.stringify({ version: VERSION })}\n` : `flipdrill ${VERSION}\n`);
  return 0;
}
