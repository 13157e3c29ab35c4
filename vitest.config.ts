import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Slow cross-process suites run on their own: `npm run test:slow` (vitest.slow.config.ts).
    exclude: ['test/slow/**', '**/node_modules/**'],
    // Starts one throwaway memcached for the run, unless MEMCACHED_SERVERS points at one.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 20_000,
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
  },
});
