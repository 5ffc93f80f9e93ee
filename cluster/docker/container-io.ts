/**
 * What goes into and comes out of a container through dockerode: commands run in it, its log's
 * tail, a file from its filesystem, its memory use.
 */
import { PassThrough } from 'node:stream';
import type { ExecResult } from './docker-client.ts';
import { call, statusCode, type DockerodeContext } from './dockerode-call.ts';
import { firstTarEntryTail } from './tar-tail.ts';

export async function logs(ctx: DockerodeContext, container: string, lines: number): Promise<string> {
  return call(ctx, 'logs', { container }, async () => {
    const raw = (await ctx.docker.getContainer(container).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    // Without a TTY the stream is multiplexed: 8-byte frame headers (stream, 0, 0, 0, size).
    const out: Buffer[] = [];
    for (let i = 0; i + 8 <= raw.length; ) {
      const size = raw.readUInt32BE(i + 4);
      out.push(raw.subarray(i + 8, i + 8 + size));
      i += 8 + size;
    }
    return Buffer.concat(out).toString('utf8');
  });
}

export async function readFile(ctx: DockerodeContext, container: string, file: string, maxBytes: number): Promise<string | undefined> {
  return call(ctx, 'read file', { container, file }, async () => {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await ctx.docker.getContainer(container).getArchive({ path: file });
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      throw error;
    }
    return firstTarEntryTail(stream, maxBytes);
  });
}

export async function memoryUsage(ctx: DockerodeContext, container: string): Promise<number | undefined> {
  return call(ctx, 'stats', { container }, async () => {
    const stats = (await ctx.docker.getContainer(container).stats({ stream: false })) as { memory_stats?: { usage?: number } };
    return stats.memory_stats?.usage;
  });
}

export async function exec(ctx: DockerodeContext, container: string, cmd: string[], options: { user?: string } = {}): Promise<ExecResult> {
  return call(ctx, 'exec', { container, cmd: cmd.join(' ') }, async () => {
    const exec = await ctx.docker.getContainer(container).exec({
      Cmd: cmd,
      User: options.user,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    const out = new PassThrough();
    const err = new PassThrough();
    const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
    out.on('data', (b: Buffer) => chunks.out.push(b));
    err.on('data', (b: Buffer) => chunks.err.push(b));
    ctx.docker.modem.demuxStream(stream, out, err);
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
    const inspected = await exec.inspect();
    return {
      exitCode: inspected.ExitCode ?? -1,
      stdout: Buffer.concat(chunks.out).toString('utf8'),
      stderr: Buffer.concat(chunks.err).toString('utf8'),
    };
  });
}
