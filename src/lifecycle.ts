import { CacheError, type CacheOperation } from './errors.js';

/**
 * Whether the cache is closing, for work that outlives the call that started it (a `getOrSet`
 * loader, a background refresh): `close()` waits for requests in flight, never for loaders, so what
 * a loader finishes after `close()` must not be written.
 */
export class Lifecycle {
  private readonly controller = new AbortController();
  private readonly loads = new Set<AbortController>();

  /** Aborted when `close()` is called: a loader's result is no longer wanted by the cache. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** `close()` has been called. */
  get closed(): boolean {
    return this.controller.signal.aborted;
  }

  /**
   * Aborts `load` when the cache closes, until the returned function is called. (A set of
   * controllers rather than `AbortSignal.any`, which keeps every dependent signal reachable from the
   * cache's own for as long as the cache lives.)
   */
  track(load: AbortController): () => void {
    if (this.closed) load.abort(this.controller.signal.reason);
    else this.loads.add(load);
    return () => this.loads.delete(load);
  }

  /** Marks the cache closed and aborts {@link signal} and every tracked load. */
  close(): void {
    if (this.closed) return;
    const reason = new CacheError('E_CLOSED', 'the cache was closed');
    this.controller.abort(reason);
    for (const load of this.loads) load.abort(reason);
    this.loads.clear();
  }

  /** The error for work refused because the cache closed. */
  closedError(operation: CacheOperation): CacheError {
    return new CacheError('E_CLOSED', `${operation}() after close()`, { operation });
  }
}
