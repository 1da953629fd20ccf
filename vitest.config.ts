import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Two test files at a time: most tests wait on gcc and QEMU child processes,
    // and vitest's default (CPUs - 1) would leave a 2-core machine half idle.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
