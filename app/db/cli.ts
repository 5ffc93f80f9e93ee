/**
 * `npm run db:migrate`, `db:seed`, `db:migrate:undo`, `db:migrate:status`: sequelize-cli, run for
 * each of the app's databases with that database's config, migrations and seeders
 * (app/db/config/<database>.ts, app/db/migrations/<database>/, app/db/seeders/<database>/), in
 * the environment asked for.
 *
 *   npm run db:migrate -- [--db app|analytics|all] [--env development|test|production]
 *
 * Defaults: every database, and the environment NODE_ENV names (development if none). The same
 * migrations run when the app starts (app/migrations.ts), recorded in the same SequelizeMeta.
 * Exit 2 on bad input, nothing run; otherwise sequelize-cli's own exit code, after the first
 * database that fails.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../../cluster/lib/package-root.ts';
import { DATABASES, ENVIRONMENTS, type DatabaseName, type Environment } from './environments.ts';

/** Our names for sequelize-cli's commands. */
const COMMANDS: Record<string, string> = {
  migrate: 'db:migrate',
  'migrate:undo': 'db:migrate:undo',
  'migrate:status': 'db:migrate:status',
  seed: 'db:seed:all',
  'seed:undo': 'db:seed:undo:all',
};

const usage = `usage: npm run db:<${Object.keys(COMMANDS).join('|')}> -- [--db ${[...DATABASES, 'all'].join('|')}] [--env ${ENVIRONMENTS.join('|')}]`;

function refuse(message: string): never {
  process.stderr.write(`db: ${message}\n${usage}\n`);
  process.exit(2);
}

export function parse(argv: string[], env: NodeJS.ProcessEnv): { command: string; databases: DatabaseName[]; environment: Environment } {
  const [ours, ...rest] = argv;
  if (!ours || !(ours in COMMANDS)) refuse(ours ? `unknown command "${ours}"` : 'which command?');
  let values: { db?: string; env?: string };
  try {
    ({ values } = parseArgs({ args: rest, options: { db: { type: 'string' }, env: { type: 'string' } }, strict: true }));
  } catch (error) {
    refuse((error as Error).message.split('\n')[0]!);
  }
  const db = values.db ?? 'all';
  if (db !== 'all' && !(DATABASES as readonly string[]).includes(db)) refuse(`--db takes ${[...DATABASES, 'all'].join(', ')}, not "${db}"`);
  const environment = values.env ?? env.NODE_ENV ?? 'development';
  if (!(ENVIRONMENTS as readonly string[]).includes(environment)) refuse(`the environment is ${ENVIRONMENTS.join(', ')}, not "${environment}"`);
  return { command: COMMANDS[ours]!, databases: db === 'all' ? [...DATABASES] : [db as DatabaseName], environment: environment as Environment };
}

/** Run one sequelize-cli command against one database; its exit code. */
export function runCli(command: string, database: DatabaseName, environment: Environment, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): { status: number; output: string } {
  const root = packageRoot();
  const bin = createRequire(import.meta.url).resolve('sequelize-cli/lib/sequelize');
  const dir = (p: string) => path.join(root, 'app', 'db', p);
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      import.meta.resolve('tsx'),
      bin,
      command,
      '--env',
      environment,
      '--config',
      dir(`config/${database}.ts`),
      '--migrations-path',
      dir(`migrations/${database}`),
      '--seeders-path',
      dir(`seeders/${database}`),
    ],
    { cwd, env: { ...env, NODE_ENV: environment }, encoding: 'utf8' },
  );
  return { status: result.status ?? 1, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { command, databases, environment } = parse(process.argv.slice(2), process.env);
  for (const database of databases) {
    process.stdout.write(`db: ${command} on the ${database} database (${environment})\n`);
    const { status, output } = runCli(command, database, environment);
    process.stdout.write(output);
    if (status !== 0) process.exit(status);
  }
}
