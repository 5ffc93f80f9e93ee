/**
 * Containers through dockerode: created from a spec (ports on 127.0.0.1, networks, files put in
 * before start), their lifecycle (start, kill, pause, stop, remove), inspected and listed.
 */
import type { ContainerSpec, ContainerSummary } from './docker-client.ts';
import { containerStateOf, type ContainerState, type InspectJson } from './container-state.ts';
import { call, labelFilter, statusCode, type DockerodeContext } from './dockerode-call.ts';
import { connectNetwork } from './networks.ts';
import { tarOf, type TarFile } from './tar.ts';

export async function createContainer(ctx: DockerodeContext, spec: ContainerSpec): Promise<string> {
  const [first, ...rest] = spec.networks;
  const id = await call(ctx, 'create container', { container: spec.name, image: spec.image }, async () => {
    const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    const exposed: Record<string, object> = {};
    for (const [containerPort, hostPort] of Object.entries(spec.publish)) {
      portBindings[`${containerPort}/tcp`] = [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }];
      exposed[`${containerPort}/tcp`] = {};
    }
    const container = await ctx.docker.createContainer({
      name: spec.name,
      ...(spec.hostNetwork || spec.networkOf ? {} : { Hostname: spec.hostname }),
      Image: spec.image,
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      ...(spec.entrypoint ? { Entrypoint: spec.entrypoint, Healthcheck: { Test: ['NONE'] } } : {}),
      ...(spec.command ? { Cmd: spec.command } : {}),
      Labels: spec.labels,
      ExposedPorts: exposed,
      StopTimeout: spec.stopTimeoutSecs,
      ...(spec.user ? { User: spec.user } : {}),
      HostConfig: {
        PortBindings: portBindings,
        NetworkMode: spec.hostNetwork ? 'host' : spec.networkOf ? `container:${spec.networkOf}` : first?.network,
        RestartPolicy: spec.restartOnFailure ? { Name: 'on-failure', MaximumRetryCount: 0 } : { Name: 'no' },
        CapAdd: spec.capAdd,
        ...(spec.capDrop ? { CapDrop: spec.capDrop } : {}),
        ...(spec.noNewPrivileges ? { SecurityOpt: ['no-new-privileges:true'] } : {}),
        ...(spec.readOnlyRoot ? { ReadonlyRootfs: true, Mounts: [{ Type: 'volume' as const, Source: '', Target: spec.readOnlyRoot.filesDir }] } : {}),
        ...(spec.tmpfs ? { Tmpfs: Object.fromEntries(spec.tmpfs.map((dir) => [dir, 'rw,noexec,nosuid,nodev,size=1m,mode=0755'])) } : {}),
        ...(spec.binds ? { Binds: spec.binds } : {}),
        ...(spec.init ? { Init: true } : {}),
      },
      NetworkingConfig: first && !spec.hostNetwork
        ? { EndpointsConfig: { [first.network]: { Aliases: first.aliases, IPAMConfig: { IPv4Address: first.ipv4Address } } } }
        : undefined,
    });
    if (spec.files?.length) {
      const into = spec.readOnlyRoot?.filesDir;
      await container.putArchive(into ? tarOf(filesIn(into, spec.files)) : tarOf(spec.files), { path: into ?? '/' });
    }
    return container.id;
  });
  for (const attachment of rest) await connectNetwork(ctx, attachment.network, spec.name, attachment);
  return id;
}

/** Files that lie directly in `dir`, renamed relative to it (as /NAME: tarOf then writes NAME). */
function filesIn(dir: string, files: readonly TarFile[]): TarFile[] {
  return files.map((f) => {
    const name = f.path.startsWith(`${dir}/`) ? f.path.slice(dir.length + 1) : '';
    if (!name || name.includes('/')) throw new Error(`${f.path}: with a read-only root, every file lies directly in ${dir}`);
    return { ...f, path: `/${name}` };
  });
}

export async function startContainer(ctx: DockerodeContext, name: string): Promise<void> {
  await call(ctx, 'start container', { container: name }, () => ctx.docker.getContainer(name).start());
}

export async function killContainer(ctx: DockerodeContext, name: string, signal: string): Promise<void> {
  await call(ctx, 'kill container', { container: name, signal }, () => ctx.docker.getContainer(name).kill({ signal }));
}

export async function pauseContainer(ctx: DockerodeContext, name: string): Promise<void> {
  await call(ctx, 'pause container', { container: name }, () => ctx.docker.getContainer(name).pause());
}

export async function unpauseContainer(ctx: DockerodeContext, name: string): Promise<void> {
  await call(ctx, 'unpause container', { container: name }, () => ctx.docker.getContainer(name).unpause());
}

export async function stopContainer(ctx: DockerodeContext, name: string, timeoutSecs: number): Promise<void> {
  await call(ctx, 'stop container', { container: name }, async () => {
    try {
      await ctx.docker.getContainer(name).stop({ t: timeoutSecs });
    } catch (error) {
      if (statusCode(error) !== 304) throw error; // already stopped
    }
  });
}

export async function removeContainer(ctx: DockerodeContext, name: string): Promise<void> {
  await call(ctx, 'remove container', { container: name }, async () => {
    try {
      await ctx.docker.getContainer(name).remove({ force: true, v: true });
    } catch (error) {
      // 404: already gone. 409 "already in progress": another cleanup is removing it.
      const inProgress = statusCode(error) === 409 && /already in progress/.test(String((error as Error).message));
      if (statusCode(error) !== 404 && !inProgress) throw error;
    }
  });
}

export async function inspectContainer(ctx: DockerodeContext, name: string): Promise<ContainerState | undefined> {
  try {
    const info = await ctx.docker.getContainer(name).inspect();
    return containerStateOf(info as unknown as InspectJson, { withEnv: true });
  } catch (error) {
    if (statusCode(error) === 404) return undefined;
    throw error;
  }
}

export async function listContainers(ctx: DockerodeContext, labels: Record<string, string>): Promise<ContainerSummary[]> {
  const list = await ctx.docker.listContainers({ all: true, filters: { label: labelFilter(labels) } });
  return list.map((c) => ({ name: (c.Names[0] ?? c.Id).replace(/^\//, ''), id: c.Id, state: c.State, labels: c.Labels ?? {} }));
}
