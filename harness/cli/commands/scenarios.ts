/** `flipdrill scenarios`: the built-in scenarios, what each expects and its fault. */
import type { ParsedCommand } from '../../cli-args.ts';
import { builtInScenarios } from '../../scenario.ts';

export function run({ values }: ParsedCommand): number {
  const all = builtInScenarios();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(all.map((s) => ({ name: s.name, description: s.description, fault: s.fault, expect: s.expect })), null, 2)}\n`);
    return 0;
  }
  const width = Math.max(...all.map((s) => s.name.length));
  const expects = all.map((s) => `${s.expect.promotion === 'either' ? 'failover or none' : s.expect.promotion ? 'failover' : 'no failover'}, writes down ≤ ${s.expect.maxWriteDownSecs} s`);
  const expectWidth = Math.max(...expects.map((e) => e.length));
  process.stdout.write(`${'scenario'.padEnd(width)}  ${'expected'.padEnd(expectWidth)}  fault\n`);
  all.forEach((s, i) => process.stdout.write(`${s.name.padEnd(width)}  ${expects[i]!.padEnd(expectWidth)}  ${s.description}\n`));
  return 0;
}
