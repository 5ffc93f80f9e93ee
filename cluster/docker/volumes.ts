/** Volumes through dockerode: listed by label, removed by name. */
import { call, labelFilter, statusCode, type DockerodeContext } from './dockerode-call.ts';

export async function listVolumes(ctx: DockerodeContext, labels: Record<string, string>): Promise<string[]> {
  const result = await ctx.docker.listVolumes({ filters: { label: labelFilter(labels) } });
  return (result.Volumes ?? []).map((v) => v.Name);
}

export async function removeVolume(ctx: DockerodeContext, name: string): Promise<void> {
  await call(ctx, 'remove volume', { volume: name }, async () => {
    try {
      await ctx.docker.getVolume(name).remove();
    } catch (error) {
      if (statusCode(error) !== 404) throw error;
    }
  });
}
