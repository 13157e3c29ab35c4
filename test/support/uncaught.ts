import { afterEach, beforeEach } from 'vitest';

/**
 * Collects what is thrown uncaught (out of a socket callback, say) during each test of the file;
 * the array is emptied before every test.
 */
export function collectUncaught(): unknown[] {
  const uncaught: unknown[] = [];
  const collect = (error: unknown): void => {
    uncaught.push(error);
  };
  beforeEach(() => {
    uncaught.length = 0;
    process.prependListener('uncaughtException', collect);
  });
  afterEach(() => {
    process.removeListener('uncaughtException', collect);
  });
  return uncaught;
}
