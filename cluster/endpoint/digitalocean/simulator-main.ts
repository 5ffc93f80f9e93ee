/**
 * The DigitalOcean API simulator as a process (in its container on a cluster's replication
 * network, so the nodes' promote hooks can call it). Configured from the environment:
 *
 *   SIM_TOKENS           comma-separated accepted tokens (or SIM_TOKENS_FILE: a file holding
 *                        them, which is how flipdrill's container gets them: not in `docker inspect`)
 *   SIM_DROPLETS         JSON [{ id, name, region }]
 *   SIM_IPS              JSON [{ ip, region, dropletId }]
 *   SIM_ACTION_DELAY_MS  how long an action stays in-progress (default 3000)
 *   SIM_PORT             default 8080
 *   SIM_HOST             the address it listens on; default 127.0.0.1. Its container sets 0.0.0.0:
 *                        there "every address" is the container's own (the replication network
 *                        and the port published on the host's 127.0.0.1), never the host's.
 */
import { envSecret } from '../../lib/env-secret.ts';
import { DoApiSimulator } from './simulator.ts';

const env = process.env;
const fail = (message: string): never => {
  process.stderr.write(`flipdrill-dosim: ${message}\n`);
  process.exit(2);
};
const json = (name: string, value: string | undefined): unknown => {
  try {
    return JSON.parse(value ?? '[]');
  } catch {
    return fail(`${name} must be JSON`);
  }
};
let sim: DoApiSimulator;
try {
  // The configuration is checked as a reset's is: one line naming what is wrong.
  sim = new DoApiSimulator({
    tokens: (envSecret(env, 'SIM_TOKENS') ?? '').split(',').filter(Boolean),
    droplets: json('SIM_DROPLETS', env.SIM_DROPLETS) as never,
    ips: json('SIM_IPS', env.SIM_IPS) as never,
    actionDelayMs: Number(env.SIM_ACTION_DELAY_MS ?? 3000),
    rateLimit: { perHour: 5000, perMinute: 250 },
  });
} catch (error) {
  sim = fail(`cannot start: ${(error as Error).message}`);
}
const host = env.SIM_HOST ?? '127.0.0.1';
if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) fail(`SIM_HOST must be an IPv4 address, not "${host}"`);
void sim.listen(Number(env.SIM_PORT ?? 8080), host).then((address) => {
  process.stdout.write(`DigitalOcean API simulator listening on ${address}\n`);
});
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
