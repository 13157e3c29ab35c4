import { CacheError, type NamespacedCache, type NamespacedCacheOptions } from '../index.js';
import { EntryStore, ttlOfExpire } from './entry-store.js';
import { invalidate, type TagDurations } from './invalidation.js';
import { type NextHandlerOptions, resolveHandlerContext } from './options.js';
import { decodeEntry, encodeEntry, readWhole, streamOf, type UseCacheEntry } from './use-cache-entry.js';

/** Next 16's `CacheHandler` (`cacheHandlers` in next.config): what {@link createCacheHandler} returns. */
export interface UseCacheHandler {
  /** The entry, or `undefined` on a miss, when expired, or when a tag or soft tag expired it. */
  get(cacheKey: string, softTags: string[]): Promise<UseCacheEntry | undefined>;
  /** Stores the entry once its stream has ended, whole; a `get` of the key in this process waits for it. */
  set(cacheKey: string, pendingEntry: Promise<UseCacheEntry>): Promise<void>;
  /** Nothing to do: every `get` reads the current tag records. */
  refreshTags(): Promise<void>;
  /** `Infinity`: soft tags are checked by `get`, in the same round trip as the entry. */
  getExpiration(tags: string[]): Promise<number>;
  /** Expires the tags now, or, with durations, marks them stale now and expires them after `expire` seconds. */
  updateTags(tags: string[], durations?: TagDurations): Promise<void>;
}

/** Next's `timestamp` as `computedAt`, when it is a usable time (else: the time of the write). */
function renderStart(timestamp: unknown): number | undefined {
  return typeof timestamp === 'number' && Number.isFinite(timestamp) && timestamp >= 0 ? timestamp : undefined;
}

/**
 * A cache handler for Next 16's `'use cache'` and `'use cache: remote'` (`cacheHandlers` in
 * next.config), shared by every instance of the app through memcached.
 *
 * @param optionsOrCache - a cache to use, or the options of a cache to create (compression on by
 *   default: entries are RSC payloads, often large).
 * @param options - see {@link NextHandlerOptions}.
 * @example
 * ```js
 * // cache-handlers/default.mjs, named in next.config's `cacheHandlers: { default: …, remote: … }`
 * import { createCacheHandler } from 'memjs-namespaces/next';
 * export default createCacheHandler({ servers: process.env.MEMCACHED_SERVERS, prefix: 'shop' });
 * ```
 */
export function createCacheHandler(
  optionsOrCache?: NamespacedCache | NamespacedCacheOptions,
  options?: NextHandlerOptions,
): UseCacheHandler {
  const store = new EntryStore(resolveHandlerContext(optionsOrCache, options), 'use-cache');
  // `next dev` keeps dynamic entries (expire 0) for its reloads; production never serves them back.
  const keepDynamic = process.env.__NEXT_DEV_SERVER !== undefined;
  return {
    async get(cacheKey, softTags) {
      const read = await store.read<Uint8Array>(cacheKey, softTags);
      if (read === undefined) return undefined;
      const decoded = decodeEntry(read.value);
      if (decoded === undefined) {
        const message = `the 'use cache' entry under ${JSON.stringify(cacheKey)} is not one this handler wrote`;
        store.context.onError(new CacheError('E_CORRUPT_VALUE', message, { operation: 'getEntry' }));
        return undefined;
      }
      const { metadata, body } = decoded;
      const now = Date.now();
      // A negative `expire` is Next's eviction sentinel; past `expire`, Next would drop it anyway.
      if (metadata.expire < 0 || now > metadata.timestamp + metadata.expire * 1000) return undefined;
      // Stale (a tag or soft tag soft-invalidated): served once more while Next renders a fresh one.
      const revalidate = read.state === 'stale' ? -1 : metadata.revalidate;
      return { ...metadata, revalidate, value: streamOf(body) };
    },

    set(cacheKey, pendingEntry) {
      return store.write(cacheKey, async () => {
        const entry = await pendingEntry;
        if (entry.expire === 0 && !keepDynamic) return undefined;
        let body: Uint8Array;
        try {
          body = await readWhole(entry.value);
        } catch (error) {
          // Its stream is the entry's producer: a failed one is a failed loader.
          const message = `the 'use cache' entry under ${JSON.stringify(cacheKey)} was not stored: its stream failed`;
          store.context.onError(new CacheError('E_LOADER', message, { cause: error, operation: 'set' }));
          return undefined;
        }
        const ttl = ttlOfExpire(entry.expire);
        // `timestamp` is when Next began the render: an invalidation since then must not be undone.
        return { value: encodeEntry(entry, body), tags: entry.tags, ttl, computedAt: renderStart(entry.timestamp) };
      });
    },

    async refreshTags() {},

    async getExpiration() {
      return Number.POSITIVE_INFINITY;
    },

    updateTags(tags, durations) {
      return invalidate(store.context.cache, tags, durations);
    },
  };
}
