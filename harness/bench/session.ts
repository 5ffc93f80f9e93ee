/**
 * One bench run: its folder (runs/bench-<time>/), its log, the Docker engine and the image
 * builder, and what it has measured so far: bench.json's results and bench.md's lines.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connectDocker, createLogger, ImageBuilder, removeClusters, type DockerClient, type Logger } from '../../cluster/index.ts';
import type { BenchArgs } from './args.ts';
import { BASE } from './configurations.ts';

export interface Bench {
  readonly args: BenchArgs;
  readonly outDir: string;
  readonly logger: Logger;
  /** A progress line on stderr. */
  readonly say: (line: string) => void;
  readonly docker: DockerClient;
  readonly builder: ImageBuilder;
  /** bench.json's content so far. */
  readonly results: Record<string, unknown>;
  /** bench.md's lines so far. */
  readonly markdown: string[];
}

/** Creates the run's folder and connects to the engine; a bench cluster left from before is removed. */
export async function openBench(args: BenchArgs): Promise<Bench> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = path.resolve('runs', `bench-${stamp}`);
  mkdirSync(outDir, { recursive: true });
  const logger = createLogger({ file: path.join(outDir, 'bench.log'), level: 'info' });
  const say = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  const results: Record<string, unknown> = { command, at: new Date().toISOString(), machine: { cpus: (await import('node:os')).cpus().length, node: process.version } };
  const markdown: string[] = [`Command: \`${command}\``, ''];

  const docker = await connectDocker({ logger, onStep: say });
  await removeClusters(docker, logger, BASE.name);
  const builder = new ImageBuilder({ docker, logger, onStep: say });
  return { args, outDir, logger, say, docker, builder, results, markdown };
}

/** bench.md's text: the tables so far, and where the details are. */
export function markdownText(bench: Bench): string {
  return `${[...bench.markdown, `Details: ${path.relative(process.cwd(), bench.outDir)}/bench.json`].join('\n')}\n`;
}

/** What is measured so far, on disk after every suite: a bench stopped halfway keeps its figures. */
export function save(bench: Bench): void {
  writeFileSync(path.join(bench.outDir, 'bench.json'), `${JSON.stringify(bench.results, null, 2)}\n`);
  writeFileSync(path.join(bench.outDir, 'bench.md'), markdownText(bench));
}
