import { describe, expect, it } from 'vitest';
import { foreignAppImageEnv } from './foreign-app-image.ts';

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
      PGOPTIONS: '-c search_path=flipdrill',
      DATABASE_URL: 'postgres://drill@pg1:5433,pg2/app?target_session_attrs=read-write',
      DATABASE_REPLICA_HOSTS: 'pg2,[::1]:6000',
    });
  });

  it('no replicas: reads through the endpoint', () => {
    expect(foreignAppImageEnv('postgres://u:p@h:5000/d', [], 1).DATABASE_REPLICA_HOSTS).toBe('h:5000');
  });
});
