/**
 * What the commands that run something share: Ctrl-C handling, progress lines on stderr, the log
 * level, your Sequelize config, and the connection to the Docker engine.
 */
import { connectDocker, createLogger } from '../../cluster/index.ts';
import type { Command } from '../cli-help.ts';
import type { ParsedCommand } from '../cli-args.ts';
import { loadSequelizeConfig } from '../sequelize-config.ts';

type Values = ParsedCommand['values'];

/**
 * SIGINT and SIGTERM abort the returned controller, so the command stops and removes what it
 * created; a second Ctrl-C a moment later quits at once (exit 130).
 */
export function abortOnSignals(command: Command): AbortController {
  const abort = new AbortController();
  let firstInterrupt = 0;
  const onSignal = () => {
    // One Ctrl-C can arrive twice (from the terminal and relayed by tsx's parent process): only a
    // second press a moment later means "quit now, skip the cleanup".
    if (firstInterrupt && Date.now() - firstInterrupt > 1000) process.exit(130);
    if (firstInterrupt) return;
    firstInterrupt = Date.now();
    const cleanup = command === 'drill' || command === 'compare' || command === 'up' ? ' and removing what flipdrill created' : '';
    process.stderr.write(`\ninterrupted: stopping${cleanup} (Ctrl-C again to quit at once)\n`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return abort;
}

/** Progress lines on stderr, with the time since the command started; stdout stays for results. */
export function stepPrinter(quiet: boolean): (step: string) => void {
  const started = Date.now();
  return (step) => {
    if (quiet) return;
    process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${step}\n`);
  };
}

/** --verbose: debug-level logs. */
export function logLevel(values: Values): 'debug' | 'info' {
  return values.verbose ? 'debug' : 'info';
}

/** Your Sequelize config, read here (it may be JavaScript): one environment of it, for the app. */
export function sequelizeOptions(values: Values): Promise<Record<string, unknown>> {
  return loadSequelizeConfig(values['sequelize-config'] as string, (values['sequelize-env'] as string | undefined) ?? 'production');
}

/** The log (to FLIPDRILL_LOG_FILE, when set) and the Docker engine, for up, status and down. */
export async function connectEngine(values: Values, onStep: (step: string) => void) {
  const logger = createLogger({ file: process.env.FLIPDRILL_LOG_FILE, level: logLevel(values) });
  const docker = await connectDocker({ logger, onStep });
  return { logger, docker };
}
