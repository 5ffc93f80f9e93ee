import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs (pino). Components take a logger and add their own bindings with
 * `logger.child({ node, container, runId })`; nothing logs through console.
 * By default nothing is written: the CLI points the logger at the run folder.
 */
/** The DigitalOcean token, bearer headers and database passwords must never reach a log line. */
export const REDACT = {
  paths: ['password', '*.password', 'token', '*.token', '*.env', 'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization'],
  censor: '[redacted]',
};

export function createLogger(options: { file?: string; level?: string; destination?: pino.DestinationStream } = {}): Logger {
  const level = options.level ?? process.env.FLIPDRILL_LOG_LEVEL ?? 'info';
  if (!options.file && !options.destination) return pino({ level: 'silent' });
  // Synchronous: a drill that fails at once exits before an asynchronous file would be open, and
  // pino's exit hook then throws ("sonic boom is not ready yet") over the one-line error.
  return pino({ level, base: { app: 'flipdrill' }, redact: REDACT }, options.destination ?? pino.destination({ dest: options.file!, mkdir: true, sync: true }));
}

export const silentLogger: Logger = pino({ level: 'silent' });
