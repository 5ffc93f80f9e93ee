import { describe, expect, it } from 'vitest';
import { foreignAppImageEnv, hostNetworkIsHere } from './foreign-app-image.ts';

describe("an app image's settings for a cluster file", () => {
  it("the endpoint's first host, its every host and query in DATABASE_URL without the password, the replicas, the drill schema, 127.0.0.1 and the port", () => {
    const env = foreignAppImageEnv('postgres://drill:s%40cret@pg1:5433,pg2/app?target_session_attrs=read-write', ['postgres://drill:s%40cret@pg2:5432,[::1]:6000/app'], 41234);
    expect(env).toEqual({
      HOST: '127.0.0.1',
      PORT: '41234',
      PGHOST: 'pg1',
      PGPORT: '5433',
      PGUSER: 'drill',
      DATABASE_PASSWORD: 's@cret',
      PGDATABASE: 'app',
      PGOPTIONS: '-c search_path=flipdrill,public',
      DATABASE_URL: 'postgres://drill@pg1:5433,pg2/app?target_session_attrs=read-write',
      DATABASE_REPLICA_HOSTS: 'pg2,[::1]:6000',
    });
  });

  it('a password in the query goes to the password file, never into DATABASE_URL; sslmode to PGSSLMODE; an IPv6 host always in brackets', () => {
    const env = foreignAppImageEnv('postgres://u@[::1]/d?password=s3cret&sslmode=require&sslpassword=k', [], 1);
    expect(env.DATABASE_URL).toBe('postgres://u@[::1]/d?sslmode=require');
    expect(env.DATABASE_PASSWORD).toBe('s3cret');
    expect(env.PGSSLMODE).toBe('require');
    expect(env.DATABASE_REPLICA_HOSTS).toBe('[::1]');
  });

  it("runs on this machine's network only where that is this machine: a local Linux socket or an engine on its loopback", () => {
    expect(hostNetworkIsHere({ kind: 'unix', socketPath: '/var/run/docker.sock', fromDockerHost: false }, 'linux')).toBe(true);
    expect(hostNetworkIsHere({ kind: 'tcp', host: '127.0.0.1', port: 2375 }, 'linux')).toBe(true);
    expect(hostNetworkIsHere({ kind: 'tcp', host: '10.0.0.5', port: 2375 }, 'linux')).toBe(false);
    expect(hostNetworkIsHere({ kind: 'unix', socketPath: '/var/run/docker.sock', fromDockerHost: false }, 'darwin')).toBe(false);
  });

  it('no replicas: reads through the endpoint', () => {
    expect(foreignAppImageEnv('postgres://u:p@h:5000/d', [], 1).DATABASE_REPLICA_HOSTS).toBe('h:5000');
  });
});
