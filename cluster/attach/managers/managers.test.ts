import { describe, expect, it } from 'vitest';
import { PatroniManager } from './patroni.ts';
import { PgAutoFailoverManager, type MonitorQuery } from './pg-auto-failover.ts';

/** A Patroni REST API that answers from a table (the first node's API down when asked). */
function patroniApi(answers: Record<string, unknown>, down: string[] = []) {
  const calls: string[] = [];
  const http = (async (input: URL | string, init?: RequestInit) => {
    const url = new URL(String(input));
    calls.push(`${init?.method ?? 'GET'} ${url.host}${url.pathname}${init?.body ? ` ${String(init.body)}` : ''}`);
    if (down.includes(url.host)) throw new Error('connect ECONNREFUSED');
    const body = answers[`${init?.method ?? 'GET'} ${url.pathname}`];
    if (body === undefined) return new Response('not found', { status: 404 });
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status: 200 });
  }) as typeof fetch;
  return { http, calls };
}

const APIS = [
  { node: 'pg1', url: 'http://127.0.0.1:35021' },
  { node: 'pg2', url: 'http://127.0.0.1:35022' },
  { node: 'pg3', url: 'http://127.0.0.1:35023' },
];

describe("Patroni, through its REST API", () => {
  it('is whole with one running leader and every replica streaming; says what is not, one line each', async () => {
    const whole = { members: [{ name: 'pg1', role: 'leader', state: 'running' }, { name: 'pg2', role: 'replica', state: 'streaming' }, { name: 'pg3', role: 'sync_standby', state: 'streaming' }] };
    expect(await new PatroniManager(APIS, 1000, patroniApi({ 'GET /cluster': whole }).http).whole()).toEqual([]);
    const broken = { members: [{ name: 'pg2', role: 'replica', state: 'starting' }, { name: 'pg3', role: 'replica', state: 'streaming' }] };
    // pg1's API is down: the next member's answers for the cluster.
    const api = patroniApi({ 'GET /cluster': broken }, ['127.0.0.1:35021']);
    expect(await new PatroniManager(APIS, 1000, api.http).whole()).toEqual(['Patroni reports no leader', 'Patroni reports pg2 as replica, starting', 'Patroni does not list pg1 as a member']);
    expect(api.calls).toEqual(['GET 127.0.0.1:35021/cluster', 'GET 127.0.0.1:35022/cluster']);
  });

  it('gives its timeline switches since a time as events, and switches over by POST /switchover', async () => {
    const api = patroniApi({
      'GET /history': [
        [1, 50331808, 'no recovery target specified', '2026-12-07T02:00:00.000+00:00', 'pg2'],
        [2, 83886240, 'no recovery target specified', '2026-12-07T03:00:00.000+00:00', 'pg1'],
      ],
      'GET /cluster': { members: [{ name: 'pg1', role: 'leader', state: 'running' }, { name: 'pg2', role: 'replica', state: 'streaming' }, { name: 'pg3', role: 'replica', state: 'streaming' }] },
      'POST /switchover': 'Successfully switched over to "pg2"',
    });
    const patroni = new PatroniManager(APIS, 1000, api.http);
    expect(await patroni.events(Date.parse('2026-12-07T02:30:00Z'))).toEqual([{ at: Date.parse('2026-12-07T03:00:00Z'), node: 'pg1', event: 'timeline 3', details: 'no recovery target specified' }]);
    expect(patroni.describeSwitchover('pg2', 'pg1')).toBe('POST http://127.0.0.1:35021/switchover {"leader":"pg1","candidate":"pg2"} (Patroni\'s REST API; as patronictl switchover does)');
    expect(await patroni.switchover('pg2', 'pg1')).toBe('Successfully switched over to "pg2"');
    expect(api.calls.at(-1)).toBe('POST 127.0.0.1:35021/switchover {"leader":"pg1","candidate":"pg2"}');
    await expect(new PatroniManager(APIS, 1000, patroniApi({ 'GET /cluster': { members: [] } }).http).switchover('pg2', 'pg1')).rejects.toThrow('Patroni refused the switchover to pg2 (HTTP 404): not found');
  });

  it('in synchronous mode, switches over to the synchronous standby when asked for another, and says so', async () => {
    const api = patroniApi({
      'GET /cluster': { members: [{ name: 'pg1', role: 'leader', state: 'running' }, { name: 'pg2', role: 'replica', state: 'streaming' }, { name: 'pg3', role: 'sync_standby', state: 'streaming' }] },
      'POST /switchover': 'Successfully switched over to "pg3"',
    });
    expect(await new PatroniManager(APIS, 1000, api.http).switchover('pg2', 'pg1')).toBe(
      'Successfully switched over to "pg3" (to pg3, not pg2: Patroni in synchronous mode switches over only to its synchronous standby)',
    );
    expect(api.calls.at(-1)).toBe('POST 127.0.0.1:35021/switchover {"leader":"pg1","candidate":"pg3"}');
  });
});

describe("pg_auto_failover, through its monitor", () => {
  const rows = (a: string, b: string, goalB = b) => [
    { nodename: 'node_1', nodehost: 'node1', nodeport: 5432, formationid: 'default', groupid: 0, reportedstate: a, goalstate: a },
    { nodename: 'node_2', nodehost: 'node2', nodeport: 5432, formationid: 'default', groupid: 0, reportedstate: b, goalstate: goalB },
  ];
  const monitor = (answer: unknown[]) => {
    const asked: string[] = [];
    const query: MonitorQuery = async (sql, params) => {
      asked.push(`${sql.trim().split(/\s+/).slice(0, 2).join(' ')}${params ? ` ${JSON.stringify(params)}` : ''}`);
      return answer as never;
    };
    return { query, asked };
  };
  const NODES = [
    { node: 'node1', host: 'node1', port: 5432 },
    { node: 'node2', host: 'node2', port: 5432 },
  ];

  it('is whole with one primary and secondaries at their goal; names the file\'s nodes by host and port', async () => {
    expect(await new PgAutoFailoverManager(monitor(rows('primary', 'secondary')).query, NODES).whole()).toEqual([]);
    expect(await new PgAutoFailoverManager(monitor(rows('primary', 'catchingup', 'secondary')).query, NODES).whole()).toEqual(['the monitor reports node2 catchingup, on its way to secondary']);
    expect(await new PgAutoFailoverManager(monitor(rows('demoted', 'wait_primary')).query, NODES).whole()).toEqual(['the monitor reports no primary', 'the monitor reports node1 demoted', 'the monitor reports node2 wait_primary']);
  });

  it("switches over by the monitor's own function, for the candidate's group", async () => {
    const m = monitor(rows('primary', 'secondary'));
    const manager = new PgAutoFailoverManager(m.query, NODES);
    expect(await manager.switchover('node2')).toBe("pgautofailover.perform_promotion('default', 'node_2') accepted by the monitor");
    expect(m.asked.at(-1)).toBe('SELECT pgautofailover.perform_promotion($1::text, ["default","node_2"]');
    await expect(manager.switchover('node9')).rejects.toThrow('the monitor does not list node9');
  });
});
