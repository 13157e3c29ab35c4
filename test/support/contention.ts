import { expect, vi } from 'vitest';
import type { GetOrSetOptions, NamespacedCache } from '../../src/index.js';

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
  let release: ((value: string) => void) | undefined;
  const holding = holder.getOrSet('product', key, () => new Promise<string>((resolve) => (release = resolve)), options);
  // The holder has the lock once its loader runs.
  await vi.waitFor(() => expect(release).toBeDefined());
  const waiting = waiter.getOrSet('product', key, () => 'unused', options);
  const waitsBefore = waiter.stats().lockWaits;
  await vi.waitFor(() => expect(waiter.stats().lockWaits).toBe(waitsBefore + 1));
  release?.('loaded');
  return Promise.all([holding, waiting]);
}
