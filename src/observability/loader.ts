import type { Stats } from './stats.js';
import { currentOperation, setOutcome } from './trace.js';

/**
 * A `getOrSet` loader that counts its calls in {@link Stats.loads} and marks the traced call as
 * `'loaded'`. Wrapping at the call site keeps the count exact however the read-through shares loads
 * (one loader call per flight counts once). Must be called in the synchronous part of the call, where
 * {@link currentOperation} is the call's context. Anything but a function is returned as is, so that
 * the read-through still rejects it with its own TypeError.
 */
export function observedLoader<L>(stats: Stats, loader: L): L {
  if (typeof loader !== 'function') return loader;
  const context = currentOperation();
  const load = loader as (loaderContext: unknown) => unknown;
  return ((loaderContext: unknown) => {
    stats.loads += 1;
    setOutcome(context, 'loaded');
    return load(loaderContext);
  }) as L;
}
