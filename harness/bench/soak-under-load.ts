/**
 * The fail-back soak on a busy machine: `--repeat N` of kill-primary-failback on one cluster,
 * several times in a row, while a bounded load generator keeps every core busy (one CPU spinner a
 * core, and a writer that fsyncs 256 MB at a time to a temporary file). The load stops with the
 * soak, or at its own deadline, whichever comes first.
 *
 *   npm run soak:loaded -- [--runs 5] [--repeat 10] [--max-minutes 120]
 *
 * Prints one line a run (passed iterations, median and worst write-down window, lost writes, the
 * run folder) and exits 1 if any run had a failed iteration.
 */
import { parseArgs } from 'node:util';
import { runDrill } from '../drill.ts';
import { resolveScenario } from '../scenario.ts';
import { startLoad, stopOnSignals } from './load.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, repeat: { type: 'string', default: '10' }, 'max-minutes': { type: 'string', default: '120' } }, strict: true });
const int = (name: string, raw: string, min: number, max: number): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`soak: --${name} must be a whole number from ${min} to ${max}, not "${raw}"\n`);
    process.exit(2);
  }
  return n;
};
const runs = int('runs', values.runs, 1, 20);
const repeat = int('repeat', values.repeat, 2, 50);
const maxMs = int('max-minutes', values['max-minutes'], 1, 600) * 60_000;

const CLUSTER = { name: 'flipdrill-soak', portBase: 23632, appPort: 23680, backSubnet: '10.213.55.0/24', frontSubnet: '10.213.56.0/24' };

const started = Date.now();
const load = startLoad(maxMs);
const stopLoad = () => load.stop();
// Interrupted or killed: the load goes with the soak (its own deadline is only the last resort).
stopOnSignals(load);
let failed = 0;
try {
  for (let r = 1; r <= runs; r++) {
    if (Date.now() - started > maxMs) throw new Error(`--max-minutes reached after ${r - 1} runs`);
    const outcome = await runDrill({ cluster: CLUSTER, scenario: resolveScenario('kill-primary-failback'), repeat, runsDir: 'runs' });
    const agg = outcome.aggregate!;
    const windows = agg.iterations.map((i) => i.writeDownMs).filter((v): v is number => v !== null).sort((a, b) => a - b);
    const passed = agg.iterations.filter((i) => i.verdict === 'PASS').length;
    if (passed !== agg.iterations.length) failed += 1;
    process.stdout.write(
      `run ${r}/${runs}: ${passed}/${agg.iterations.length} PASS, writes down median ${((windows[Math.floor(windows.length / 2)] ?? 0) / 1000).toFixed(2)} s, worst ${((windows.at(-1) ?? 0) / 1000).toFixed(2)} s, lost ${agg.totalLost}, ${outcome.run.dir}\n`,
    );
  }
} finally {
  stopLoad();
}
process.exit(failed ? 1 : 0);
