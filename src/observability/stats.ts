import type { CacheError, CacheErrorCode } from '../errors.js';

/**
 * What `cache.stats()` returns: counters since the cache was constructed, copied into a plain object.
 *
 * Keys are counted one by one (a `getMulti` of 10 keys counts 10 hits or misses). A call that fails
 * is counted in {@link CacheStats.errors}, not as a miss or a write.
 */
export interface CacheStats {
  /**
   * The protocol the cache speaks: `'meta'`, `'text'` or `'binary'` — by default what detection
   * found on the last connection made (`'meta'` until one is made), a fallback to binary included.
   */
  readonly protocol: 'meta' | 'text' | 'binary';
  /** Keys read and found (`get`, `getMulti`). */
  readonly hits: number;
  /** Keys read and not found, or found unreadable (`E_CORRUPT_VALUE`, also counted in errors). */
  readonly misses: number;
  /** Values memcached stored (`set`, `setMulti`). */
  readonly stored: number;
  /** Values a `set` or `setMulti` did not store (refused, timed out, connection lost…). */
  readonly notStored: number;
  /** Keys that existed and were deleted (`delete`, `deleteMulti`). */
  readonly deletes: number;
  /** Namespaces cleared (`deleteNamespace`, `handle.clear()`) and acknowledged by memcached. */
  readonly namespaceClears: number;
  /**
   * Token `get`s sent to memcached. Reads written together share one, so `tokenReads` well below the
   * number of reads is the token batching at work.
   */
  readonly tokenReads: number;
  /** Tokens created because a namespace had none yet (first use, or evicted); clears are not counted here. */
  readonly tokensCreated: number;
  /**
   * Reads or writes sent under the remembered generation and redone because the token had moved
   * meanwhile (another process cleared the namespace): the price of one-round-trip fresh reads.
   */
  readonly optimisticRereads: number;
  /** `getOrSet` loader calls (calls sharing one load count once). */
  readonly loads: number;
  /** `getOrSet` calls answered with a value past its fresh time (`staleWhileRevalidate`, `staleIfError`). */
  readonly staleServed: number;
  /** `getOrSet` calls that waited for another process's load (fleet lock) instead of loading. */
  readonly lockWaits: number;
  /** Tags invalidated (`invalidateTags`, one per tag) and acknowledged by memcached. */
  readonly tagInvalidations: number;
  /** Tag record `get`s sent to memcached (reads written together share one per tag). */
  readonly tagReads: number;
  /** Tag records created because a tag had none (first use, evicted, or lost in a restart). */
  readonly tagsCreated: number;
  /**
   * `getOrSet` calls answered with a value a soft clear invalidated (`invalidateTags` or
   * `deleteNamespace` with `staleFor`) while one refresh runs in the fleet. Also counted in `staleServed`.
   */
  readonly staleAfterClear: number;
  /** Failure markers a `getOrSet` lock holder left because its loader failed. */
  readonly failureMarkers: number;
  /** `getOrSet` calls that found another process's failure marker and did not load again. */
  readonly failuresSeen: number;
  /** Every `CacheError` the cache told `onError` about or rejected a call with, by `code`. */
  readonly errors: Readonly<Record<CacheErrorCode, number>>;
}

/** One counter per {@link CacheErrorCode}: plain fields, so counting is a property increment. */
class ErrorCounts implements Record<CacheErrorCode, number> {
  E_TIMEOUT = 0;
  E_CONNECTION = 0;
  E_SERVER = 0;
  E_PROTOCOL = 0;
  E_VALUE_TOO_LARGE = 0;
  E_STALE_VALUE = 0;
  E_CORRUPT_VALUE = 0;
  E_TOKEN = 0;
  E_TAG = 0;
  E_LOADER = 0;
  E_LOCK_EXPIRED = 0;
  E_CLOSED = 0;
}

/**
 * The live counters of one cache, shared by its operations through their context. Plain integer
 * fields on one object of a fixed shape: an increment costs next to nothing on the hot path (no Map,
 * no allocation), which is why counting is always on. `cache.stats()` copies them.
 *
 * @internal
 */
export class Stats {
  /** Where {@link CacheStats.protocol} comes from: the cache's transport, once it has one. */
  protocolOf: () => CacheStats['protocol'] = () => 'meta';
  hits = 0;
  misses = 0;
  stored = 0;
  notStored = 0;
  deletes = 0;
  namespaceClears = 0;
  tokenReads = 0;
  tokensCreated = 0;
  optimisticRereads = 0;
  loads = 0;
  staleServed = 0;
  lockWaits = 0;
  tagInvalidations = 0;
  tagReads = 0;
  tagsCreated = 0;
  staleAfterClear = 0;
  failureMarkers = 0;
  failuresSeen = 0;
  readonly errors = new ErrorCounts();

  /** Counts an error reported or thrown by the cache, and hands it back (for `reject(stats.error(e))`). */
  error<E extends CacheError>(error: E): E {
    this.errors[error.code] += 1;
    return error;
  }

  /** A plain copy of the counters, safe to keep and compare. */
  snapshot(): CacheStats {
    return {
      protocol: this.protocolOf(),
      hits: this.hits,
      misses: this.misses,
      stored: this.stored,
      notStored: this.notStored,
      deletes: this.deletes,
      namespaceClears: this.namespaceClears,
      tokenReads: this.tokenReads,
      tokensCreated: this.tokensCreated,
      optimisticRereads: this.optimisticRereads,
      loads: this.loads,
      staleServed: this.staleServed,
      lockWaits: this.lockWaits,
      tagInvalidations: this.tagInvalidations,
      tagReads: this.tagReads,
      tagsCreated: this.tagsCreated,
      staleAfterClear: this.staleAfterClear,
      failureMarkers: this.failureMarkers,
      failuresSeen: this.failuresSeen,
      errors: { ...this.errors },
    };
  }
}
