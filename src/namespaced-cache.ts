import type { Entries } from './arguments.js';
import { CacheCore } from './cache-core.js';
import type {
  CacheEntry,
  GetEntryOptions,
  GetOrSetOptions,
  InvalidateOptions,
  SetOptions,
  TagState,
} from './call-options.js';
import type { Storable, StorableLoad } from './codec.js';
import { NamespaceHandle } from './namespace-handle.js';
import { checkNamespace, type Namespace } from './namespaces.js';
import type { CacheStats } from './observability/stats.js';
import type { NamespacedCacheOptions } from './options.js';
import type { LoaderContext } from './read-through/loader.js';

/**
 * A memcached cache whose keys live in namespaces that can be cleared in one write.
 *
 * Every namespace has a generation token stored in memcached and resolved into each of its keys;
 * {@link NamespacedCache.deleteNamespace} replaces the token, so every key written under the old
 * one becomes unreachable at once (memcached's LRU reclaims them). A namespace is a non-empty string
 * or a path of them (`['tenant:42', 'products']`); clearing a path clears every path below it.
 *
 * Reads and writes fail open (a miss or `false`, and `onError`); invalidations reject with a
 * `CacheError`. Bad arguments reject with a `TypeError` or `RangeError` before anything is sent.
 *
 * @example
 * ```ts
 * const cache = new NamespacedCache({ servers: 'localhost:11211', prefix: 'shop' });
 * await cache.set('product', 'guitar', { price: 5000 });
 * await cache.get('product', 'guitar'); // { price: 5000 }
 * await cache.deleteNamespace('product');
 * await cache.get('product', 'guitar'); // undefined
 * ```
 */
export class NamespacedCache {
  private readonly core: CacheCore;

  /**
   * @param options - see {@link NamespacedCacheOptions}; every option is optional.
   * @throws TypeError or RangeError when an option is invalid.
   */
  constructor(options: NamespacedCacheOptions = {}) {
    this.core = new CacheCore(options);
  }

  /**
   * Reads a value: `undefined` on a miss, and (fail-open) when memcached fails.
   *
   * A read that starts after a `deleteNamespace` resolved, in any process, never returns a value
   * from before it — unless `tokenCacheTtl` allows bounded staleness.
   */
  get<T = unknown>(namespace: Namespace, key: string): Promise<T | undefined> {
    return this.core.run('get', (ops) => ops.get<T>(namespace, key), namespace, key);
  }

  /**
   * Writes a value: `true` when stored; `false` (fail-open) when not. A value memcached refuses
   * (too large) never leaves an older value readable: the key is deleted, or an `E_STALE_VALUE`
   * error says it could not be.
   *
   * The namespace's token is resolved when the write is sent, so a `set` racing a
   * `deleteNamespace` may land in either generation; {@link getOrSet} pins it before loading.
   */
  set<T>(namespace: Namespace, key: string, value: T & Storable<T>, options?: SetOptions): Promise<boolean> {
    return this.core.run('set', (ops) => ops.set(namespace, key, value, options), namespace, key);
  }

  /** Deletes a key; resolves whether it existed. Rejects with a `CacheError` when memcached fails. */
  delete(namespace: Namespace, key: string): Promise<boolean> {
    return this.core.run('delete', (ops) => ops.delete(namespace, key), namespace, key);
  }

  /**
   * Clears a namespace and every namespace below it with one write. Rejects with a `CacheError`
   * unless memcached acknowledged it (after a timeout the outcome is unknown: retrying is safe).
   *
   * With `staleFor` (seconds) the clear is soft: for that long, `getOrSet` may still answer with a
   * value from before it (outcome `'stale'`) while one refresh per key runs in the fleet, and
   * `getEntry` reports such values as `'stale'`; `get` never returns them. A later hard clear ends
   * the window at once. A soft clear reads the token and writes twice (three round trips).
   */
  deleteNamespace(namespace: Namespace, options?: InvalidateOptions): Promise<void> {
    return this.core.run('deleteNamespace', (ops) => ops.deleteNamespace(namespace, options), namespace);
  }

  /**
   * Invalidates every item written with any of `tags`, in every namespace of this cache's `prefix`:
   * one memcached write per tag. Rejects with a `CacheError` unless every write was acknowledged
   * (retrying is safe). With `staleFor` (seconds) it is soft, as for {@link deleteNamespace}.
   *
   * @throws TypeError or RangeError (as a rejection) for tags that are not valid.
   */
  invalidateTags(tags: readonly string[], options?: InvalidateOptions): Promise<void> {
    return this.core.run('invalidateTags', (ops) => ops.tags.invalidateTags(tags, options), undefined, tags);
  }

  /**
   * Reads a value with its freshness: `'fresh'`, or `'stale'` (past its ttl but still kept, or
   * invalidated by a soft clear inside its `staleFor`). `undefined` on a miss and for anything hard
   * invalidated. `options.tags` are checked at read time, by time, even if the item does not carry them.
   */
  getEntry<T = unknown>(
    namespace: Namespace,
    key: string,
    options?: GetEntryOptions,
  ): Promise<CacheEntry<T> | undefined> {
    return this.core.run('getEntry', (ops) => ops.tags.getEntry<T>(namespace, key, options), namespace, key);
  }

  /**
   * What the records of `tags` say: when each was last invalidated (`staleAt`) and when that
   * invalidation expires(d) older entries (`expiredAt`). A tag with no record gets one, stamped now:
   * a lost record never reads as "never invalidated". Rejects with a `CacheError` when memcached fails.
   */
  getTagStates(tags: readonly string[]): Promise<Map<string, TagState>> {
    return this.core.run('getTagStates', (ops) => ops.tags.getTagStates(tags), undefined, tags);
  }

  /**
   * Reads many keys of one namespace with one token lookup, every read pipelined in one write.
   * Resolves a Map of the hits, in the order of `keys` (duplicates read once). If some reads fail,
   * it resolves the hits it has (fail-open) after telling `onError`.
   */
  getMulti<T = unknown>(namespace: Namespace, keys: readonly string[]): Promise<Map<string, T>> {
    return this.core.run('getMulti', (ops) => ops.batch.getMulti<T>(namespace, keys), namespace, keys);
  }

  /**
   * Writes many keys of one namespace (a plain object, a Map or `[key, value]` pairs) with one token
   * lookup. Resolves `true` when all were stored; `false` (fail-open) otherwise. Every value is
   * checked before anything is sent.
   */
  setMulti<T>(namespace: Namespace, entries: Entries<T & Storable<T>>, options?: SetOptions): Promise<boolean> {
    return this.core.run('setMulti', (ops) => ops.batch.setMulti(namespace, entries, options), namespace, entries);
  }

  /** Deletes many keys; resolves how many existed. Rejects with a `CacheError` when memcached fails. */
  deleteMulti(namespace: Namespace, keys: readonly string[]): Promise<number> {
    return this.core.run('deleteMulti', (ops) => ops.batch.deleteMulti(namespace, keys), namespace, keys);
  }

  /**
   * Reads through the cache: the cached value, or the loader's, which is then cached.
   *
   * - The namespace's generation is resolved before the loader runs and the value is written under
   *   it: if the namespace is cleared meanwhile, the value is never served.
   * - Concurrent calls for one key in this cache share one loader call.
   * - A loader that throws rejects every caller and caches nothing; a loader that returns
   *   `undefined` caches nothing.
   * - Cache trouble never keeps the loaded value from you: it goes to `onError`, even with
   *   `failOpen: false`.
   */
  getOrSet<R>(
    namespace: Namespace,
    key: string,
    loader: ((context: LoaderContext) => R) & StorableLoad<R>,
    options?: GetOrSetOptions,
  ): Promise<Awaited<R>> {
    return this.core.run(
      'getOrSet',
      (ops) => ops.readThrough.getOrSet(namespace, key, loader, options),
      namespace,
      key,
    );
  }

  /**
   * A handle bound to one namespace, with the same methods minus the namespace argument.
   *
   * @throws TypeError for an invalid namespace.
   */
  namespace(namespace: Namespace): NamespaceHandle {
    return NamespaceHandle.of(this.core, checkNamespace(namespace));
  }

  /**
   * The cache's counters since it was constructed (its handles count here too), as a plain object:
   * hits, misses, writes, deletes, namespace clears, token reads and creations, optimistic re-reads,
   * `getOrSet` loads, and errors by code. See {@link CacheStats}. Counting is always on and costs a
   * few integer increments per call.
   */
  stats(): CacheStats {
    return this.core.stats.snapshot();
  }

  /**
   * Waits for the calls in flight to settle (each within its deadline), then closes the memjs
   * client if the cache created it; a client passed in stays open. Later calls reject with
   * `E_CLOSED`.
   */
  close(): Promise<void> {
    return this.core.close();
  }
}
