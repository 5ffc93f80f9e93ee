/**
 * The app's entry point (bundled to app/dist/server.cjs for its container).
 * Starts serving at once; creates its table in the background, retrying until the primary answers,
 * so the app can start before the database and survive a primary that is down at start.
 */
import pino from 'pino';
import { AppConfigError, loadConfig } from './config.ts';
import { createDatabase, DatabaseOperationError } from './db.ts';
import { platformOf } from './platforms/index.ts';
import { createApp, listen } from './server.ts';

const log = pino({ base: { app: 'flipdrill-app' }, redact: ['password', '*.password'] });

async function main(): Promise<void> {
  const config = loadConfig();
  // The driver the platform needs (Aurora DSQL: AWS's connector, which mints an IAM token per connection).
  const driver = await platformOf(config.failover).driver(config.failover, process.env);
  const db = createDatabase(config, log, { driver });
  let schemaReady = false;
  const app = createApp(db, log, { schemaReady: () => schemaReady });
  const server = await listen(app, config.httpPort, process.env.HOST || undefined);
  log.info(
    { port: config.httpPort, profile: config.profile, platform: config.failover.platform, write: config.failover.writeHosts ?? config.failover.write, reads: config.failover.reads, tls: Boolean(config.failover.tls) },
    'listening',
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.info('stopping');
    server.close();
    await db.close().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  let delay = 250;
  while (!schemaReady && !stopping) {
    try {
      await db.ensureSchema();
      schemaReady = true;
      log.info('schema ready');
    } catch (error) {
      // A wrong CA, a bad password, TLS refused: waiting will not fix it. Say so once and stop.
      if (error instanceof DatabaseOperationError && error.classification.verdict === 'fatal') {
        log.fatal({ code: error.classification.code }, `cannot use the database: ${error.message}`);
        process.exit(2);
      }
      log.warn({ err: (error as Error).message }, 'schema not created yet; retrying');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 2000);
    }
  }
}

main().catch((error) => {
  if (error instanceof AppConfigError) {
    log.fatal(`configuration: ${error.message}`);
    process.exit(2);
  }
  log.fatal({ err: error }, 'app failed to start');
  process.exit(1);
});
