/** `flipdrill flip status|assign`: the DigitalOcean floating IP, by hand. */
import type { ParsedCommand } from '../../cli-args.ts';

export async function run({ target, values }: ParsedCommand): Promise<number> {
  // The same program the nodes' promote hook runs (cluster/endpoint/digitalocean/flip-cli.ts).
  const { runFlip: flip } = await import('../../../cluster/endpoint/digitalocean/flip-cli.ts');
  return flip([target!, ...(values.ip ? ['--ip', values.ip as string] : []), ...(values.droplet ? ['--droplet', values.droplet as string] : [])], process.env);
}
