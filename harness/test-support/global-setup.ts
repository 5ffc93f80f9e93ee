/** Integration tests need a Docker engine and the images; get both once, with progress on stderr. */
import { connectDocker, createLogger, ImageBuilder } from '../../cluster/index.ts';

export default async function setup(): Promise<void> {
  const logger = createLogger();
  const onStep = (step: string) => process.stderr.write(`[integration setup] ${step}\n`);
  const docker = await connectDocker({ logger, onStep });
  const images = await new ImageBuilder({ docker, logger, onStep }).ensureAll();
  onStep(`images ready: ${Object.values(images).join(', ')}`);
}
