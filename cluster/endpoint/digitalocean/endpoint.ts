/**
 * The floating endpoint as a DigitalOcean floating IP. DigitalOcean decides where the IP is: the
 * promote hook on the new primary asks it to move the IP (flipdrill-flip-here), and nothing here
 * moves it. Locally, a Docker alias stands in for DigitalOcean's network: it follows the API's
 * assignment, so the simulator's answer decides which node the app reaches. Fencing stays the
 * alias's (an old primary is cut off from application traffic until it is a standby).
 *
 * The API is asked at most once a second: its rate limit (250 requests a minute per token) is
 * shared with nothing else, but a controller polling five times a second would spend it.
 */
import { EndpointError } from '../../errors.ts';
import type { EndpointState, FloatingEndpoint } from '../endpoint.ts';
import type { DoIpAssignment, DoIpClient } from './api.ts';

export interface DigitalOceanEndpointOptions {
  /** The local stand-in for DigitalOcean's network. */
  network: FloatingEndpoint;
  client: DoIpClient;
  ip: string;
  /** Droplet id → node name. */
  nodeOfDroplet: ReadonlyMap<number, string>;
  /** How long moveTo waits for DigitalOcean's assignment before reporting it has not moved. */
  waitMs?: number;
  cacheMs?: number;
}

export class DigitalOceanEndpoint implements FloatingEndpoint {
  readonly kind = 'do-floating-ip' as const;
  readonly address: string;
  readonly #o: DigitalOceanEndpointOptions;
  #cached?: { at: number; value: DoIpAssignment };

  constructor(options: DigitalOceanEndpointOptions) {
    this.#o = options;
    this.address = options.ip;
  }

  async #assignment(fresh = false): Promise<DoIpAssignment> {
    const now = Date.now();
    if (!fresh && this.#cached && now - this.#cached.at < (this.#o.cacheMs ?? 1000)) return this.#cached.value;
    const value = await this.#o.client.getIp(this.#o.ip);
    this.#cached = { at: now, value };
    return value;
  }

  /** The node DigitalOcean assigns the IP to (not where the local alias happens to be). */
  async state(): Promise<EndpointState> {
    const [assignment, network] = await Promise.all([this.#assignment(), this.#o.network.state()]);
    const holder = assignment.dropletId === null ? undefined : this.#o.nodeOfDroplet.get(assignment.dropletId);
    return { ...(holder ? { holder } : {}), reachable: network.reachable };
  }

  /**
   * Let the local network follow DigitalOcean once it assigns the IP to `node`. Asking DigitalOcean
   * is the promote hook's job; if the IP is not there within waitMs, this says so and the
   * controller asks again on its next tick.
   */
  async moveTo(node: string): Promise<void> {
    const deadline = Date.now() + (this.#o.waitMs ?? 2000);
    for (;;) {
      const assignment = await this.#assignment(true);
      const holder = assignment.dropletId === null ? undefined : this.#o.nodeOfDroplet.get(assignment.dropletId);
      if (holder === node) return this.#o.network.moveTo(node);
      if (Date.now() >= deadline) {
        throw new EndpointError(
          `${node} is primary, but DigitalOcean still assigns ${this.#o.ip} to ${holder ?? `droplet ${assignment.dropletId ?? 'none'}`}${assignment.locked ? ' (an action is in progress)' : ''}: waiting for the promote hook to move it`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  fence(node: string): Promise<void> {
    return this.#o.network.fence(node);
  }

  unfence(node: string): Promise<void> {
    return this.#o.network.unfence(node);
  }
}
