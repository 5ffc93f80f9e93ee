/**
 * What `docker inspect` shows of a running cluster's containers, searched for the secrets the
 * cluster really uses: its passwords, its DigitalOcean tokens, its SSH and TLS private keys, read
 * back from the files the containers were given (attachCluster) and from node1's secret folder.
 * Env, Cmd, Entrypoint and Labels are looked at; anyone who can reach the engine reads them.
 */
import Docker from 'dockerode';
import { attachCluster, createLogger } from '../../cluster/index.ts';
import type { DockerodeClient } from '../../cluster/docker/dockerode-client.ts';
import { testDocker } from './docker.ts';

const PROJECT = { 'io.flipdrill.project': 'flipdrill' };

/** The secrets this running cluster uses, by name, each at least 8 characters. */
export async function clusterSecrets(cluster: string): Promise<Record<string, string>> {
  const docker = await testDocker();
  const started = await attachCluster(docker, createLogger(), cluster);
  if (!started) throw new Error(`no running cluster ${cluster}`);
  const { credentials } = started;
  const found: Record<string, string> = {
    'the superuser password': credentials.superuser.password,
    "repmgr's password": credentials.repmgrPassword,
  };
  // The app's role's password (node1's APP_DB_PASSWORD below) and, for the dsql app, its stand-in token.
  if (credentials.app.password) found["the app's password"] = credentials.app.password;
  if (credentials.doTokens) {
    found["the hook's DigitalOcean token"] = credentials.doTokens.hook;
    found["flipdrill's DigitalOcean token"] = credentials.doTokens.harness;
    found["the agent's DigitalOcean token"] = credentials.doTokens.agent;
  }
  // The node's own files too (the SSH key, and the app's password as the node has it).
  const node1 = `${cluster}-node1`;
  for (const key of ['APP_DB_PASSWORD', 'FLIPDRILL_SSH_PRIVATE_KEY', 'FLIPDRILL_TLS_KEY']) {
    const value = await docker.readFile(node1, `/run/flipdrill-secrets/${key}`, 64 * 1024);
    if (value) found[`node1's ${key}`] = value;
    else if (key === 'APP_DB_PASSWORD') throw new Error(`${cluster}: node1 has no ${key} file`);
  }
  for (const [name, value] of Object.entries(found)) if (!value || value.length < 8) throw new Error(`${cluster}: ${name} was not found (${value?.length ?? 0} characters)`);
  return found;
}

/** Each container of the cluster: which secret shows where in its `docker inspect` (Env, Cmd, Entrypoint, Labels). Empty when none does. */
export async function secretsInInspect(cluster: string, secrets: Record<string, string>): Promise<{ containers: string[]; shown: string[] }> {
  const engine = ((await testDocker()) as DockerodeClient).engine;
  const docker = new Docker(engine.kind === 'unix' ? { socketPath: engine.socketPath } : { host: engine.host, port: engine.port, protocol: 'http' });
  const list = await docker.listContainers({ all: true, filters: { label: [`io.flipdrill.project=${PROJECT['io.flipdrill.project']}`, `io.flipdrill.cluster=${cluster}`] } });
  const containers: string[] = [];
  const shown: string[] = [];
  for (const c of list) {
    const info = await docker.getContainer(c.Id).inspect();
    const name = info.Name.replace(/^\//, '');
    containers.push(name);
    const parts: Record<string, string> = {
      Env: JSON.stringify(info.Config.Env ?? []),
      Cmd: JSON.stringify(info.Config.Cmd ?? []),
      Entrypoint: JSON.stringify(info.Config.Entrypoint ?? []),
      Labels: JSON.stringify(info.Config.Labels ?? {}),
    };
    for (const [part, text] of Object.entries(parts)) {
      for (const [secret, value] of Object.entries(secrets)) {
        // As written, and as JSON or a URL would escape it.
        const forms = [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)];
        if (forms.some((f) => text.includes(f))) shown.push(`${name} ${part}: ${secret}`);
      }
    }
  }
  return { containers: containers.sort(), shown };
}
