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

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OWN_FIELDS = new Set(['level', 'time', 'msg', 'app', 'pid', 'hostname']);

/** One log record as a person reads it: `12:00:01.234 INFO  message  node=node1 runId=...`. */
export function humanLogLine(json: string): string {
  try {
    const record = JSON.parse(json) as Record<string, unknown>;
    const time = new Date(Number(record.time)).toISOString().slice(11, 23);
    const level = (LEVEL_NAMES[Number(record.level)] ?? String(record.level)).padEnd(5);
    const fields = Object.entries(record)
      .filter(([k]) => !OWN_FIELDS.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${time} ${level} ${String(record.msg ?? '')}${fields ? `  ${fields}` : ''}\n`;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
}

export function createLogger(
  options: { file?: string; level?: string; destination?: pino.DestinationStream; /** Also write each record here, human-readable (--verbose). */ echo?: { write(s: string): unknown } } = {},
): Logger {
  const level = options.level ?? process.env.FLIPDRILL_LOG_LEVEL ?? 'info';
  if (!options.file && !options.destination) return pino({ level: 'silent' });
  // Synchronous: a drill that fails at once exits before an asynchronous file would be open, and
  // pino's exit hook then throws ("sonic boom is not ready yet") over the one-line error.
  const main = options.destination ?? pino.destination({ dest: options.file!, mkdir: true, sync: true });
  if (!options.echo) return pino({ level, base: { app: 'flipdrill' }, redact: REDACT }, main);
  const echo = options.echo;
  const human = { write: (line: string) => echo.write(humanLogLine(line.trimEnd())) };
  return pino({ level, base: { app: 'flipdrill' }, redact: REDACT }, pino.multistream([{ level: level as pino.Level, stream: main }, { level: level as pino.Level, stream: human }]));
}

export const silentLogger: Logger = pino({ level: 'silent' });
