/**
 * The endpoint agent's container holds the engine's socket, which is root on the host: it keeps
 * nothing else it does not need. Root reads the socket as its owner, only to serve the engine
 * filter; the agent runs as nobody behind it. No capability but SETUID and SETGID (for that change
 * of user), no new privileges, a read-only root file system with a tmpfs for the filter's socket;
 * its secret files go into a volume of its own, the only place the engine lets files into such a
 * container.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../images.ts';
import type { ContainerSpec } from '../docker-client.ts';
import { createContainer } from '../containers.ts';
import type { DockerodeContext } from '../dockerode-call.ts';
import type { ClusterCredentials, ClusterFacts } from '../cluster-facts.ts';
import { defineCluster } from '../../spec.ts';
import { agentContainerSpec } from './agent.ts';
import { SECRETS_DIR } from './node.ts';
import { FILTER_DIR } from '../../endpoint/agent/engine-filter.ts';

const credentials: ClusterCredentials = {
  superuser: { user: 'postgres', password: 'superuser-secret', database: 'postgres' },
  repmgrPassword: 'repmgr-secret',
  app: { user: 'flipdrill_app', password: 'app-secret', database: 'flipdrill' },
  doTokens: { hook: 'dop_v1_hook', harness: 'dop_v1_harness', agent: 'dop_v1_agent' },
};
const spec = defineCluster({ name: 'fdagent', endpoint: 'do-simulator' });
const facts: ClusterFacts = { spec, credentials, dataNodes: spec.nodes.filter((n) => n.initialRole !== 'witness'), appUrl: 'http://127.0.0.1:1' };
const labels = { 'io.flipdrill.cluster': 'fdagent' };
const SOCKET = { kind: 'unix', socketPath: '/var/run/docker.sock', fromDockerHost: false } as const;
const LOOPBACK_TCP = { kind: 'tcp', host: '127.0.0.1', port: 2375 } as const;

describe("the endpoint agent's container", () => {
  for (const [what, engine] of [['with the socket', SOCKET], ['with an engine on tcp loopback', LOOPBACK_TCP]] as const) {
    it(`${what}: drops every capability but those to change user, gains no privilege, has a read-only root`, () => {
      const c = agentContainerSpec(facts, engine, 'flipdrill-app:test', labels);
      expect(c.capDrop).toEqual(['ALL']);
      expect(c.capAdd).toEqual(['SETUID', 'SETGID']);
      expect(c.tmpfs).toEqual([FILTER_DIR]);
      expect(c.noNewPrivileges).toBe(true);
      expect(c.readOnlyRoot).toEqual({ filesDir: SECRETS_DIR });
      // Every secret file lies directly in that folder.
      expect(c.files?.length).toBe(2);
      for (const f of c.files ?? []) expect(f.path).toMatch(new RegExp(`^${SECRETS_DIR}/[A-Z_]+$`));
      // The socket is the one host path it gets; uid 0 to read it (root:docker 0660 on the host).
      expect(c.binds ?? []).toEqual(engine.kind === 'unix' ? ['/var/run/docker.sock:/var/run/docker.sock'] : []);
      expect(c.user).toBe('0:0');
      expect(c.command).toEqual(['node', '/usr/local/lib/flipdrill/endpoint-agent.cjs']);
    });
  }
});

describe("docker-compose.yml's endpoint agent", () => {
  it('is confined the same way: no capability but SETUID and SETGID, no new privileges, a read-only root, a tmpfs for the filter', () => {
    const compose = parse(readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Record<string, unknown>> };
    const agent = compose.services['endpoint-agent']!;
    expect(agent.cap_drop).toEqual(['ALL']);
    expect(agent.cap_add).toEqual(['SETUID', 'SETGID']);
    expect(agent.tmpfs).toEqual([FILTER_DIR]);
    expect(agent.security_opt).toEqual(['no-new-privileges:true']);
    expect(agent.read_only).toBe(true);
    expect(agent.privileged).toBeUndefined();
  });
});

/** A dockerode stand-in that records what createContainer sends. */
function recordingContext(): { ctx: DockerodeContext; created: Docker.ContainerCreateOptions[]; archives: { tar: Buffer; path: string }[] } {
  const created: Docker.ContainerCreateOptions[] = [];
  const archives: { tar: Buffer; path: string }[] = [];
  const docker = {
    createContainer: (options: Docker.ContainerCreateOptions) => {
      created.push(options);
      return Promise.resolve({ id: 'c1', putArchive: (tar: Buffer, opts: { path: string }) => (archives.push({ tar, path: opts.path }), Promise.resolve()) });
    },
  } as unknown as Docker;
  const quiet = () => undefined;
  const log = { debug: quiet, info: quiet, warn: quiet, error: quiet } as unknown as DockerodeContext['log'];
  return { ctx: { docker, log }, created, archives };
}

/** The names in a tar archive, in order. */
function tarNames(tar: Buffer): string[] {
  const names: string[] = [];
  for (let at = 0; at + 512 <= tar.length; ) {
    const name = tar.subarray(at, at + 100).toString('utf8').replace(/\0.*$/s, '');
    if (!name) break;
    names.push(name);
    const size = parseInt(tar.subarray(at + 124, at + 136).toString('ascii').replace(/\0.*$/s, '').trim() || '0', 8);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

describe('createContainer, for the agent', () => {
  it("hands the engine CapDrop, no-new-privileges, ReadonlyRootfs and a volume for the files, and puts them there", async () => {
    const { ctx, created, archives } = recordingContext();
    await createContainer(ctx, agentContainerSpec(facts, SOCKET, 'flipdrill-app:test', labels));
    const host = created[0]!.HostConfig!;
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.CapAdd).toEqual(['SETUID', 'SETGID']);
    expect(Object.keys(host.Tmpfs ?? {})).toEqual([FILTER_DIR]);
    expect(host.SecurityOpt).toEqual(['no-new-privileges:true']);
    expect(host.ReadonlyRootfs).toBe(true);
    expect(host.Mounts).toEqual([{ Type: 'volume', Source: '', Target: SECRETS_DIR }]); // no source: a new, anonymous volume
    expect(host.Privileged ?? false).toBe(false);
    // Extracted into the volume (a read-only root refuses any other folder), names relative to it.
    expect(archives).toHaveLength(1);
    expect(archives[0]!.path).toBe(SECRETS_DIR);
    expect(tarNames(archives[0]!.tar).sort()).toEqual(['DIGITALOCEAN_TOKEN', 'POSTGRES_PASSWORD']);
  });

  it('leaves other containers as they were: files extracted at /, no read-only root', async () => {
    const { ctx, created, archives } = recordingContext();
    const other: ContainerSpec = { name: 'n', hostname: 'n', image: 'i', env: {}, labels: {}, publish: {}, networks: [], files: [{ path: `${SECRETS_DIR}/X`, content: 'x', mode: 0o400 }] };
    await createContainer(ctx, other);
    const host = created[0]!.HostConfig!;
    expect(host.ReadonlyRootfs).toBeUndefined();
    expect(host.Mounts).toBeUndefined();
    expect(host.SecurityOpt).toBeUndefined();
    expect(archives[0]!.path).toBe('/');
    expect(tarNames(archives[0]!.tar)).toEqual([`${SECRETS_DIR.slice(1)}/`, `${SECRETS_DIR.slice(1)}/X`]);
  });
});
