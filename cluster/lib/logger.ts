import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs (pino). Components take a logger and add their own bindings with
 * `logger.child({ node, container, runId })`; nothing logs through console.
 * By default nothing is written: the CLI points the logger at the run folder.
 */
export function createLogger(options: { file?: string; level?: string } = {}): Logger {
  const level = options.level ?? process.env.FLIPDRILL_LOG_LEVEL ?? 'info';
  if (!options.file) return pino({ level: 'silent' });
  return pino(
    {
      level,
      base: { app: 'flipdrill' },
      // The DigitalOcean token and database passwords must never reach a log line.
      redact: { paths: ['*.password', '*.token', 'password', 'token', '*.env'], censor: '[redacted]' },
    },
    pino.destination({ dest: options.file, mkdir: true, sync: false }),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
