import type { CacheError } from '../errors.js';

/**
 * Runs `attempt` until it stops asking for another (a lost CAS or add race), at most `max` times;
 * then calls `done` with the error `exhausted` makes.
 */
export function withAttempts(
  max: number,
  exhausted: () => CacheError,
  done: (error: CacheError | undefined) => void,
  attempt: (again: () => void) => void,
): void {
  let attempts = 0;
  const again = (): void => {
    attempts += 1;
    if (attempts > max) done(exhausted());
    else attempt(again);
  };
  again();
}
