import { CacheError, type CacheOperation } from './errors.js';

/**
 * Whether the cache is closing, for work that outlives the call that started it (a `getOrSet`
 * loader, a background refresh): `close()` waits for requests in flight, never for loaders, so what
 * a loader finishes after `close()` must not be written.
 */
export class Lifecycle {
  private readonly controller = new AbortController();

  /** Aborted when `close()` is called: a loader's result is no longer wanted by the cache. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** `close()` has been called. */
  get closed(): boolean {
    return this.controller.signal.aborted;
  }

  /** Marks the cache closed and aborts {@link signal}. */
  close(): void {
    if (!this.closed) this.controller.abort(new CacheError('E_CLOSED', 'the cache was closed'));
  }

  /** The error for work refused because the cache closed. */
  closedError(operation: CacheOperation): CacheError {
    return new CacheError('E_CLOSED', `${operation}() after close()`, { operation });
  }
}
