import { defineConfig } from 'vitest/config';

/** The slow cross-process suites (test/slow/), kept out of `npm test`: `npm run test:slow`. */
export default defineConfig({
  test: {
    include: ['test/slow/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
  },
});
