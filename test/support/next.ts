/**
 * Returns once the wall clock has moved past the current millisecond. Next compares an entry's time
 * with an invalidation's strictly: an invalidation in the entry's own millisecond does not reach it.
 */
export function nextMillisecond(): void {
  const now = Date.now();
  while (Date.now() === now) {
    // Spins for under a millisecond.
  }
}
