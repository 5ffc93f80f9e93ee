/** `flipdrill help [command]`: the global help, or one command's. */
import { USAGE, type ParsedCommand } from '../../cli-args.ts';
import { commandHelp, type Command } from '../../cli-help.ts';

export function run({ target }: ParsedCommand): number {
  process.stdout.write(`${target ? commandHelp(target as Command) : USAGE}\n`);
  return 0;
}
