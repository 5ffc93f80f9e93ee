import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommandLine, USAGE } from './cli-args.ts';
import { cliReference, COMMAND_HELP, commandHelp, COMMANDS, OPTION_HELP, optionsOf } from './cli-help.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

describe('the help', () => {
  it("docs/reference/cli.md is the help's tables as they are (npm run docs:cli writes it)", () => {
    expect(readFileSync(path.join(ROOT, 'docs', 'reference', 'cli.md'), 'utf8')).toBe(cliReference());
  });

  it("each command's help is its own: its options only, its examples, the exit codes 2 and 130", () => {
    for (const c of COMMANDS) {
      const help = commandHelp(c);
      expect(help).not.toBe(USAGE);
      expect(help).toContain(`Usage: flipdrill ${COMMAND_HELP[c].usage}`);
      expect(help).toMatch(/\n  2 +\S/);
      expect(help).toMatch(/\n  130 +interrupted/);
      for (const name of Object.keys(OPTION_HELP)) {
        const listed = new RegExp(`\\n  (-h, )?--${name}[ \\n]`).test(help);
        expect(listed, `${c} --${name}`).toBe(optionsOf(c).includes(name));
      }
    }
    expect(commandHelp('drill')).toContain('--scenario <name|file>');
    expect(commandHelp('status')).not.toContain('--scenario');
  });

  it('every example uses its command and options the command takes', () => {
    for (const c of COMMANDS) {
      for (const example of COMMAND_HELP[c].examples) {
        const words = example.split(/\s+/);
        expect(words[0]).toBe('flipdrill');
        expect(words[1], example).toBe(c);
        for (const flag of words.filter((w) => w.startsWith('--'))) expect(OPTION_HELP[flag.slice(2)]?.for, example).toContain(c);
      }
    }
  });

  it('every option the parser knows has its help, and the parser refuses one given to a command it is not for', () => {
    expect(() => parseCommandLine(['down', '--workload', 'bank'])).toThrow('--workload is not an option of down');
    expect(() => parseCommandLine(['check', 'runs/x', '--keep'])).toThrow('--keep is not an option of check');
    expect(parseCommandLine(['check', 'runs/x', '--json', '--max-lost', '2']).command).toBe('check');
    // status and down find a cluster by name: the flags that shaped it may come along.
    expect(parseCommandLine(['status', '--name', 'lab', '--port-base', '25432', '--json']).command).toBe('status');
    expect(() => parseCommandLine(['status', '--scenario', 'kill-primary'])).toThrow('--scenario is not an option of status');
  });
});
