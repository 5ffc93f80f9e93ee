/**
 * The floating endpoint as a virtual IP: a secondary address on the application network, which
 * the promote hook adds to the new primary's interface and announces with gratuitous ARP
 * (flipdrill-vip in the node image), and which a node that is not primary gives up (at boot, when
 * it rejoins). Nothing here moves it: the nodes do, as on VMs with no orchestrator. This watches
 * where it is, and fences like the alias does (a fenced node is off the application network, and
 * its copy of the address goes with the interface).
 */
import { EndpointError } from '../errors.ts';
import type { EndpointState, FloatingEndpoint } from './endpoint.ts';

export interface VirtualIpEndpointOptions {
  /** Fencing and reachability: the Docker alias endpoint of the same network. */
  network: FloatingEndpoint;
  address: string;
  /** Does this node hold the address now? */
  holds: (node: string) => Promise<boolean>;
  waitMs?: number;
}

export class VirtualIpEndpoint implements FloatingEndpoint {
  readonly kind = 'virtual-ip' as const;
  readonly address: string;
  readonly #o: VirtualIpEndpointOptions;

  constructor(options: VirtualIpEndpointOptions) {
    this.#o = options;
    this.address = options.address;
  }

  async state(): Promise<EndpointState> {
    const network = await this.#o.network.state();
    // The first node that holds it: with two (an old primary not yet fenced), the controller fences
    // the old one first, and the next look finds one.
    for (const node of network.reachable) if (await this.#o.holds(node)) return { holder: node, reachable: network.reachable };
    return { reachable: network.reachable };
  }

  /** The promote hook takes the address; this waits a moment for it and says so if it has not. */
  async moveTo(node: string): Promise<void> {
    const deadline = Date.now() + (this.#o.waitMs ?? 2000);
    while (!(await this.#o.holds(node))) {
      if (Date.now() >= deadline) throw new EndpointError(`${node} is primary but does not hold the virtual IP ${this.address} yet: waiting for its promote hook`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  fence(node: string): Promise<void> {
    return this.#o.network.fence(node);
  }

  unfence(node: string): Promise<void> {
    return this.#o.network.unfence(node);
  }
}
