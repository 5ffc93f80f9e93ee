import { afterEach, describe, expect, it, vi } from 'vitest';
import { engineAddress, isLoopback } from './engine-address.ts';

describe('engineAddress', () => {
  it('follows DOCKER_HOST as docker does, then FLIPDRILL_DOCKER_SOCKET, then the default socket', () => {
    expect(engineAddress({})).toEqual({ kind: 'unix', socketPath: '/var/run/docker.sock', fromDockerHost: false });
    expect(engineAddress({ FLIPDRILL_DOCKER_SOCKET: '/tmp/e.sock' })).toEqual({ kind: 'unix', socketPath: '/tmp/e.sock', fromDockerHost: false });
    expect(engineAddress({ DOCKER_HOST: 'unix:///run/docker.sock', FLIPDRILL_DOCKER_SOCKET: '/tmp/e.sock' })).toEqual({ kind: 'unix', socketPath: '/run/docker.sock', fromDockerHost: true });
    expect(engineAddress({ DOCKER_HOST: 'tcp://127.0.0.1:2375' })).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 2375 });
    expect(engineAddress({ DOCKER_HOST: 'tcp://localhost:2375/' })).toEqual({ kind: 'tcp', host: 'localhost', port: 2375 });
    expect(engineAddress({ DOCKER_HOST: 'tcp://[::1]:2375' })).toEqual({ kind: 'tcp', host: '::1', port: 2375 });
    expect(engineAddress({ DOCKER_HOST: 'tcp://127.8.9.10:2375' })).toEqual({ kind: 'tcp', host: '127.8.9.10', port: 2375 });
    expect(isLoopback(engineAddress({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }))).toBe(true);
  });

  it.each([
    [{ DOCKER_HOST: 'ssh://me@host' }, 'DOCKER_HOST=ssh://me@host: flipdrill reaches an engine over unix:// or tcp:// only'],
    [{ DOCKER_HOST: 'tcp://127.0.0.1' }, 'DOCKER_HOST=tcp://127.0.0.1 is not tcp://host:port'],
    [{ DOCKER_HOST: 'tcp://127.0.0.1:99999' }, 'is not tcp://host:port'],
    [{ DOCKER_HOST: 'unix://docker.sock' }, 'a unix socket needs an absolute path'],
    [{ DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1' }, 'without TLS only'],
    [{ DOCKER_HOST: 'tcp://10.0.0.5:2375' }, 'DOCKER_HOST=tcp://10.0.0.5:2375: a plain-TCP engine not on this host\'s loopback is refused'],
    [{ DOCKER_HOST: 'tcp://docker:2375' }, 'a plain-TCP engine not on this host\'s loopback is refused'],
    [{ DOCKER_HOST: 'tcp://127.0.0.1.nip.io:2375' }, 'a plain-TCP engine not on this host\'s loopback is refused'],
    [{ DOCKER_HOST: 'tcp://0.0.0.0:2375' }, 'a plain-TCP engine not on this host\'s loopback is refused'],
    [{ DOCKER_HOST: 'tcp://10.0.0.5:2375', FLIPDRILL_ALLOW_INSECURE_ENGINE: 'yes' }, 'a plain-TCP engine not on this host\'s loopback is refused'],
  ])('refuses %j in one line', (env, message) => {
    expect(() => engineAddress(env)).toThrow(message);
  });
});

describe('a plain-TCP engine elsewhere, allowed with FLIPDRILL_ALLOW_INSECURE_ENGINE=1', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is taken, with a warning on stderr, once per address', () => {
    const said: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (said.push(String(chunk)), true));
    const env = { DOCKER_HOST: 'tcp://docker:2375', FLIPDRILL_ALLOW_INSECURE_ENGINE: '1' };
    const address = engineAddress(env);
    expect(address).toEqual({ kind: 'tcp', host: 'docker', port: 2375 });
    expect(isLoopback(address)).toBe(false);
    engineAddress(env);
    expect(said).toEqual([
      'flipdrill: warning: DOCKER_HOST=tcp://docker:2375 is an engine without TLS on the network (FLIPDRILL_ALLOW_INSECURE_ENGINE=1): anyone who reaches it, the containers of the drill included, has root on its host\n',
    ]);
  });

  it('a loopback engine needs no allowing and says nothing', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    engineAddress({ DOCKER_HOST: 'tcp://127.0.0.1:2375' });
    expect(write).not.toHaveBeenCalled();
  });
});
