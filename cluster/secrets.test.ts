/**
 * Secrets reach containers as root-only files, never as environment: `docker inspect` shows a
 * container's environment to whoever can reach the engine.
 */
import { describe, expect, it } from 'vitest';
import type { ClusterCredentials } from './docker/cluster-facts.ts';
import { agentContainerConfig } from './docker/containers/agent.ts';
import { nodeContainerConfig, SECRETS_DIR } from './docker/containers/node.ts';
import { defineCluster } from './spec.ts';
import { generateSshKeyPair } from './ssh-key.ts';
import { generateClusterTls } from './tls.ts';
import { envSecret } from './lib/env-secret.ts';

const credentials: ClusterCredentials = {
  superuser: { user: 'postgres', password: 'superuser-secret', database: 'postgres' },
  repmgrPassword: 'repmgr-secret',
  app: { user: 'flipdrill_app', password: 'app-secret', database: 'flipdrill' },
  doTokens: { hook: 'dop_v1_hook-secret', harness: 'dop_v1_harness-secret', agent: 'dop_v1_agent-secret' },
};

describe('secrets as files', () => {
  const spec = defineCluster({ name: 'fdsecrets', endpoint: 'do-simulator', tls: true });
  const ssh = generateSshKeyPair('test');
  const tls = generateClusterTls(spec.name, spec.nodes.map((n) => n.name), spec.endpointAlias);

  it('a node gets every password, its SSH private key, its TLS key and its DigitalOcean token as files only root reads', () => {
    const node = spec.nodes[0]!;
    const { env, files } = nodeContainerConfig(spec, node, credentials, ssh, tls);
    const secrets = {
      POSTGRES_PASSWORD: 'superuser-secret',
      REPMGR_PASSWORD: 'repmgr-secret',
      APP_DB_PASSWORD: 'app-secret',
      FLIPDRILL_SSH_PRIVATE_KEY: ssh.privateKey,
      FLIPDRILL_TLS_KEY: tls.servers[node.name]!.key,
      DIGITALOCEAN_TOKEN: 'dop_v1_hook-secret',
    };
    for (const [key, value] of Object.entries(secrets)) {
      expect(env[key], key).toBeUndefined();
      expect(env[`${key}_FILE`]).toBe(`${SECRETS_DIR}/${key}`);
      expect(files).toContainEqual({ path: `${SECRETS_DIR}/${key}`, content: value, mode: 0o400 });
    }
    const environment = Object.values(env).join('\n');
    for (const value of Object.values(secrets)) expect(environment).not.toContain(value);
    // What is public stays in the environment.
    expect(env.FLIPDRILL_SSH_PUBLIC_KEY).toBe(ssh.publicKey);
    expect(env.FLIPDRILL_TLS_CERT).toBe(tls.servers[node.name]!.cert);
  });

  it('the witness gets no DigitalOcean token: it never moves the floating IP', () => {
    const witness = spec.nodes.find((n) => n.initialRole === 'witness')!;
    const { env, files } = nodeContainerConfig(spec, witness, credentials, ssh, tls);
    expect(env.DIGITALOCEAN_TOKEN_FILE).toBeUndefined();
    expect(files.map((f) => f.content)).not.toContain('dop_v1_hook-secret');
    for (const node of spec.nodes.filter((n) => n.initialRole !== 'witness')) {
      expect(nodeContainerConfig(spec, node, credentials, ssh, tls).files.map((f) => f.content), node.name).toContain('dop_v1_hook-secret');
    }
  });

  it('the endpoint agent gets the superuser password and its own token as files', () => {
    const { env, files } = agentContainerConfig(spec.name, credentials);
    expect(env).toEqual({ FLIPDRILL_CLUSTER: 'fdsecrets', POSTGRES_PASSWORD_FILE: `${SECRETS_DIR}/POSTGRES_PASSWORD`, DIGITALOCEAN_TOKEN_FILE: `${SECRETS_DIR}/DIGITALOCEAN_TOKEN` });
    expect(files.map((f) => f.content)).toEqual(['superuser-secret', 'dop_v1_agent-secret']);
  });

  it('without TLS or the simulator there is no key or token file at all', () => {
    const plain = defineCluster({ name: 'fdplain' });
    const { env, files } = nodeContainerConfig(plain, plain.nodes[0]!, { ...credentials, doTokens: undefined }, ssh, undefined);
    expect(files.map((f) => f.path.split('/').at(-1))).toEqual(['POSTGRES_PASSWORD', 'REPMGR_PASSWORD', 'APP_DB_PASSWORD', 'FLIPDRILL_SSH_PRIVATE_KEY']);
    expect(env.FLIPDRILL_TLS_KEY_FILE).toBeUndefined();
    expect(env.DIGITALOCEAN_TOKEN_FILE).toBeUndefined();
  });
});

describe('envSecret: a secret from <NAME> or from the file <NAME>_FILE names', () => {
  const files: Record<string, string> = { '/run/s/TOKEN': 'from-the-file\n' };
  const read = (f: string) => {
    if (!(f in files)) throw Object.assign(new Error('no'), { code: 'ENOENT' });
    return files[f]!;
  };
  it('reads the file (one trailing newline dropped), or the variable, or nothing', () => {
    expect(envSecret({ TOKEN_FILE: '/run/s/TOKEN' }, 'TOKEN', read)).toBe('from-the-file');
    expect(envSecret({ TOKEN: 'by-hand' }, 'TOKEN', read)).toBe('by-hand');
    expect(envSecret({}, 'TOKEN', read)).toBeUndefined();
  });
  it('refuses both at once, and a file it cannot read, without saying the secret', () => {
    expect(() => envSecret({ TOKEN: 'x', TOKEN_FILE: '/run/s/TOKEN' }, 'TOKEN', read)).toThrow('both TOKEN and TOKEN_FILE are set; use one');
    expect(() => envSecret({ TOKEN_FILE: '/run/s/none' }, 'TOKEN', read)).toThrow('TOKEN_FILE /run/s/none cannot be read (ENOENT)');
  });
});
