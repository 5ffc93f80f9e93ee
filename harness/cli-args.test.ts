import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../cluster/errors.ts';
import { parseCommandLine } from './cli-args.ts';

describe('parseCommandLine', () => {
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
    [['up', '--replication', 'semi'], '--replication must be sync or async, not "semi"'],
    [['up', '--timing', 'slow'], '--timing must be fast or repmgr-defaults, not "slow"'],
    [['check'], 'check needs a run folder'],
    [['check', 'a', 'b'], 'unexpected argument "b"'],
    [['drill', '--app', 'clever'], '--app must be aware, naive or dsql, not "clever"'],
    [['compare', '--app', 'naive'], 'compare runs both app profiles; --app is for drill and up'],
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
