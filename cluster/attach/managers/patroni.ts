/**
 * Patroni, through its REST API (port 8008 by default): `GET /cluster` for the members as the
 * leader sees them, `GET /history` for its timeline switches, `POST /switchover` for a planned
 * switchover. Any member's API answers for the cluster; the first of the file's that answers is used.
 */
import { ClusterError } from '../../errors.ts';
import type { HaManager, ManagerEvent } from './manager.ts';

interface Member {
  name: string;
  role: string;
  state: string;
  timeline?: number;
  lag?: number | string;
}

type Fetch = typeof fetch;

export class PatroniManager implements HaManager {
  readonly name = 'patroni' as const;

  /** `apis`: each node's REST URL, by node name (the file's `patroni:`). */
  constructor(
    private readonly apis: readonly { node: string; url: string }[],
    private readonly timeoutMs = 5000,
    private readonly http: Fetch = fetch,
  ) {
    if (apis.length === 0) throw new ClusterError("Patroni's REST API: no node of the cluster file gives one (patroni:)");
  }

  async #get<T>(path: string): Promise<T> {
    const errors: string[] = [];
    for (const { node, url } of this.apis) {
      try {
        const response = await this.http(new URL(path, url), { signal: AbortSignal.timeout(this.timeoutMs) });
        if (response.ok) return (await response.json()) as T;
        errors.push(`${node}: HTTP ${response.status}`);
      } catch (error) {
        errors.push(`${node}: ${(error as Error).message}`);
      }
    }
    throw new ClusterError(`Patroni's REST API did not answer ${path} (${errors.join('; ')})`);
  }

  async whole(): Promise<string[]> {
    const { members } = await this.#get<{ members: Member[] }>('/cluster');
    const problems: string[] = [];
    const leaders = members.filter((m) => m.role === 'leader' || m.role === 'standby_leader');
    if (leaders.length !== 1) problems.push(`Patroni reports ${leaders.length === 0 ? 'no leader' : `${leaders.length} leaders (${leaders.map((m) => m.name).join(', ')})`}`);
    for (const m of members) {
      const ok = m.role === 'leader' ? m.state === 'running' : m.state === 'streaming' || m.state === 'running';
      if (!ok) problems.push(`Patroni reports ${m.name} as ${m.role}, ${m.state}`);
    }
    for (const { node } of this.apis) if (!members.some((m) => m.name === node)) problems.push(`Patroni does not list ${node} as a member`);
    return problems;
  }

  async events(sinceMs: number): Promise<ManagerEvent[]> {
    // [[timeline, lsn, reason, timestamp, new leader], ...]: one per timeline switch.
    const history = await this.#get<unknown[][]>('/history');
    return history
      .map((h) => ({ timeline: Number(h[0]), reason: String(h[2] ?? ''), at: Date.parse(String(h[3] ?? '')), leader: h[4] === undefined ? undefined : String(h[4]) }))
      .filter((h) => Number.isFinite(h.at) && h.at >= sinceMs)
      .map((h) => ({ at: h.at, ...(h.leader ? { node: h.leader } : {}), event: `timeline ${h.timeline + 1}`, details: h.reason }));
  }

  describeSwitchover(candidate: string, current: string): string {
    return `POST ${new URL('/switchover', this.apis[0]!.url).href} {"leader":"${current}","candidate":"${candidate}"} (Patroni's REST API; as patronictl switchover does)`;
  }

  /**
   * Patroni in synchronous mode switches over only to a synchronous standby: asked for another,
   * the switchover goes to the synchronous standby instead, and its answer says so.
   */
  async switchover(wanted: string, current: string): Promise<string> {
    const { members } = await this.#get<{ members: Member[] }>('/cluster');
    const sync = members.filter((m) => m.role === 'sync_standby').map((m) => m.name);
    const candidate = sync.length && !sync.includes(wanted) ? sync[0]! : wanted;
    const instead = candidate === wanted ? '' : ` (to ${candidate}, not ${wanted}: Patroni in synchronous mode switches over only to its synchronous standby)`;
    return (await this.#switchover(candidate, current)) + instead;
  }

  async #switchover(candidate: string, current: string): Promise<string> {
    const errors: string[] = [];
    for (const { node, url } of this.apis) {
      try {
        const response = await this.http(new URL('/switchover', url), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ leader: current, candidate }),
          signal: AbortSignal.timeout(Math.max(this.timeoutMs, 60_000)),
        });
        const text = (await response.text()).trim();
        if (response.ok) return text;
        throw new ClusterError(`Patroni refused the switchover to ${candidate} (HTTP ${response.status}): ${text}`);
      } catch (error) {
        if (error instanceof ClusterError) throw error;
        errors.push(`${node}: ${(error as Error).message}`);
      }
    }
    throw new ClusterError(`Patroni's REST API did not answer the switchover (${errors.join('; ')})`);
  }
}
