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
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runDrill } from '../drill.ts';
import { resolveScenario } from '../scenario.ts';

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

/** One spinner a core and one fsync writer, each ending by itself at the deadline. */
function startLoad(deadlineMs: number): { stop(): void } {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-load-'));
  const seconds = Math.ceil(deadlineMs / 1000);
  const children: ChildProcess[] = [];
  for (let i = 0; i < os.cpus().length; i++) {
    children.push(spawn(process.execPath, ['-e', `const end = Date.now() + ${deadlineMs}; let x = 0; while (Date.now() < end) x = (x + 1) % 1e9;`], { stdio: 'ignore' }));
  }
  children.push(
    spawn('bash', ['-c', `end=$((SECONDS + ${seconds})); while [ $SECONDS -lt $end ]; do dd if=/dev/zero of="$1/hog" bs=1M count=256 conv=fsync status=none; rm -f "$1/hog"; done`, '_', scratch], { stdio: 'ignore' }),
  );
  return {
    stop() {
      for (const c of children) c.kill('SIGKILL');
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

const started = Date.now();
const load = startLoad(maxMs);
const stopLoad = () => load.stop();
// Interrupted or killed: the load goes with the soak (its own deadline is only the last resort).
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  process.on(signal, () => {
    stopLoad();
    process.exit(code);
  });
}
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
