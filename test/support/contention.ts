import { expect, vi } from 'vitest';
import type { GetOrSetOptions, NamespacedCache } from '../../src/index.js';

/** A getOrSet whose loader is parked: settle it with `release` or `fail`. */
export interface HeldLoad {
  readonly holding: Promise<unknown>;
  release(value: string): void;
  fail(error: unknown): void;
}

/**
 * Starts `cache.getOrSet('product', key)` with a loader that waits to be told what to return, and
 * resolves once that loader runs — by then the call holds the key's fleet lock.
 */
export async function heldLoad(cache: NamespacedCache, key: string, options?: GetOrSetOptions): Promise<HeldLoad> {
  let settle: { resolve(value: string): void; reject(error: unknown): void } | undefined;
  const holding = cache.getOrSet(
    'product',
    key,
    () => new Promise<string>((resolve, reject) => (settle = { resolve, reject })),
    options,
  );
  await vi.waitFor(() => expect(settle).toBeDefined());
  return {
    holding,
    release: (value) => settle?.resolve(value),
    fail: (error) => settle?.reject(error),
  };
}

/**
 * Two caches of one prefix (two processes) contend for one cold key: `holder` takes the lock and
 * loads 'loaded' once `waiter` is waiting on that lock. Resolves both callers' values.
 */
export async function contendedLoad(
  holder: NamespacedCache,
  waiter: NamespacedCache,
  key: string,
  options: GetOrSetOptions,
): Promise<unknown[]> {
  const held = await heldLoad(holder, key, options);
  const waiting = waiter.getOrSet('product', key, () => 'unused', options);
  const waitsBefore = waiter.stats().lockWaits;
  await vi.waitFor(() => expect(waiter.stats().lockWaits).toBe(waitsBefore + 1));
  held.release('loaded');
  return Promise.all([held.holding, waiting]);
}
