/**
 * Where the Docker engine is, as docker's own CLI finds it: DOCKER_HOST (`unix:///path` or
 * `tcp://host:port`), else flipdrill's FLIPDRILL_DOCKER_SOCKET, else /var/run/docker.sock.
 * TLS to a tcp engine (DOCKER_TLS_VERIFY) and ssh:// are not supported: said in one line.
 * A tcp engine is on this host's loopback (127.0.0.0/8, ::1, localhost): an engine without TLS
 * elsewhere is root on its host for anyone who reaches it (the drill's containers included), so
 * it is refused unless FLIPDRILL_ALLOW_INSECURE_ENGINE=1, which prints a warning.
 */
import { ConfigError } from '../errors.ts';

export type EngineAddress = { kind: 'unix'; socketPath: string; fromDockerHost: boolean } | { kind: 'tcp'; host: string; port: number };

export function engineAddress(env: NodeJS.ProcessEnv = process.env): EngineAddress {
  const raw = env.DOCKER_HOST?.trim();
  if (!raw) return { kind: 'unix', socketPath: env.FLIPDRILL_DOCKER_SOCKET || '/var/run/docker.sock', fromDockerHost: false };
  if (raw.startsWith('unix://')) {
    const socketPath = raw.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new ConfigError(`DOCKER_HOST=${raw}: a unix socket needs an absolute path, like unix:///var/run/docker.sock`);
    return { kind: 'unix', socketPath, fromDockerHost: true };
  }
  if (raw.startsWith('tcp://')) {
    if (['1', 'true', 'yes'].includes((env.DOCKER_TLS_VERIFY ?? '').toLowerCase())) {
      throw new ConfigError(`DOCKER_HOST=${raw} with DOCKER_TLS_VERIFY: flipdrill speaks to a tcp engine without TLS only`, { hint: 'unset DOCKER_TLS_VERIFY for an engine on 127.0.0.1, or use its unix socket' });
    }
    const m = /^tcp:\/\/(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/.exec(raw);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535) throw new ConfigError(`DOCKER_HOST=${raw} is not tcp://host:port`);
    const address: EngineAddress = { kind: 'tcp', host: m[1]!.replace(/^\[|\]$/g, ''), port };
    if (!isLoopback(address)) {
      if (env.FLIPDRILL_ALLOW_INSECURE_ENGINE !== '1') {
        throw new ConfigError(`DOCKER_HOST=${raw}: a plain-TCP engine not on this host's loopback is refused (no TLS: anyone who reaches it has root on its host)`, {
          hint: 'use its unix socket, or an engine on 127.0.0.1; FLIPDRILL_ALLOW_INSECURE_ENGINE=1 takes it anyway',
        });
      }
      warnOnce(`DOCKER_HOST=${raw} is an engine without TLS on the network (FLIPDRILL_ALLOW_INSECURE_ENGINE=1): anyone who reaches it, the containers of the drill included, has root on its host`);
    }
    return address;
  }
  throw new ConfigError(`DOCKER_HOST=${raw}: flipdrill reaches an engine over unix:// or tcp:// only`);
}

/** For messages: where the engine was looked for. */
export function describeEngine(address: EngineAddress): string {
  return address.kind === 'unix' ? address.socketPath : `tcp://${address.host}:${address.port}`;
}

const warned = new Set<string>();
function warnOnce(text: string): void {
  if (warned.has(text)) return;
  warned.add(text);
  process.stderr.write(`flipdrill: warning: ${text}\n`);
}

/** A tcp engine on this host's loopback (127.0.0.0/8, ::1, localhost): containers reach it only with the host's network. */
export function isLoopback(address: EngineAddress): boolean {
  if (address.kind !== 'tcp') return false;
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address.host);
  return (v4 !== null && v4.slice(1).every((o) => Number(o) <= 255)) || address.host === 'localhost' || address.host === '::1';
}
