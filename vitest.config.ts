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
          // A real Docker engine and real images: prepared once, before any test file runs.
          globalSetup: ['harness/test-support/global-setup.ts'],
          // One cluster at a time on a 2-core machine; each test file uses its own names, ports and subnets.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
