/** Images through dockerode: whether one exists, importing a root filesystem, building, removing. */
import type { Readable } from 'node:stream';
import type { BuildSpec } from './docker-client.ts';
import { call, statusCode, type DockerodeContext } from './dockerode-call.ts';

export async function imageExists(ctx: DockerodeContext, tag: string): Promise<boolean> {
  try {
    await ctx.docker.getImage(tag).inspect();
    return true;
  } catch (error) {
    if (statusCode(error) === 404) return false;
    throw error;
  }
}

export async function importImage(ctx: DockerodeContext, rootfsTar: Readable, tag: string, labels: Record<string, string>): Promise<void> {
  const [repo, version] = splitTag(tag);
  await call(ctx, 'import image', { image: tag }, async () => {
    const changes = Object.entries(labels).map(([k, v]) => `LABEL ${k}=${v}`);
    const stream = await ctx.docker.importImage(rootfsTar as unknown as string, { repo, tag: version, changes });
    await follow(ctx, stream);
  });
}

export async function buildImage(ctx: DockerodeContext, spec: BuildSpec): Promise<void> {
  await call(ctx, 'build image', { image: spec.tag, dockerfile: spec.dockerfile }, async () => {
    const stream = await ctx.docker.buildImage(
      { context: spec.contextDir, src: spec.files },
      { t: spec.tag, dockerfile: spec.dockerfile, buildargs: spec.buildArgs, labels: spec.labels, rm: true, forcerm: true },
    );
    const output = await follow(ctx, stream);
    ctx.log.debug({ image: spec.tag, output: output.slice(-2000) }, 'build output');
  });
}

export async function removeImage(ctx: DockerodeContext, tag: string): Promise<void> {
  await call(ctx, 'remove image', { image: tag }, async () => {
    try {
      await ctx.docker.getImage(tag).remove({ force: true });
    } catch (error) {
      if (statusCode(error) !== 404) throw error;
    }
  });
}

/** Drain a progress stream; an `error` entry in it is a failure even though the HTTP call succeeded. */
function follow(ctx: DockerodeContext, stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    ctx.docker.modem.followProgress(
      stream,
      (error: Error | null) => (error ? reject(error) : resolve(lines.join(''))),
      (event: { stream?: string; status?: string; error?: string; errorDetail?: { message?: string } }) => {
        if (event.error) {
          reject(new Error(event.errorDetail?.message ?? event.error));
          return;
        }
        if (event.stream) lines.push(event.stream);
        else if (event.status) lines.push(`${event.status}\n`);
      },
    );
  });
}

function splitTag(tag: string): [string, string] {
  const i = tag.lastIndexOf(':');
  return i > tag.lastIndexOf('/') ? [tag.slice(0, i), tag.slice(i + 1)] : [tag, 'latest'];
}
