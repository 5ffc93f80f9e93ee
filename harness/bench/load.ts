/**
 * A bounded load generator for measuring on a busy machine: one CPU spinner a core and a writer
 * that fsyncs 256 MB at a time to a temporary file. Every child ends by itself at the deadline;
 * stop() ends them sooner and removes the file. Used by the loaded soak and by `bench --load-minutes`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Load {
  stop(): void;
}

export function startLoad(deadlineMs: number): Load {
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

/** Stop the load when the process is interrupted, terminated or hung up, then exit as the signal says. */
export function stopOnSignals(load: Load): void {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(signal, () => {
      load.stop();
      process.exit(code);
    });
  }
}
