/**
 * Images without a container registry. Built lazily, tagged with a hash of what went into them,
 * and reused while that content does not change.
 *
 *   flipdrill/base:<hash>  Debian bookworm with PostgreSQL 15, repmgr and the host's Node binary,
 *                          made with debootstrap from Debian's mirror and `docker import`ed
 *                          (skipped when FLIPDRILL_BASE_IMAGE names a base you can pull)
 *   flipdrill/node:<hash>  cluster/node-image/Dockerfile on that base
 *   flipdrill/app:<hash>   app/Dockerfile on that base, with the bundled app
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleApp, bundleClientHost, bundleEndpointAgent } from './bundle.ts';
import { bundleNodeTools } from './node-tools.ts';
import type { DockerClient } from './docker/docker-client.ts';
import { aptInstall, canInstallPackages, run, type StepReporter } from './docker/engine.ts';
import { ImageBuildError } from './errors.ts';
import type { Logger } from './lib/logger.ts';
import { projectLabels } from './spec.ts';
import { packageRoot } from './lib/package-root.ts';

/** The clone, or the installed package: where the node image's and the app's files are. */
export const REPO_ROOT = packageRoot();

const BASE_PACKAGES = [
  'postgresql-15',
  'postgresql-15-repmgr',
  'util-linux',
  'iproute2',
  'procps',
  // repmgr standby switchover runs repmgr on the other nodes over SSH.
  'openssh-server',
  'openssh-client',
  // The one-way partition drops packets inside the node's own network namespace.
  'iptables',
  // The virtual IP: the promote hook adds it (as root, through sudo) and announces it (arping).
  'sudo',
  'iputils-arping',
  'ca-certificates',
  'netbase',
  'libstdc++6',
  // Ansible's modules run on Python (apt's through python3-apt): the converge test provisions
  // containers of this image with the playbook, as it would plain Debian machines.
  'python3',
  'python3-apt',
  // The clock-skew fault: a node's processes read their clock through it (offset 0 until skewed).
  'libfaketime',
];

/** Bumped when the way the base is made changes in a way the package list does not show. */
const BASE_RECIPE_VERSION = '1';

export interface Images {
  base: string;
  node: string;
  app: string;
}

function hashOf(parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 12);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const full = path.join(dir, entry);
      return statSync(full).isDirectory() ? filesUnder(full) : [full];
    });
}

/** The Debian mirror the host's apt uses, so debootstrap fetches from the same registry. */
export function debianMirror(): string {
  if (process.env.FLIPDRILL_DEBIAN_MIRROR) return process.env.FLIPDRILL_DEBIAN_MIRROR;
  const candidates = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const deb822 = /^URIs:\s*(\S+)/m.exec(text);
    if (deb822?.[1] && !deb822[1].includes('security')) return deb822[1];
    const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(text);
    if (line?.[1]) return line[1];
  }
  return 'http://deb.debian.org/debian';
}

export interface ImageBuilderOptions {
  docker: DockerClient;
  logger: Logger;
  onStep?: StepReporter;
}

export class ImageBuilder {
  readonly #docker: DockerClient;
  readonly #log: Logger;
  readonly #onStep: StepReporter;

  constructor(options: ImageBuilderOptions) {
    this.#docker = options.docker;
    this.#log = options.logger.child({ component: 'images' });
    this.#onStep = options.onStep ?? (() => {});
  }

  /** All three images, building only what is missing. */
  async ensureAll(): Promise<Images> {
    const base = await this.ensureBase();
    const [node, app] = [await this.ensureNode(base), await this.ensureApp(base)];
    return { base, node, app };
  }

  baseTag(): string {
    return `flipdrill/base:${hashOf([BASE_RECIPE_VERSION, BASE_PACKAGES.join(','), process.version])}`;
  }

  async ensureBase(): Promise<string> {
    const configured = process.env.FLIPDRILL_BASE_IMAGE;
    if (configured) return configured;
    const tag = this.baseTag();
    if (await this.#docker.imageExists(tag)) return tag;
    const started = Date.now();
    this.#onStep(`building the base image ${tag} (debootstrap bookworm with PostgreSQL 15 and repmgr; about a minute, once)`);
    await this.#buildBase(tag);
    this.#log.info({ image: tag, ms: Date.now() - started }, 'base image built');
    return tag;
  }

  async #buildBase(tag: string): Promise<void> {
    if (!existsSync('/usr/sbin/debootstrap')) {
      if (!canInstallPackages()) {
        throw new ImageBuildError('building the base image needs debootstrap, which is not installed', {
          hint: 'run: sudo apt-get install -y debootstrap, or set FLIPDRILL_BASE_IMAGE to a bookworm image you can pull',
        });
      }
      this.#onStep('installing debootstrap from Debian\'s packages');
      await aptInstall(['debootstrap'], this.#log);
    }
    if (process.getuid?.() !== 0) {
      throw new ImageBuildError('building the base image with debootstrap needs root', {
        hint: 'run flipdrill once as root, or set FLIPDRILL_BASE_IMAGE to a bookworm image you can pull',
      });
    }
    const work = mkdtempSync(path.join(os.tmpdir(), 'flipdrill-rootfs-'));
    const rootfs = path.join(work, 'rootfs');
    try {
      const mirror = debianMirror();
      await run(
        'debootstrap',
        ['--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, 'bookworm', rootfs, mirror],
        this.#log,
      ).catch((error) => {
        throw new ImageBuildError(`debootstrap from ${mirror} failed: ${(error as Error).message}`, {
          hint: 'check that this machine reaches Debian\'s mirror (FLIPDRILL_DEBIAN_MIRROR overrides it)',
          cause: error,
        });
      });
      // The Debian package creates a default cluster; flipdrill runs its own data directory.
      for (const leftover of ['etc/postgresql/15/main', 'var/lib/postgresql/15/main', 'var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man']) {
        rmSync(path.join(rootfs, leftover), { recursive: true, force: true });
      }
      // The app runs on the host's own Node 20 binary: containers cannot download one.
      copyFileSync(process.execPath, path.join(rootfs, 'usr/local/bin/node'));
      const tar = spawn('tar', ['-C', rootfs, '--numeric-owner', '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let tarError = '';
      tar.stderr.on('data', (b: Buffer) => (tarError += b.toString()));
      const tarDone = new Promise<void>((resolve, reject) =>
        tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited with ${code}: ${tarError.trim()}`)))),
      );
      await Promise.all([this.#docker.importImage(tar.stdout, tag, projectLabels()), tarDone]);
    } catch (error) {
      if (error instanceof ImageBuildError) throw error;
      throw new ImageBuildError(`building the base image failed: ${(error as Error).message}`, { cause: error });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  async ensureNode(base: string): Promise<string> {
    await bundleNodeTools();
    const dir = path.join(REPO_ROOT, 'cluster', 'node-image');
    const files = filesUnder(dir).map((f) => path.relative(dir, f));
    const tag = `flipdrill/node:${hashOf([base, ...files.flatMap((f) => [f, readFileSync(path.join(dir, f))])])}`;
    if (await this.#docker.imageExists(tag)) return tag;
    this.#onStep(`building the node image ${tag}`);
    await this.#build({ contextDir: dir, files, dockerfile: 'Dockerfile', tag, base });
    return tag;
  }

  async ensureApp(base: string): Promise<string> {
    const bundle = await bundleApp();
    await bundleEndpointAgent();
    await bundleClientHost();
    const files = ['app/Dockerfile', 'app/dist/server.cjs', 'app/dist/endpoint-agent.cjs', 'app/dist/client-host.cjs'];
    const tag = `flipdrill/app:${hashOf([base, ...files.flatMap((f) => [f, readFileSync(path.join(REPO_ROOT, f))])])}`;
    if (await this.#docker.imageExists(tag)) return tag;
    this.#onStep(`building the app image ${tag}`);
    this.#log.debug({ bundle }, 'app bundled');
    await this.#build({ contextDir: REPO_ROOT, files, dockerfile: 'app/Dockerfile', tag, base });
    return tag;
  }

  async #build(spec: { contextDir: string; files: string[]; dockerfile: string; tag: string; base: string }): Promise<void> {
    try {
      await this.#docker.buildImage({
        contextDir: spec.contextDir,
        files: spec.files,
        dockerfile: spec.dockerfile,
        tag: spec.tag,
        buildArgs: { BASE_IMAGE: spec.base },
        labels: projectLabels(),
      });
    } catch (error) {
      throw new ImageBuildError(`building ${spec.tag} failed: ${(error as Error).message}`, { cause: error });
    }
  }
}
