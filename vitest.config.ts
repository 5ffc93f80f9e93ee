import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{app,cluster,harness}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{app,cluster,harness}/**/*.int.test.ts'],
          // The clusters no one here wrote have their own project (below).
          exclude: ['harness/fixtures/patroni/**', 'harness/fixtures/pg-auto-failover/**', '**/*.clusters.int.test.ts', 'node_modules/**'],
          // A real Docker engine and real images: prepared once, before any test file runs.
          globalSetup: ['harness/test-support/global-setup.ts'],
          // One cluster at a time on a 2-core machine; each test file uses its own names, ports and subnets.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          // Clusters no one here wrote (Patroni, pg_auto_failover), each built and run by its own
          // recipe in harness/fixtures/ and tested by it, and flipdrill's look at them
          // (*.clusters.int.test.ts): `npm run test:clusters`. Their images are their own (a
          // debootstrap of Debian's packages each), so flipdrill's setup is not needed.
          name: 'clusters',
          include: ['harness/fixtures/{patroni,pg-auto-failover}/**/*.int.test.ts', '{cluster,harness}/**/*.clusters.int.test.ts'],
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
