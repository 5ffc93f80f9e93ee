/**
 * The floating endpoint, seen from this host: a TCP port on 127.0.0.1 that leads to whichever
 * node holds the endpoint now. Inside Docker the endpoint is a network alias (or a virtual IP)
 * that only containers on the application network can reach; code running here (a user's test
 * suite, the tutorial) connects to this port instead, and gets the same behaviour: a new
 * connection goes to the current holder, and connections to a node that lost the endpoint are
 * cut, as the alias's move cuts them.
 */
import net from 'node:net';
import type { Logger } from '../lib/logger.ts';

export interface LocalEndpointProxyOptions {
  /** The node holding the endpoint now (cached by the caller; asked at every new connection). */
  holder: () => string | undefined;
  /** Where a node's PostgreSQL is published on 127.0.0.1. */
  portOf: (node: string) => number;
  logger: Logger;
  /** 0 (default): any free port. */
  port?: number;
}

export class LocalEndpointProxy {
  readonly #o: LocalEndpointProxyOptions;
  readonly #server: net.Server;
  readonly #open = new Map<net.Socket, { node: string; upstream: net.Socket }>();
  #port = 0;

  constructor(options: LocalEndpointProxyOptions) {
    this.#o = options;
    this.#server = net.createServer((client) => this.#accept(client));
  }

  get port(): number {
    return this.#port;
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#o.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.#port = (this.#server.address() as net.AddressInfo).port;
    return this.#port;
  }

  #accept(client: net.Socket): void {
    const node = this.#o.holder();
    if (!node) {
      // No primary holds the endpoint: like connecting to an address nobody answers for.
      client.destroy();
      return;
    }
    const upstream = net.connect(this.#o.portOf(node), '127.0.0.1');
    this.#open.set(client, { node, upstream });
    const close = () => {
      this.#open.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** The endpoint moved: cut every connection that leads elsewhere. */
  follow(holder: string | undefined): void {
    for (const [client, { node, upstream }] of this.#open) {
      if (node === holder) continue;
      this.#o.logger.debug({ node, holder }, 'cutting a connection: the endpoint moved');
      client.destroy();
      upstream.destroy();
      this.#open.delete(client);
    }
  }

  async close(): Promise<void> {
    this.follow(undefined);
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
