/**
 * flipdrill's app run on this machine, on 127.0.0.1, as a child process of the drill: for targets
 * flipdrill did not start itself (machines over SSH, a cluster file's cluster), where there is no
 * app container. Started with the environment the target gives it; ready once /healthz answers
 * with a writable primary; stopped with SIGTERM (SIGKILL 5 s later). Or, for --client, the client
 * host (app/client-host.ts) serving your module the same way: ready once /flipdrill/health answers,
 * and a module that cannot be used said in one line (ConfigError).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { AppProfile } from './app-profiles/index.ts';
import { ClusterError, ConfigError } from './errors.ts';
import { REPO_ROOT } from './images.ts';
import { waitFor } from './lib/wait-for.ts';

/** `uid:gid` as spawn takes it. */
function userOf(user: string): { uid: number; gid: number } {
  const [uid, gid] = user.split(':').map(Number);
  return { uid: uid!, gid: gid ?? uid! };
}

/** A port on 127.0.0.1 nothing listens on now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** What runs: flipdrill's app, or the client host serving a client module of yours. */
export type LocalProgram = { kind: 'app' } | { kind: 'client'; module: string; name: string; /** uid:gid to run as, when flipdrill runs as root. */ user?: string };

export interface LocalAppStart {
  profile: AppProfile;
  /** Default: flipdrill's app. */
  program?: LocalProgram;
  /** The app's database settings (app/config.ts), besides HOST, PORT and APP_PROFILE. */
  env: Record<string, string>;
  /** What the app writes to, for messages: "the endpoint 10.0.0.5". */
  writesTo: string;
  signal?: AbortSignal;
}

export class LocalApp {
  #app?: { process: ChildProcess; port: number; profile: AppProfile };

  /** `logFile`: where the app's output goes (the run folder), appended. */
  constructor(private readonly logFile?: string) {}

  get profile(): AppProfile | undefined {
    return this.#app?.profile;
  }

  get url(): string {
    if (!this.#app) throw new ClusterError('the app is not running');
    return `http://127.0.0.1:${this.#app.port}`;
  }

  /** Start the app with this profile, replacing a running one (a no-op when it runs it already). */
  async start({ profile, env, writesTo, signal, program = { kind: 'app' } }: LocalAppStart): Promise<void> {
    if (this.#app?.profile === profile) return;
    await this.stop();
    const client = program.kind === 'client' ? program : undefined;
    const bundle = path.join(REPO_ROOT, 'app', 'dist', client ? 'client-host.cjs' : 'server.cjs');
    if (!existsSync(bundle)) throw new ClusterError(`the app bundle ${bundle} is missing`, { hint: 'run: npm run build:app' });
    const port = await freePort();
    const child = spawn(process.execPath, ['--enable-source-maps', bundle], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        APP_PROFILE: profile,
        ...(client ? { FLIPDRILL_CLIENT_MODULE: client.module, FLIPDRILL_CLIENT_NAME: client.name } : {}),
        ...env,
      },
      // Your module runs as its file's owner, as in the client host's container, not as root.
      ...(client?.user && process.getuid?.() === 0 ? userOf(client.user) : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logFile = this.logFile;
    if (logFile) {
      // Both streams into one file: it ends when the process has closed both, not when one ends.
      const out = createWriteStream(logFile, { flags: 'a' });
      out.on('error', () => {});
      child.stdout?.pipe(out, { end: false });
      child.stderr?.pipe(out, { end: false });
      child.once('close', () => out.end());
    } else {
      child.stdout?.resume();
      child.stderr?.resume();
    }
    this.#app = { process: child, port, profile };
    let exited: number | null | undefined;
    child.once('exit', (code) => (exited = code));
    const what = client ? `your client module ${client.name}` : 'the app';
    await waitFor(
      client ? `${what} to load in the client host (on 127.0.0.1:${port})` : `the app (on 127.0.0.1:${port}) to answer /healthz with a writable primary at ${writesTo}`,
      async () => {
        if (exited !== undefined) {
          const asOwner = client?.user && process.getuid?.() === 0 ? ` (it ran as ${client.user}, your module's owner, who must be able to read ${bundle} and your module)` : '';
          throw new ClusterError(`${what} exited with ${exited}${asOwner}${logFile ? `; see ${logFile}` : ''}`);
        }
        const res = await fetch(`http://127.0.0.1:${port}${client ? '/flipdrill/health' : '/healthz'}`, { signal: AbortSignal.timeout(client ? 15_000 : 2000) }).catch(() => undefined);
        if (client && res?.status === 500) throw new ConfigError(String(((await res.json()) as { error?: unknown }).error ?? 'the client module cannot be used'));
        return res?.ok === true;
      },
      {
        timeoutMs: 60_000,
        intervalMs: 250,
        ...(signal ? { signal } : {}),
        hint: `can this machine reach ${writesTo}? ${logFile ? `see ${logFile}` : ''}`,
        // A module that cannot be used, or a process that has ended: no use waiting.
        fatal: (e) => e instanceof ConfigError || exited !== undefined,
      },
    );
  }

  async stop(): Promise<void> {
    const app = this.#app;
    this.#app = undefined;
    const gone = () => app!.process.exitCode !== null || app!.process.signalCode !== null;
    if (!app || gone()) return;
    const exited = new Promise((resolve) => app.process.once('exit', resolve));
    app.process.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 5000)))]);
    clearTimeout(timer);
    if (!gone()) app.process.kill('SIGKILL');
  }
}
