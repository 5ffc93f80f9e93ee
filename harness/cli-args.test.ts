import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../cluster/errors.ts';
import { parseCommandLine } from './cli-args.ts';

describe('parseCommandLine', () => {
  it('asks for help: globally, for a command by --help or by help <command>, and the version', () => {
    expect(parseCommandLine(['--help'])).toMatchObject({ command: 'help' });
    expect(parseCommandLine(['--help']).target).toBeUndefined();
    expect(parseCommandLine(['drill', '--help'])).toMatchObject({ command: 'help', target: 'drill' });
    expect(parseCommandLine(['help', 'check'])).toMatchObject({ command: 'help', target: 'check' });
    expect(parseCommandLine(['--version']).command).toBe('version');
  });

  it('suggests the command or option meant by a typo, and nothing for a word far from any', () => {
    const hint = (argv: string[]) => {
      try {
        parseCommandLine(argv);
      } catch (error) {
        return (error as ConfigError).hint;
      }
      return undefined;
    };
    expect(hint(['dril'])).toBe('did you mean drill?');
    expect(hint(['scenario'])).toBe('did you mean scenarios?');
    expect(hint(['drill', '--concurency', '2'])).toBe('did you mean --concurrency?');
    expect(hint(['drill', '--scenaro', 'x'])).toBe('did you mean --scenario?');
    expect(hint(['xyzzy'])).toMatch(/^commands: drill, up/);
    expect(hint(['drill', '--xyzzy'])).toBe('see: flipdrill --help');
  });


  it('turns flags into cluster options, leaving out what was not given', () => {
    const parsed = parseCommandLine(['drill', '--name', 'ci', '--port-base', '25432', '--replication', 'async', '--keep']);
    expect(parsed.command).toBe('drill');
    expect(parsed.cluster).toEqual({ name: 'ci', portBase: 25432, replication: 'async' });
    expect(parsed.values.keep).toBe(true);
  });

  it('reads the app profile and TLS into the cluster options', () => {
    expect(parseCommandLine(['drill', '--app', 'naive', '--tls']).cluster).toEqual({ appProfile: 'naive', tls: true });
    expect(parseCommandLine(['compare', '--scenario', 'switchover']).command).toBe('compare');
  });

  it('reads the disk-full and clock-skew cluster options: a size in MB, a switch', () => {
    expect(parseCommandLine(['up', '--data-fs-size', '1g', '--fake-clock']).cluster).toEqual({ dataFsMb: 1024, fakeClock: true });
    expect(parseCommandLine(['up', '--data-fs-size', '512M']).cluster).toEqual({ dataFsMb: 512 });
  });

  it('takes the run folder of check as its argument', () => {
    expect(parseCommandLine(['check', 'runs/x', '--max-lost', '3'])).toMatchObject({ command: 'check', target: 'runs/x', values: { 'max-lost': '3' } });
  });

  it.each([
    [['drill', '--bogus'], "unknown option '--bogus'"],
    [['frob'], 'unknown command "frob"'],
    [[], 'no command given'],
    [['up', 'extra'], 'unexpected argument "extra"'],
    [['up', '--port-base', 'abc'], '--port-base must be an integer from 1024 to 65533, not "abc"'],
    [['up', '--port-base', '1e4'], '--port-base must be an integer from 1024 to 65533, not "1e4"'],
    [['up', '--app-port', ' 8080'], '--app-port must be an integer from 1024 to 65535, not " 8080"'],
    [['up', '--app-port', '0x1f90'], '--app-port must be an integer from 1024 to 65535, not "0x1f90"'],
    [['up', '--app-port', '8080.0'], '--app-port must be an integer from 1024 to 65535, not "8080.0"'],
    [['up', '--replication', 'semi'], '--replication must be sync or async, not "semi"'],
    [['up', '--timing', 'slow'], '--timing must be fast or repmgr-defaults, not "slow"'],
    [['check'], 'check needs a run folder'],
    [['check', 'a', 'b'], 'unexpected argument "b"'],
    [['drill', '--app', 'clever'], '--app must be aware, naive or dsql, not "clever"'],
    [['compare', '--app', 'naive'], 'compare runs both app profiles; --app is for drill and up'],
    [['drill', '--max-lost', '-1'], '--max-lost must be an integer from 0 to 1000000, not "-1"'],
    [['drill', '--concurrency', '-4'], '--concurrency must be an integer from 1 to 64, not "-4"'],
    [['status', '--scenario', 'kill-primary'], '--scenario is not an option of status'],
    [['report'], 'report needs the folder of run folders'],
    [['help', 'frob'], 'unknown command "frob"'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(ConfigError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });
});

describe('the flipdrill command', () => {
  it('answers bad input with one line on stderr and exit code 2, before touching Docker', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli.ts', 'drill', '--frobnicate'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual(["flipdrill: unknown option '--frobnicate' (see: flipdrill --help)"]);
  });

  it('prints its usage with --help', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli.ts', '--help'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: flipdrill <command> [options]');
  });
});
