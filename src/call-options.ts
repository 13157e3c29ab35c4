/** The options and results of the cache's calls (set, getOrSet, getEntry, invalidations). */

/**
 * How long a value is fresh and how long it may be served stale (seconds). The *writer's* windows
 * decide how long memcached keeps a value; the *reader's* decide what its `getOrSet` may serve.
 */
export interface FreshnessOptions {
  /** Fresh time to live in seconds, overriding the cache's `ttl`; `0` = never expires. */
  readonly ttl?: number;
  /**
   * Seconds past `ttl` during which `getOrSet` returns the stale value at once and refreshes it in
   * the background (one refresh in the whole fleet). Plain `get` treats a value past `ttl` as a miss.
   */
  readonly staleWhileRevalidate?: number;
  /** Seconds past `ttl` during which `getOrSet` returns the stale value when its loader fails. */
  readonly staleIfError?: number;
  /**
   * Shortens each write's ttl by a random part up to this fraction (`0.1`: up to 10%), so that keys
   * written together — after a clear, say — do not expire together.
   */
  readonly ttlJitter?: number;
}

/** The tags of an item (DESIGN §12). */
export interface TagOptions {
  /**
   * The item's tags: `invalidateTags([tag])` invalidates every item carrying `tag`, in every
   * namespace of the cache's `prefix`. At most 128 distinct tags of at most 1024 characters each.
   * A read checks them: one round trip when the reader knows them, two at most.
   */
  readonly tags?: readonly string[];
}

/** Options of a single write (`set`, `setMulti`). */
export interface SetOptions extends FreshnessOptions, TagOptions {
  /**
   * Epoch ms (like `Date.now()`): the value reflects the world as of this time — when its
   * computation began. With `tags`, the write stores nothing and resolves `false` if one of the
   * tags was (hard-)invalidated at or after it; softly invalidated inside its window, the value is
   * stored as stale. A tag record created since (found missing) is not counted (a creation, not an
   * invalidation). Compared with the invalidators' clocks: keep them in sync. Without
   * `tags` it changes nothing; `writtenAt` stays the time of the write.
   */
  readonly computedAt?: number;
}

/** Options of `getOrSet`: the freshness of what it writes and reads, and its fleet-wide lock. */
export interface GetOrSetOptions extends FreshnessOptions, TagOptions {
  /**
   * On a miss, take a short memcached lock (one `add`) so that one caller in the whole fleet runs
   * the loader while the others wait for its value. `false`: every process loads on its own.
   */
  readonly lock?: boolean;
  /**
   * Seconds the lock lives in memcached unless renewed (whole seconds, rounded up): how long a dead
   * holder can hold the others back before one of them takes over. A live holder renews it every
   * half `lockTtl` while its loader runs, for `lockWait` at most (then releases it). A lost lock
   * (evicted, deleted, not renewed for `lockTtl`) fails nothing: the load goes on, `onError` hears
   * `E_LOCK_EXPIRED`, and another caller may load too.
   */
  readonly lockTtl?: number;
  /**
   * Seconds a caller waits for another's load (polling memcached) before it loads itself; also the
   * longest a holder keeps its lock while its loader runs.
   */
  readonly lockWait?: number;
}

/** Options of `getEntry`. */
export interface GetEntryOptions {
  /**
   * Tags checked at read time, by time, that the item need not carry (Next.js's soft tags): the
   * entry is expired if one was hard-invalidated at or after it was written, stale if soft-invalidated.
   */
  readonly tags?: readonly string[];
}

/** Options of an invalidation (`deleteNamespace`, `invalidateTags`). */
export interface InvalidateOptions {
  /**
   * Seconds during which the invalidated values may still be served as stale by `getOrSet` (and
   * reported by `getEntry` as `'stale'`) while one refresh runs in the fleet. `0` or absent: a hard
   * invalidation, after which nothing from before it is served.
   * @default 0
   */
  readonly staleFor?: number;
}

/** An entry read with its freshness (`getEntry`). */
export interface CacheEntry<T> {
  readonly value: T;
  /** `'stale'`: past its ttl, or invalidated by a soft clear whose `staleFor` has not run out. */
  readonly state: 'fresh' | 'stale';
  /** Epoch ms when the value was computed (before its loader ran); 0 for a value written without `tags`. */
  readonly writtenAt: number;
  /** Epoch ms since which it is stale: its fresh time ran out, or the soft clear that made it stale. */
  readonly staleSince?: number;
  /** The tags the value was written with. */
  readonly tags: readonly string[];
}

/** What a tag's record says (`getTagStates`); Next.js's tags manifest has this shape. */
export interface TagState {
  /** Epoch ms of the last soft or hard invalidation (or of the record's creation, see below). */
  readonly staleAt?: number;
  /**
   * Epoch ms at which the last invalidation expires (or expired) the entries written before it: equal to
   * `staleAt` for a hard one, `staleAt + staleFor` for a soft one. A record found missing (never
   * used, evicted, lost in a restart) is created with both set to now: nothing older counts as valid.
   */
  readonly expiredAt?: number;
}
