/**
 * An in-memory cluster a whole drill can run against, in a second: FakeFaults' nodes, a "repmgr"
 * that promotes the standby once the primary has not served for `failoverMs`, an "endpoint
 * agent" that moves the endpoint to whoever is primary, and the app's set routes on a real HTTP
 * server on 127.0.0.1 (the drill's client and workload run unchanged), writing rows stamped with
 * the primary that committed them. It heals itself, as the real cluster does: the runner's tests
 * can check that the runner only ever acted on it through a nemesis (`calls`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TIMING_PROFILES, type CapabilityName, type ClusterSnapshot, type DrillTarget, type EndpointEvent, type EndpointState, type NodeState, type TargetSpec } from '../../cluster/index.ts';
import { FakeFaults } from './fake-faults.ts';

interface Row {
  id: string;
  name: string;
  db: 'app' | 'analytics';
  committed_by: string;
  committed_timeline: number;
  committed_at_ms: number;
}

export interface FakeTargetOptions {
  /** How long the primary must not serve before the standby is promoted (Infinity: never). */
  failoverMs?: number;
  /** The capabilities it lacks (see FakeFaults). */
  without?: readonly CapabilityName[];
}

export class FakeTarget extends FakeFaults implements DrillTarget {
  readonly spec: TargetSpec = {
    name: 'fake',
    replication: 'sync',
    timing: TIMING_PROFILES.fast,
    tls: false,
    endpoint: 'docker-alias',
    nodes: [
      { name: 'node1', id: 1, initialRole: 'primary' },
      { name: 'node2', id: 2, initialRole: 'standby' },
      { name: 'node3', id: 3, initialRole: 'witness' },
    ],
  };
  readonly credentials = { app: { database: 'flipdrill' } };
  readonly rows: Row[] = [];
  timeline = 1;
  holder: string | undefined = 'node1';
  readonly promotions: { node: string; at: number }[] = [];
  readonly endpointMoves: EndpointEvent[] = [];
  readonly #failoverMs: number;
  #notServingSince: number | undefined;
  #server?: Server;
  #url = '';

  private constructor(options: FakeTargetOptions) {
    super(['node1', 'node2', 'node3'], 'node1', options.without ? { without: options.without } : {});
    this.#failoverMs = options.failoverMs ?? 200;
    this.node('node3').walSenders = 0;
  }

  /** Start the fake, its app answering on 127.0.0.1. */
  static async start(options: FakeTargetOptions = {}): Promise<FakeTarget> {
    const target = new FakeTarget(options);
    await target.#listen();
    return target;
  }

  get appUrl(): string {
    return this.#url;
  }

  #serving(name: string): boolean {
    const n = this.node(name);
    return n.running && !n.postmasterDown && !n.paused && !n.partitioned && !n.oneWay;
  }

  /** "repmgr" and the "endpoint agent": one look at the nodes, and what they do about it. */
  #tick(): void {
    const now = Date.now();
    if (this.#serving(this.primaryNode)) {
      this.#notServingSince = undefined;
    } else {
      this.#notServingSince ??= now;
      // Only a standby whose repmgrd runs promotes itself.
      const standby = ['node1', 'node2'].find((n) => n !== this.primaryNode && this.#serving(n) && this.node(n).repmgrd);
      if (standby && now - this.#notServingSince >= this.#failoverMs) {
        this.primaryNode = standby;
        this.timeline += 1;
        this.promotions.push({ node: standby, at: now });
        this.#notServingSince = undefined;
      }
    }
    const wanted = this.#serving(this.primaryNode) ? this.primaryNode : undefined;
    if (wanted && this.holder !== wanted) {
      this.holder = wanted;
      this.endpointMoves.push({ at: now, action: 'move', node: wanted, reason: `${wanted} is primary (timeline ${this.timeline})`, durationMs: 1 });
    }
  }

  role(name: string): NodeState['role'] {
    if (!this.#serving(name)) return 'down';
    if (name === 'node3') return 'witness';
    return name === this.primaryNode ? 'primary' : 'standby';
  }

  // ClusterReads

  where = (node: string) => `fake ${node}`;
  isReady = async (node: string) => this.node(node).running;
  nodeLogs = async (node: string) => `fake log of ${node}\n`;
  primary = async () => (this.#serving(this.primaryNode) ? this.primaryNode : undefined);

  async observe(): Promise<ClusterSnapshot> {
    this.#tick();
    return { takenAt: Date.now(), nodes: this.spec.nodes.map((n) => ({ name: n.name, role: this.role(n.name), ...(this.role(n.name) === 'primary' ? { timeline: this.timeline } : {}) })) };
  }

  keptObserver() {
    return { observe: () => this.observe(), close() {} };
  }

  /** The SQL a drill reads with: the final read of its rows, synchronous_standby_names, repmgr's events. */
  async query<T extends Record<string, unknown>>(node: string, sql: string, params: unknown[] = [], database?: string): Promise<T[]> {
    if (!this.#serving(node)) throw new Error(`${node} does not answer`);
    const table = /FROM (countries|events)/.exec(sql)?.[1];
    if (table) {
      const db = database === 'flipdrill_analytics' || table === 'events' ? 'analytics' : 'app';
      const prefix = String(params[0] ?? '');
      return this.rows
        .filter((r) => r.db === db && r.name.startsWith(prefix))
        .map((r) => ({ id: r.id, committed_by: r.committed_by, committed_timeline: r.committed_timeline, committed_at_us: String(r.committed_at_ms * 1000) }) as unknown as T);
    }
    if (sql.includes('synchronous_standby_names')) return [{ names: '' } as unknown as T];
    if (sql.includes('repmgr.events')) {
      return this.promotions.map((p) => ({ node_name: p.node, event: 'repmgrd_failover_promote', successful: true, at: String(p.at), details: null }) as unknown as T);
    }
    throw new Error(`the fake answers no ${sql.slice(0, 40)}`);
  }

  // EndpointWatch

  readonly endpoint = {
    kind: 'docker-alias' as const,
    address: 'pg-primary',
    state: async (): Promise<EndpointState> => ({ ...(this.holder ? { holder: this.holder } : {}), reachable: ['node1', 'node2'].filter((n) => this.#serving(n)) }),
  };
  endpointMover = async () => ({ by: 'the fake endpoint agent', ok: true });
  endpointActions = async (sinceMs: number) => this.endpointMoves.filter((e) => e.at >= sinceMs);
  doSimulator = async <T>(): Promise<T> => {
    throw new Error('the fake has no DigitalOcean simulator');
  };

  // AppHost

  appProfile = async () => 'aware' as const;
  useAppProfile = async () => {};

  async release(): Promise<void> {}

  async stop(): Promise<void> {
    this.calls.push('stop');
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  /** The app's set routes: inserts through the primary (refused while there is none), reads of them. */
  async #listen(): Promise<void> {
    this.#server = createServer((req, res) => {
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        const write = /^\/(countries|events)$/.exec(req.url ?? '');
        if (req.method === 'POST' && write) {
          if (!this.#serving(this.primaryNode)) return answer(503, { error: 'no primary', outcome: 'failed', code: '57P01' });
          const { id, name } = JSON.parse(text) as { id: string; name: string };
          const row: Row = { id, name, db: write[1] === 'events' ? 'analytics' : 'app', committed_by: this.primaryNode, committed_timeline: this.timeline, committed_at_ms: Date.now() };
          this.rows.push(row);
          return answer(201, { id, name, committed_by: row.committed_by, committed_timeline: row.committed_timeline, committed_at: new Date(row.committed_at_ms).toISOString() });
        }
        const read = /^\/countries\/([0-9a-f-]+)$/.exec(req.url ?? '');
        if (req.method === 'GET' && read) {
          const row = this.rows.find((r) => r.id === read[1]);
          return row ? answer(200, { id: row.id, committed_by: row.committed_by }) : answer(404, { error: 'not found', outcome: 'failed', code: 'NOT_FOUND' });
        }
        answer(404, { error: `the fake app has no ${req.method} ${req.url}`, outcome: 'failed', code: 'NO_ROUTE' });
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }
}
