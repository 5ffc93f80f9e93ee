/**
 * flipdrill-flip: the DigitalOcean floating IP, from a node (the promote hook runs it) or by hand.
 *
 *   flipdrill-flip status            who holds the IP
 *   flipdrill-flip assign            move it to this droplet (its id from the metadata service)
 *   flipdrill-flip assign --droplet N
 *
 * Environment:
 *   DIGITALOCEAN_TOKEN or DIGITALOCEAN_TOKEN_FILE   the API token (scope reserved_ip:update); never printed
 *   FLIPDRILL_FLOATING_IP                           the IP (or --ip)
 *   FLIPDRILL_DO_API_URL                            default https://api.digitalocean.com/v2/
 *   FLIPDRILL_METADATA_URL                          default http://169.254.169.254 (a droplet's own)
 *   FLIPDRILL_FLIP_DEADLINE_SECS                    default 60
 *
 * Progress goes to stderr, one line each; the result is one JSON line on stdout. Exit 0 when the
 * IP is on the droplet, 1 when it could not be moved, 2 on bad input.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DoApiError, readToken } from './api.ts';
import { createDoWrapperClient } from './do-wrapper-client.ts';
import { FloatingIpMoveError, moveFloatingIp } from './move-ip.ts';

const say = (line: string) => process.stderr.write(`${new Date().toISOString()} flipdrill-flip: ${line}\n`);

class UsageError extends Error {}

async function selfDropletId(metadataUrl: string): Promise<number> {
  const url = `${metadataUrl.replace(/\/$/, '')}/metadata/v1/id`;
  let text: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    text = (await res.text()).trim();
  } catch (error) {
    throw new FloatingIpMoveError(`cannot read this droplet's id from the metadata service at ${url} (${(error as Error).message}); give --droplet`);
  }
  if (!/^\d+$/.test(text)) throw new FloatingIpMoveError(`the metadata service at ${url} answered "${text.slice(0, 40)}", not a droplet id`);
  return Number(text);
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { ip: { type: 'string' }, droplet: { type: 'string' } } });
  } catch (error) {
    throw new UsageError(String((error as Error).message).split('. ')[0]!);
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (command !== 'status' && command !== 'assign') throw new UsageError('usage: flipdrill-flip status|assign [--ip A.B.C.D] [--droplet ID]');
  const ip = values.ip ?? env.FLIPDRILL_FLOATING_IP;
  if (!ip || !/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) throw new UsageError(`the floating IP must be an IPv4 address (--ip or FLIPDRILL_FLOATING_IP), not "${ip ?? ''}"`);
  let token: string;
  try {
    token = readToken(env, (path) => readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const client = createDoWrapperClient(token, { baseUrl: env.FLIPDRILL_DO_API_URL ?? 'https://api.digitalocean.com/v2/' });

  if (command === 'status') {
    const state = await client.getIp(ip);
    process.stdout.write(`${JSON.stringify(state)}\n`);
    return 0;
  }
  const droplet = values.droplet !== undefined ? Number(values.droplet) : await selfDropletId(env.FLIPDRILL_METADATA_URL ?? 'http://169.254.169.254');
  if (!Number.isInteger(droplet) || droplet <= 0) throw new UsageError(`--droplet must be a droplet id, not "${values.droplet}"`);
  const rawDeadline = env.FLIPDRILL_FLIP_DEADLINE_SECS ?? '60';
  const deadlineSecs = Number(rawDeadline);
  if (!/^\d+$/.test(rawDeadline.trim()) || deadlineSecs < 1 || deadlineSecs > 3600) {
    throw new UsageError(`FLIPDRILL_FLIP_DEADLINE_SECS must be a whole number of seconds from 1 to 3600, not "${rawDeadline}"`);
  }
  const result = await moveFloatingIp(client, ip, droplet, { deadlineMs: deadlineSecs * 1000, onProgress: say });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return 0;
}

/**
 * The exit code for a run, with its one line said on stderr: 0 done, 1 the IP could not be moved
 * (or its holder read), 2 bad input. `flipdrill flip` and the bundled `flipdrill-flip` both use
 * this, so they agree.
 */
export async function runFlip(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  try {
    return await main(argv, env);
  } catch (error) {
    if (error instanceof UsageError) {
      say(error.message);
      return 2;
    }
    // DoApiError and FloatingIpMoveError carry status, id and message only: never the token.
    say(error instanceof DoApiError || error instanceof FloatingIpMoveError ? error.message : `failed: ${(error as Error).message}`);
    return 1;
  }
}

// Run when executed (node flipdrill-flip.cjs, or tsx): not when imported by tests.
const invoked = process.argv[1] ?? '';
if (/flipdrill-flip(\.cjs)?$|flip-cli\.ts$/.test(invoked)) {
  void runFlip(process.argv.slice(2), process.env).then((code) => process.exit(code));
}
