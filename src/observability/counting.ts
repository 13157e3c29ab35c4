import type { Stats } from './stats.js';

/**
 * Counting helpers for the operations' settle callbacks: each passes its value through, so that a
 * hook stays one expression in the existing code.
 */

/** Counts one key read as a hit or a miss, and returns the value read. */
export function countRead<T>(stats: Stats, value: T | undefined): T | undefined {
  if (value === undefined) stats.misses += 1;
  else stats.hits += 1;
  return value;
}

/** Counts a key that existed and was deleted, and returns whether it existed. */
export function countDeleted(stats: Stats, existed: boolean): boolean {
  if (existed) stats.deletes += 1;
  return existed;
}

/** Counts the keys a `getMulti` found among those memcached answered (a failed read is neither). */
export function countMultiRead(stats: Stats, hits: number, answered: number): void {
  stats.hits += hits;
  stats.misses += answered - hits;
}

/** Counts the keys a `deleteMulti` found and deleted, and returns how many. */
export function countDeletes(stats: Stats, existed: number): number {
  stats.deletes += existed;
  return existed;
}
