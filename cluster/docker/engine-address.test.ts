import { describe, expect, it } from 'vitest';
import { engineAddress, isLoopback } from './engine-address.ts';

describe('engineAddress', () => {
  it('follows DOCKER_HOST as docker does, then FLIPDRILL_DOCKER_SOCKET, then the default socket', () => {
    expect(engineAddress({})).toEqual({ kind: 'unix', socketPath: '/var/run/docker.sock', fromDockerHost: false });
    expect(engineAddress({ FLIPDRILL_DOCKER_SOCKET: '/tmp/e.sock' })).toEqual({ kind: 'unix', socketPath: '/tmp/e.sock', fromDockerHost: false });
    expect(engineAddress({ DOCKER_HOST: 'unix:///run/docker.sock', FLIPDRILL_DOCKER_SOCKET: '/tmp/e.sock' })).toEqual({ kind: 'unix', socketPath: '/run/docker.sock', fromDockerHost: true });
    expect(engineAddress({ DOCKER_HOST: 'tcp://127.0.0.1:2375' })).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 2375 });
    expect(engineAddress({ DOCKER_HOST: 'tcp://docker:2375/' })).toEqual({ kind: 'tcp', host: 'docker', port: 2375 });
    expect(isLoopback(engineAddress({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }))).toBe(true);
    expect(isLoopback(engineAddress({ DOCKER_HOST: 'tcp://docker:2375' }))).toBe(false);
  });

  it.each([
    [{ DOCKER_HOST: 'ssh://me@host' }, 'DOCKER_HOST=ssh://me@host: flipdrill reaches an engine over unix:// or tcp:// only'],
    [{ DOCKER_HOST: 'tcp://127.0.0.1' }, 'DOCKER_HOST=tcp://127.0.0.1 is not tcp://host:port'],
    [{ DOCKER_HOST: 'tcp://127.0.0.1:99999' }, 'is not tcp://host:port'],
    [{ DOCKER_HOST: 'unix://docker.sock' }, 'a unix socket needs an absolute path'],
    [{ DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1' }, 'without TLS only'],
  ])('refuses %j in one line', (env, message) => {
    expect(() => engineAddress(env)).toThrow(message);
  });
});
