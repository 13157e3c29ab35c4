import { CacheError, type CacheOperation } from './errors.js';

/** A fleet lock this cache holds (read-through/fleet-lock.ts). */
export interface HeldLock {
  release(done: (error: CacheError | undefined) => void): void;
}

/**
 * Whether the cache is closing, for work that outlives the call that started it (a `getOrSet`
 * loader, a background refresh): `close()` waits for requests in flight, never for loaders, so what
 * a loader finishes after `close()` must not be written.
 */
export class Lifecycle {
  private readonly controller = new AbortController();
  private readonly loads = new Set<AbortController>();
  private readonly locks = new Set<HeldLock>();

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

  /**
   * Releases `lock` when the cache closes, until the returned function is called: a loader still
   * running then writes nothing, so its fleet lock is released at once rather than left to expire
   * (other processes would wait for it). The release is sent before `close()` waits for requests.
   */
  hold(lock: HeldLock): () => void {
    this.locks.add(lock);
    return () => this.locks.delete(lock);
  }

  /** Marks the cache closed, aborts every tracked load and releases every fleet lock held. */
  close(): void {
    if (this.closed) return;
    const reason = new CacheError('E_CLOSED', 'the cache was closed');
    this.controller.abort(reason);
    for (const load of this.loads) load.abort(reason);
    this.loads.clear();
    for (const lock of this.locks) lock.release(() => {});
    this.locks.clear();
  }

  /** The error for work refused because the cache closed. */
  closedError(operation: CacheOperation): CacheError {
    return new CacheError('E_CLOSED', `${operation}() after close()`, { operation });
  }
}
