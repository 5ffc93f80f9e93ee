/**
 * Scripts run inside a container's network namespace from the host, so the container's own image
 * needs neither iptables nor privileges: a helper container (`<container>-flipdrill-net`) joins
 * that namespace (`--network container:<name>`) with NET_ADMIN, from an image that has bash and
 * iptables (flipdrill's node image; python3 too, for a network shape's delay). Everything goes
 * through flipdrill's DockerClient, so it works wherever the engine is.
 *
 * The helper lives while something of flipdrill's is in the namespace (a chain, a shape's delay
 * process, which runs in it) and is removed once nothing is. A helper older than the container's
 * last start shares a namespace that went away with it and is replaced. One script at a time per
 * container.
 */
import type { ContainerState, DockerClient } from '../../docker/docker-client.ts';
import { ClusterError } from '../../errors.ts';
import type { ImageBuilder } from '../../images.ts';
import { projectLabels } from '../../spec.ts';
import { anythingLeftScript } from '../../iptables.ts';

export interface NetnsOptions {
  readonly docker: DockerClient;
  /** The helper's image, asked for only when a helper is needed (see `nodeImageOf`). */
  readonly helperImage: () => Promise<string>;
  /** The helper's labels (flipdrill's project label unless given), so a cleanup finds it. */
  readonly labels?: Record<string, string>;
}

export interface ContainerNetns {
  /** How the scripts get in, for a description. */
  readonly describe: string;
  /** Runs a script that changes the namespace; when it fails, runs `cleanup` (if given) and throws with its output. */
  change(script: string, what: string, cleanup?: string): Promise<void>;
  /** Runs an undo. Nothing to do when the container does not run: its namespace went with it. */
  undo(script: string, what: string): Promise<void>;
  /** A script's output in the namespace; empty when the container does not run. */
  look(script: string): Promise<string>;
}

/** flipdrill's node image, built once when first asked for (for the helper of `containerNetns`). */
export function nodeImageOf(builder: ImageBuilder): () => Promise<string> {
  let image: Promise<string> | undefined;
  return () => (image ??= builder.ensureBase().then((base) => builder.ensureNode(base)));
}

export function containerNetns(container: string, options: NetnsOptions): ContainerNetns {
  const { docker } = options;
  const helper = `${container}-flipdrill-net`;
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  const runningTarget = async (): Promise<ContainerState | undefined> => {
    const target = await docker.inspectContainer(container);
    return target?.running ? target : undefined;
  };

  async function ensureHelper(target: ContainerState): Promise<void> {
    const existing = await docker.inspectContainer(helper);
    const fresh = existing?.running && (!target.startedAt || !existing.startedAt || existing.startedAt >= target.startedAt);
    if (fresh) return;
    if (existing) await docker.removeContainer(helper);
    await docker.createContainer({
      name: helper,
      hostname: helper,
      image: await options.helperImage(),
      env: {},
      labels: options.labels ?? projectLabels(),
      publish: {},
      networks: [],
      networkOf: container,
      capAdd: ['NET_ADMIN'],
      entrypoint: ['bash', '-c', 'trap "exit 0" TERM; while :; do sleep 3600 & wait $!; done'],
      stopTimeoutSecs: 1,
    });
    await docker.startContainer(helper);
  }

  async function run(target: ContainerState, script: string) {
    await ensureHelper(target);
    return docker.exec(helper, ['bash', '-c', script]);
  }

  /** Removes the helper once nothing of flipdrill's is left in the namespace. */
  async function settle(): Promise<void> {
    const left = await docker.exec(helper, ['bash', '-c', anythingLeftScript()]);
    if (left.exitCode === 0 && !left.stdout.trim()) await docker.removeContainer(helper);
  }

  async function dropHelper(): Promise<void> {
    if (await docker.inspectContainer(helper)) await docker.removeContainer(helper);
  }

  const failure = (what: string, result: { exitCode: number; stdout: string; stderr: string }) =>
    new ClusterError(`could not ${what} (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim().split('\n').slice(-4).join(' | ') || 'no output'}`, {
      hint: `the helper ${helper} runs the image's iptables in ${container}'s network namespace; see: docker logs ${helper}`,
    });

  return {
    describe: `a helper container ${helper}: --network container:${container} --cap-add NET_ADMIN, flipdrill's node image`,
    change: (script, what, cleanup) =>
      serial(async () => {
        const target = await runningTarget();
        if (!target) throw new ClusterError(`could not ${what}: the container ${container} is not running`);
        const result = await run(target, script);
        if (result.exitCode === 0) return;
        if (cleanup) await docker.exec(helper, ['bash', '-c', cleanup]).catch(() => undefined);
        await settle().catch(() => undefined);
        throw failure(what, result);
      }),
    undo: (script, what) =>
      serial(async () => {
        const target = await runningTarget();
        if (!target) return dropHelper();
        const result = await run(target, script);
        if (result.exitCode !== 0) throw failure(what, result);
        await settle();
      }),
    /** A helper of a container that no longer runs shares a namespace that is gone: it is removed. */
    look: (script) =>
      serial(async () => {
        const target = await runningTarget();
        if (!target) {
          await dropHelper();
          return '';
        }
        const result = await run(target, script);
        await settle();
        if (result.exitCode !== 0) throw failure('look into the network namespace', result);
        return result.stdout;
      }),
  };
}
