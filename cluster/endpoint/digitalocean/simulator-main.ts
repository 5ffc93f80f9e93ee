/**
 * The DigitalOcean API simulator as a process (in its container on a cluster's replication
 * network, so the nodes' promote hooks can call it). Configured from the environment:
 *
 *   SIM_TOKENS           comma-separated accepted tokens
 *   SIM_DROPLETS         JSON [{ id, name, region }]
 *   SIM_IPS              JSON [{ ip, region, dropletId }]
 *   SIM_ACTION_DELAY_MS  how long an action stays in-progress (default 3000)
 *   SIM_PORT             default 8080; it listens on every address of its container
 */
import { DoApiSimulator } from './simulator.ts';

const env = process.env;
const sim = new DoApiSimulator({
  tokens: (env.SIM_TOKENS ?? '').split(',').filter(Boolean),
  droplets: JSON.parse(env.SIM_DROPLETS ?? '[]'),
  ips: JSON.parse(env.SIM_IPS ?? '[]'),
  actionDelayMs: Number(env.SIM_ACTION_DELAY_MS ?? 3000),
  rateLimit: { perHour: 5000, perMinute: 250 },
});
void sim.listen(Number(env.SIM_PORT ?? 8080), '0.0.0.0').then((address) => {
  process.stdout.write(`DigitalOcean API simulator listening on ${address}\n`);
});
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
