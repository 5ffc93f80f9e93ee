/**
 * The engine filter, in front of a stand-in engine on a unix socket that records what reaches it:
 * the agent's own client (EngineSocket) gets through for its cluster's containers and networks,
 * and everything else is answered 403 without reaching the engine.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EngineFilter } from './engine-filter.ts';
import { ADDRESS_LIST_COMMAND, EngineSocket } from './engine-socket.ts';

const ours = { 'io.flipdrill.project': 'flipdrill', 'io.flipdrill.cluster': 'c1' };
const theirs = { 'io.flipdrill.project': 'flipdrill', 'io.flipdrill.cluster': 'c2' };
const id = (c: string) => c.repeat(64);
const containers: Record<string, { Id: string; Name: string; Config: { Labels: Record<string, string> } }> = {
  'c1-node1': { Id: id('a'), Name: '/c1-node1', Config: { Labels: ours } },
  'c2-node1': { Id: id('b'), Name: '/c2-node1', Config: { Labels: theirs } },
  bystander: { Id: id('c'), Name: '/bystander', Config: { Labels: {} } },
};
const networks: Record<string, { Id: string; Labels: Record<string, string> }> = {
  'c1-front': { Id: id('d'), Labels: ours },
  'c2-front': { Id: id('e'), Labels: theirs },
};
const EXEC_ID = id('f');

/** What reached the stand-in engine. */
let seen: { method: string; url: string; body: unknown }[] = [];

function fakeEngine(): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const url = req.url ?? '';
      seen.push({ method: req.method ?? '', url, body: text ? JSON.parse(text) : undefined });
      const send = (status: number, body: unknown) => {
        const out = Buffer.from(JSON.stringify(body));
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': out.length }).end(out);
      };
      const p = decodeURIComponent(url.split('?')[0]!);
      let m: RegExpExecArray | null;
      if (p === '/containers/json') return send(200, Object.values(containers).map((c) => ({ Id: c.Id, Names: [c.Name], State: 'running', Labels: c.Config.Labels })));
      if ((m = /^\/containers\/([^/]+)\/json$/.exec(p))) {
        const c = containers[m[1]!] ?? Object.values(containers).find((x) => x.Id === m![1]);
        return c ? send(200, { ...c, State: { Running: true, Status: 'running' }, NetworkSettings: { Networks: {} } }) : send(404, { message: 'No such container' });
      }
      if ((m = /^\/networks\/([^/]+)$/.exec(p))) return networks[m[1]!] ? send(200, networks[m[1]!]) : send(404, { message: 'No such network' });
      if (/^\/networks\/[^/]+\/(connect|disconnect)$/.test(p)) return send(200, {});
      if (/^\/containers\/[^/]+\/exec$/.test(p)) return send(201, { Id: EXEC_ID });
      if (p === `/exec/${EXEC_ID}/start`) {
        const line = Buffer.from('1: lo    inet 127.0.0.1/8\n');
        const header = Buffer.alloc(8);
        header[0] = 1;
        header.writeUInt32BE(line.length, 4);
        res.writeHead(200, { 'content-type': 'application/vnd.docker.raw-stream' });
        return res.end(Buffer.concat([header, line]));
      }
      if (p === `/exec/${EXEC_ID}/json`) return send(200, { Running: false, ExitCode: 0 });
      if (p === '/containers/create') return send(201, { Id: id('9') });
      send(200, {});
    });
  });
}

let dir: string;
let engine: http.Server;
let filterServer: http.Server;
let filterSocket: string;
const refused: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-filter-'));
  engine = fakeEngine();
  await new Promise<void>((r) => engine.listen(path.join(dir, 'engine.sock'), r));
  filterSocket = path.join(dir, 'filter.sock');
  filterServer = new EngineFilter({ cluster: 'c1', upstream: { socketPath: path.join(dir, 'engine.sock') }, onRefused: (m, p) => refused.push(`${m} ${p}`) }).server();
  await new Promise<void>((r) => filterServer.listen(filterSocket, r));
});

afterAll(async () => {
  await new Promise((r) => filterServer.close(r));
  await new Promise((r) => engine.close(r));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
});

/** A raw request to the filter: its status and parsed body. */
function ask(method: string, url: string, body?: unknown): Promise<{ status: number; body: { message?: string } }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const req = http.request({ socketPath: filterSocket, method, path: url, headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { message?: string } }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

describe('the engine filter, through the agent’s own client', () => {
  const client = () => new EngineSocket(filterSocket, 2000);

  it("lists only the cluster's containers, inspects its own, connects and disconnects them with their full ids", async () => {
    const list = await client().listContainers(ours);
    expect(list.map((c) => c.name)).toEqual(['c1-node1']);
    expect((await client().inspectContainer('c1-node1'))?.running).toBe(true);
    expect(await client().inspectContainer('c1-node9')).toBeUndefined(); // the engine's 404, passed on
    expect(await client().networkLabels('c1-front')).toEqual(ours);
    seen = [];
    await client().connectNetwork('c1-front', 'c1-node1', { ipv4Address: '10.0.0.11', aliases: ['node1', 'pg-primary'] });
    await client().disconnectNetwork('c1-front', 'c1-node1');
    const changes = seen.filter((s) => s.method === 'POST');
    expect(changes).toEqual([
      { method: 'POST', url: `/networks/${id('d')}/connect`, body: { Container: id('a'), EndpointConfig: { Aliases: ['node1', 'pg-primary'], IPAMConfig: { IPv4Address: '10.0.0.11' } } } },
      { method: 'POST', url: `/networks/${id('d')}/disconnect`, body: { Container: id('a'), Force: true } },
    ]);
  });

  it('runs the address listing in a node of the cluster, and nothing else', async () => {
    const r = await client().exec('c1-node1', [...ADDRESS_LIST_COMMAND]);
    expect(r).toEqual({ exitCode: 0, stdout: '1: lo    inet 127.0.0.1/8\n', stderr: '' });
    await expect(client().exec('c1-node1', ['sh', '-c', 'id'])).rejects.toThrow(/answered 403: flipdrill engine filter: the one command that may run is "ip -o -4 addr show"/);
    await expect(client().exec('c2-node1', [...ADDRESS_LIST_COMMAND])).rejects.toThrow(/answered 403: .*not of cluster c1/);
  });
});

describe('the engine filter refuses, without asking the engine', () => {
  for (const [what, method, url, body] of [
    ['a container made', 'POST', '/containers/create', { Image: 'x', HostConfig: { Privileged: true, Binds: ['/:/host'] } }],
    ['a versioned path', 'POST', '/v1.43/containers/create', { Image: 'x' }],
    ['a container list without the cluster labels', 'GET', '/containers/json?all=1', undefined],
    ['a container list of another cluster', 'GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: ['io.flipdrill.project=flipdrill', 'io.flipdrill.cluster=c2'] }))}`, undefined],
    ['a container list with another filter too', 'GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: ['io.flipdrill.project=flipdrill', 'io.flipdrill.cluster=c1'], name: ['x'] }))}`, undefined],
    ['an exec started that it did not make', 'POST', `/exec/${id('0')}/start`, { Detach: false, Tty: false }],
    ['an exec as root with a shell', 'POST', '/containers/c1-node1/exec', { Cmd: [...ADDRESS_LIST_COMMAND], AttachStdout: true, AttachStderr: true, User: 'root' }],
    ['a path with escapes', 'GET', '/containers/c1-node1%2f..%2f..%2fjson/json', undefined],
    ['a path with dots', 'GET', '/containers/../containers/json', undefined],
    ['a container archive', 'GET', '/containers/c1-node1/archive?path=/', undefined],
    ['a container stopped', 'POST', '/containers/c1-node1/stop', undefined],
    ['events', 'GET', '/events', undefined],
    ['a network made', 'POST', '/networks/create', { Name: 'x' }],
    ['an image pulled', 'POST', '/images/create?fromImage=x', undefined],
  ] as const) {
    it(`${what}: 403`, async () => {
      const r = await ask(method, url, body);
      expect(r.status).toBe(403);
      expect(r.body.message).toMatch(/^flipdrill engine filter: /);
      expect(seen).toEqual([]);
    });
  }

  it('a connect of a container of another cluster, or of none, to its own network: 403, nothing changed', async () => {
    for (const container of ['c2-node1', 'bystander']) {
      const r = await ask('POST', '/networks/c1-front/connect', { Container: container, EndpointConfig: { Aliases: ['pg-primary'], IPAMConfig: { IPv4Address: '10.0.0.50' } } });
      expect(r.status).toBe(403);
    }
    const r = await ask('POST', '/networks/c2-front/connect', { Container: 'c1-node1', EndpointConfig: { Aliases: [], IPAMConfig: { IPv4Address: '10.0.0.50' } } });
    expect(r.status).toBe(403);
    expect(seen.filter((s) => s.method === 'POST')).toEqual([]);
  });

  it('a connect with more than aliases and an address (driver options, links): 403, nothing changed', async () => {
    const r = await ask('POST', '/networks/c1-front/connect', { Container: 'c1-node1', EndpointConfig: { Aliases: ['x'], IPAMConfig: { IPv4Address: '10.0.0.50' }, DriverOpts: { a: 'b' } } });
    expect(r.status).toBe(403);
    expect(seen.filter((s) => s.method === 'POST')).toEqual([]);
  });

  it('an inspect of a container or network not of the cluster: 403', async () => {
    expect((await ask('GET', '/containers/bystander/json')).status).toBe(403);
    expect((await ask('GET', '/containers/c2-node1/json')).status).toBe(403);
    expect((await ask('GET', '/networks/c2-front')).status).toBe(403);
    expect(refused).toContain('GET /containers/bystander/json');
  });
});
