import { clientSettings } from './app-settings.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { parseClusterFile, readClusterFile } from './cluster-file.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-cluster-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = path.join(dir, 'id_ed25519');
writeFileSync(key, 'not a real key\n');
const env = { PGPASSWORD: 's3cret', KEY: key };

const GOOD = `
name: staging
endpoint: postgres://flipdrill:\${PGPASSWORD}@127.0.0.1:35000/app
replicas: ["postgres://flipdrill:\${PGPASSWORD}@127.0.0.1:35001/app"]
nodes:
  - name: pg1
    url: postgres://flipdrill:\${PGPASSWORD}@127.0.0.1:35011/app
    docker: fdfix-patroni-pg1
    patroni: http://127.0.0.1:35021
  - name: pg2
    url: postgres://flipdrill:\${PGPASSWORD}@127.0.0.1:35012/app
    ssh: { host: 127.0.0.1, user: admin, key: "\${KEY}", port: 2222 }
  - name: pg3
    url: postgres://flipdrill:\${PGPASSWORD}@127.0.0.1:35013/app
    commands: { kill: "docker kill fdfix-patroni-pg3", start: "docker start fdfix-patroni-pg3", freeze: "docker pause fdfix-patroni-pg3", thaw: "docker unpause fdfix-patroni-pg3", timeoutSecs: 30 }
`;

describe('cluster files', () => {
  it('reads a cluster file: URLs with their secrets from the environment, one driver per node, the manager\'s extras', () => {
    const file = parseClusterFile(GOOD, 'staging.yaml', env);
    expect(file.name).toBe('staging');
    expect(file.endpoint).toBe('postgres://flipdrill:s3cret@127.0.0.1:35000/app');
    expect(file.replicas).toEqual(['postgres://flipdrill:s3cret@127.0.0.1:35001/app']);
    expect(file.nodes.map((n) => n.driver)).toEqual([
      { kind: 'docker', container: 'fdfix-patroni-pg1' },
      { kind: 'ssh', host: '127.0.0.1', user: 'admin', port: 2222, key },
      { kind: 'commands', commands: { kill: 'docker kill fdfix-patroni-pg3', start: 'docker start fdfix-patroni-pg3', freeze: 'docker pause fdfix-patroni-pg3', thaw: 'docker unpause fdfix-patroni-pg3' }, timeoutSecs: 30 },
    ]);
    expect(file.nodes[0]!.patroni).toBe('http://127.0.0.1:35021');
    // The same cluster as JSON.
    const json = JSON.stringify({ name: 'x', endpoint: 'postgres://u@h1:5432,h2:5432/app?target_session_attrs=read-write', nodes: [{ name: 'a', url: 'postgres://u@h1/app', docker: 'a' }, { name: 'b', url: 'postgres://u@h2/app', docker: 'b' }] });
    expect(parseClusterFile(json, 'x.json', {}).endpoint).toContain('h1:5432,h2:5432');
  });

  it("percent-encodes a secret that goes into a URL's user part, so '/', '@' or '%' in a password cannot break it", () => {
    const json = JSON.stringify({ name: 'x', endpoint: 'postgres://u:${PW}@h/app', nodes: [{ name: 'a', url: 'postgres://u:${PW}@h1/app', docker: 'a' }, { name: 'b', url: 'postgres://u@h2/app?application_name=${PW}', docker: 'b' }] });
    const file = parseClusterFile(json, 'x.json', { PW: 'a/b@c%d' });
    expect(file.endpoint).toBe('postgres://u:a%2Fb%40c%25d@h/app');
    expect(new URL(file.nodes[0]!.url).password).toBe('a%2Fb%40c%25d');
    expect(decodeURIComponent(new URL(file.nodes[0]!.url).password)).toBe('a/b@c%d');
  });

  const node = (extra: string) => `\n  - name: pg2\n    url: postgres://u@127.0.0.1:2/app\n    docker: b${extra}`;
  const base = (nodes: string, top = '') => `name: s\nendpoint: postgres://u@127.0.0.1:1/app${top}\nnodes:\n  - name: pg1\n    url: postgres://u@127.0.0.1:1/app\n    docker: a${nodes}\n`;
  const BAD: [string, string, RegExp][] = [
    ['not YAML', 'name: [unclosed', /not valid YAML/],
    ['an unknown key, with the key it meant', base(node(''), '\nendpoints: x'), /unknown key "endpoints" \(did you mean "endpoint"\?\)/],
    ['a node with no driver', `name: s\nendpoint: postgres://u@h/app\nnodes:\n  - name: a\n    url: postgres://u@h/app\n  - name: b\n    url: postgres://u@h/app\n    docker: b\n`, /node a has no way to act on it: give one of docker, ssh or commands/],
    ['a node with two drivers', base(node('\n    ssh: { host: h, user: u }')), /node pg2 has docker and ssh: give one way to act on a node/],
    ['a password written into the file', base(node('')).replace('postgres://u@127.0.0.1:1/app\nnodes', 'postgres://u:hunter2@127.0.0.1:1/app\nnodes'), /endpoint: a password written into the file; give it as \$\{VAR\}/],
    ['an unset variable', base(node('')).replace('u@127.0.0.1:1/app\nnodes', 'u:${NOPE}@127.0.0.1:1/app\nnodes'), /endpoint: \$\{NOPE\} is not set in the environment/],
    ['an endpoint that is no PostgreSQL URL', base(node('')).replace('postgres://u@127.0.0.1:1/app\nnodes', 'mysql://u@h/app\nnodes'), /endpoint must be a postgres:\/\/ URL, not "mysql:\/\/u@h\/app"/],
    ['one node', `name: s\nendpoint: postgres://u@h/app\nnodes:\n  - name: a\n    url: postgres://u@h/app\n    docker: a\n`, /nodes must list the cluster's nodes, at least two/],
    ['two nodes of one name', base(node('')).replace('name: pg2', 'name: pg1'), /two nodes are named pg1/],
    ['an SSH key that is not there', base(`\n  - name: pg2\n    url: postgres://u@h/app\n    ssh: { host: h, user: u, key: /nonexistent/id }`), /node pg2.ssh.key: no such file \/nonexistent\/id/],
    ['a fault command without its undo', base(`\n  - name: pg2\n    url: postgres://u@h/app\n    commands: { freeze: "true" }`), /node pg2.commands: freeze and thaw go together/],
    ['a manager flipdrill does not know', base(node(''), '\nmanager: stolon'), /manager must be one of repmgr, patroni, pg_auto_failover/],
    ['a Patroni URL with a password in it', base(node('\n    patroni: "http://admin:secret@127.0.0.1:8008"')), /node pg2\.patroni: a user or password in the URL/],
    ['pg_auto_failover without its monitor', base(node(''), '\nmanager: pg_auto_failover'), /manager pg_auto_failover needs the monitor's URL/],
  ];

  it.each(BAD)('refuses %s, in one line', (_what, text, message) => {
    let error: unknown;
    try {
      parseClusterFile(text, 'bad.yaml', env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/^cluster file bad\.yaml: /);
    expect((error as Error).message).not.toContain('\n');
  });

  it('reads a file from disk, and says so when there is none', () => {
    const file = path.join(dir, 'staging.yaml');
    writeFileSync(file, GOOD);
    expect(readClusterFile(file, env).nodes).toHaveLength(3);
    expect(() => readClusterFile(path.join(dir, 'missing.yaml'), env)).toThrow(/no such file/);
    expect(() => readClusterFile(dir, env)).toThrow(/not a regular file/);
  });
});

describe("a client module's settings for a cluster file's URL", () => {
  it('the first host and its port, every host of a multi-host URL, the URL itself, and the drill schema as options', () => {
    const url = 'postgres://drill:s%40cret@pg1:5433,pg2,[::1]:6000/app?target_session_attrs=read-write';
    expect(clientSettings(url)).toEqual({
      host: 'pg1',
      port: 5433,
      user: 'drill',
      password: 's@cret',
      database: 'app',
      options: '-c search_path=flipdrill,public',
      url,
      hosts: [
        { host: 'pg1', port: 5433 },
        { host: 'pg2', port: 5432 },
        { host: '::1', port: 6000 },
      ],
    });
  });
});
