import { NamespacedCache, type NamespacedCacheOptions, type NamespaceHandle, type SetOptions } from '../index.js';
import { type ErrorListener, ErrorListeners } from './listeners.js';
import { keyvTtl } from './ttl.js';

export type { ErrorListener } from './listeners.js';

/** Options of {@link NamespacedKeyvStore} itself (the cache's options are separate). */
export interface NamespacedKeyvStoreOptions {
  /**
   * The cache namespace of a Keyv whose `namespace` is `undefined` (as NestJS leaves it). Keyv's
   * own default namespace is `'keyv'`, so `new Keyv({ store })` and `new Keyv({ store, namespace:
   * undefined })` share it (and its `clear()`), with keys of their own: the first prefixes them.
   * @default 'keyv'
   */
  readonly defaultNamespace?: string;
}

/** One entry of {@link NamespacedKeyvStore.setMany}, as Keyv passes it. */
interface KeyvEntry {
  readonly key: string;
  readonly value: unknown;
  /** Milliseconds; `undefined` = the cache's `ttl`. */
  readonly ttl?: number | undefined;
}

/**
 * A Keyv 5 store (`KeyvStoreAdapter`) over a {@link NamespacedCache}: what cache-manager 7 and
 * NestJS take. Keyv's namespace is a namespace of the cache, and `clear()` clears only it, with one
 * write (`deleteNamespace`): never a `flush`, so other namespaces, applications and tenants on the
 * same memcached keep their keys.
 *
 * - Keyv hands over values it has serialized (strings); they are stored as they are, and Keyv's own
 *   `expires` inside them keeps expiry exact to the millisecond.
 * - TTLs come in milliseconds and go to memcached as `ceil(ms / 1000) + 1` seconds, so that
 *   memcached's one-second clock never drops a value before its TTL; Keyv's `expires` ends it on
 *   time. No TTL means the cache's `ttl` (one day by default).
 * - Keys are stored as Keyv passes them (prefixed or not, see `useKeyPrefix`), so keys Keyv keeps
 *   apart stay apart.
 * - No `has`/`hasMany`: Keyv's own, which read the value and check its exact `expires`, answer
 *   right to the millisecond where memcached's expiry could not. No `iterator`: memcached cannot
 *   list keys.
 * - One store per Keyv: Keyv sets `store.namespace`, so two Keyvs sharing a store would share the
 *   last namespace set. Stores are cheap; many can share one cache.
 *
 * @example
 * ```ts
 * import Keyv from 'keyv';
 * import { NamespacedKeyvStore } from 'memjs-namespaces/keyv';
 *
 * const store = new NamespacedKeyvStore({ servers: 'localhost:11211', prefix: 'shop' });
 * const keyv = new Keyv({ store, namespace: 'products' });
 * await keyv.set('guitar', { price: 5000 }, 60_000);
 * await keyv.clear(); // = cache.deleteNamespace('products'), nothing else touched
 * ```
 */
export class NamespacedKeyvStore {
  /** The cache the store reads and writes. */
  readonly cache: NamespacedCache;
  /** The store's resolved options, as Keyv expects to find them on `opts`. */
  readonly opts: { readonly defaultNamespace: string; [name: string]: unknown };
  private readonly ownsCache: boolean;
  private readonly listeners = new ErrorListeners();
  private keyvNamespace: string | undefined;
  private handle: NamespaceHandle;

  /**
   * @param cache - a cache to use (the store never closes it, and its swallowed errors stay with
   *   its own `onError`), or the options of a cache for the store to create, own and close on
   *   `disconnect()`; that cache's swallowed errors are also emitted as `'error'`.
   * @param options - see {@link NamespacedKeyvStoreOptions}.
   * @throws TypeError or RangeError for an invalid option.
   */
  constructor(cache: NamespacedCache | NamespacedCacheOptions = {}, options: NamespacedKeyvStoreOptions = {}) {
    // Told apart by shape, not instanceof: a cache from the package's other build (ESM or
    // CommonJS) is a different class, yet a cache.
    this.ownsCache = !isCache(cache);
    this.cache = isCache(cache) ? cache : new NamespacedCache(alsoEmitting(cache, this.listeners));
    this.opts = { defaultNamespace: options.defaultNamespace ?? 'keyv' };
    this.handle = this.cache.namespace(this.opts.defaultNamespace);
  }

  /**
   * Keyv's namespace, which Keyv sets. It selects the cache namespace of every later call:
   * `undefined` or `''` is {@link NamespacedKeyvStoreOptions.defaultNamespace}.
   */
  get namespace(): string | undefined {
    return this.keyvNamespace;
  }

  set namespace(namespace: string | undefined) {
    this.handle = this.cache.namespace(namespace || this.opts.defaultNamespace);
    this.keyvNamespace = namespace;
  }

  /** The stored value, or `undefined` on a miss (and, failing open, when memcached fails). */
  get<Value = unknown>(key: string): Promise<Value | undefined> {
    return this.handle.get<Value>(key);
  }

  /** The values of `keys`, in order; `undefined` for each miss. One token lookup. */
  async getMany<Value = unknown>(keys: readonly string[]): Promise<(Value | undefined)[]> {
    const hits = await this.handle.getMulti<Value>(keys);
    return keys.map((key) => hits.get(key));
  }

  /**
   * Stores a value (Keyv's serialized string) for at least `ttl` milliseconds (memcached gets
   * `ceil(ttl / 1000) + 1` seconds; Keyv's `expires` ends it on time); `0` = never expires,
   * `undefined` = the cache's `ttl`. Resolves whether it was stored.
   */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    return this.handle.set(key, value, writeOptions(ttl));
  }

  /**
   * Stores many entries: one write per distinct TTL. Resolves, per entry, whether its write stored
   * all of its group (memcached answers per key, the cache per call); Keyv returns that array.
   *
   * Declared twice: keyv 5.6's `KeyvStoreAdapter` types `setMany` as `Promise<void>` (while its
   * runtime returns what the store resolves), and an overloaded method is assignable when one of
   * its signatures is. Calls see the first, `Promise<boolean[]>`.
   */
  setMany(entries: readonly KeyvEntry[]): Promise<boolean[]>;
  setMany(entries: readonly KeyvEntry[]): Promise<void>;
  async setMany(entries: readonly KeyvEntry[]): Promise<unknown> {
    const groups = new Map<number | undefined, [string, unknown][]>();
    const groupOf = entries.map(({ key, value, ttl }) => {
      const seconds = keyvTtl(ttl);
      const group = groups.get(seconds) ?? [];
      groups.set(seconds, group);
      group.push([key, value]);
      return seconds;
    });
    const stored = new Map<number | undefined, boolean>();
    await Promise.all(
      [...groups].map(async ([seconds, group]) => {
        stored.set(seconds, await this.handle.setMulti(group, seconds === undefined ? undefined : { ttl: seconds }));
      }),
    );
    return groupOf.map((seconds) => stored.get(seconds) === true);
  }

  /** Deletes a key; resolves whether it existed. Rejects with a `CacheError` when memcached fails. */
  delete(key: string): Promise<boolean> {
    return this.handle.delete(key);
  }

  /** Deletes keys; resolves whether every one of them existed (as Keyv's own fallback does). */
  async deleteMany(keys: readonly string[]): Promise<boolean> {
    const distinct = new Set(keys);
    return (await this.handle.deleteMulti([...distinct])) === distinct.size;
  }

  /**
   * Clears the store's namespace, and only it, with one write (`deleteNamespace`). Rejects with a
   * `CacheError` unless memcached acknowledged it.
   */
  clear(): Promise<void> {
    return this.handle.clear();
  }

  /** Closes the cache if the store created it; a cache passed in stays open for its owner. */
  async disconnect(): Promise<void> {
    if (this.ownsCache) await this.cache.close();
  }

  /**
   * Listens to `'error'`: the errors the cache swallowed (failed reads and writes, undecodable
   * values), when the store created the cache. Keyv subscribes and re-emits them. Other events are
   * never emitted.
   */
  on(event: 'error', listener: ErrorListener): this {
    if (event === 'error') this.listeners.add(listener);
    return this;
  }

  /** Removes an `'error'` listener. */
  off(event: 'error', listener: ErrorListener): this {
    if (event === 'error') this.listeners.remove(listener);
    return this;
  }
}

function isCache(cache: NamespacedCache | NamespacedCacheOptions): cache is NamespacedCache {
  return typeof (cache as Partial<NamespacedCache>).deleteNamespace === 'function';
}

/** The options with an `onError` that also emits to the store's listeners. */
function alsoEmitting(options: NamespacedCacheOptions, listeners: ErrorListeners): NamespacedCacheOptions {
  const { onError } = options;
  // Anything but a function or nothing goes to the cache as it came, for it to refuse.
  if (onError !== undefined && typeof onError !== 'function') return options;
  return {
    ...options,
    onError: (error) => {
      onError?.(error);
      listeners.emit(error);
    },
  };
}

function writeOptions(ttl: number | undefined): SetOptions | undefined {
  const seconds = keyvTtl(ttl);
  return seconds === undefined ? undefined : { ttl: seconds };
}
