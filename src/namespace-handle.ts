import type { Entries } from './arguments.js';
import type { CacheCore } from './cache-core.js';
import type {
  CacheEntry,
  GetEntryOptions,
  GetOrSetOptions,
  InvalidateOptions,
  SetOptions,
  TagState,
} from './call-options.js';
import type { Storable, StorableLoad } from './codec.js';
import { checkNamespace, type Namespace, type NamespaceState } from './namespaces.js';
import type { Operations } from './operations.js';
import type { LoaderContext } from './read-through/loader.js';

/**
 * One namespace of a cache, bound: the cache's methods without the namespace argument. It keeps
 * the namespace's derived state, so its calls skip the namespace lookup. Get one with
 * `cache.namespace(ns)`.
 *
 * @example
 * ```ts
 * const products = cache.namespace(['tenant:42', 'products']);
 * await products.set('guitar', { price: 5000 });
 * await products.clear(); // = cache.deleteNamespace(['tenant:42', 'products'])
 * ```
 */
export class NamespaceHandle {
  /** The namespace's path (a string namespace is a one-level path). */
  readonly path: readonly string[];
  private state: NamespaceState | undefined;

  // Private, and built through `of`, which the build strips from the declarations (stripInternal):
  // the public `.d.ts` must not name CacheCore, whose types reach the transport and Node's.
  private constructor(
    private readonly core: CacheCore,
    path: readonly string[],
  ) {
    this.path = Object.freeze([...path]);
  }

  /** @internal The handle of a checked namespace path; users call `cache.namespace(ns)`. */
  static of(core: CacheCore, path: readonly string[]): NamespaceHandle {
    return new NamespaceHandle(core, path);
  }

  private stateIn(operations: Operations): NamespaceState {
    this.state ??= operations.stateOf(this.path);
    return this.state;
  }

  /** See `NamespacedCache.get`. */
  get<T = unknown>(key: string): Promise<T | undefined> {
    return this.core.run('get', (ops) => ops.get<T>(this.stateIn(ops), key), this.path, key);
  }

  /** See `NamespacedCache.set`. */
  set<T>(key: string, value: T & Storable<T>, options?: SetOptions): Promise<boolean> {
    return this.core.run('set', (ops) => ops.set(this.stateIn(ops), key, value, options), this.path, key);
  }

  /** See `NamespacedCache.delete`. */
  delete(key: string): Promise<boolean> {
    return this.core.run('delete', (ops) => ops.delete(this.stateIn(ops), key), this.path, key);
  }

  /** See `NamespacedCache.getMulti`. */
  getMulti<T = unknown>(keys: readonly string[]): Promise<Map<string, T>> {
    return this.core.run('getMulti', (ops) => ops.batch.getMulti<T>(this.stateIn(ops), keys), this.path, keys);
  }

  /** See `NamespacedCache.setMulti`. */
  setMulti<T>(entries: Entries<T & Storable<T>>, options?: SetOptions): Promise<boolean> {
    return this.core.run(
      'setMulti',
      (ops) => ops.batch.setMulti(this.stateIn(ops), entries, options),
      this.path,
      entries,
    );
  }

  /** See `NamespacedCache.deleteMulti`. */
  deleteMulti(keys: readonly string[]): Promise<number> {
    return this.core.run('deleteMulti', (ops) => ops.batch.deleteMulti(this.stateIn(ops), keys), this.path, keys);
  }

  /** See `NamespacedCache.getOrSet`. */
  getOrSet<R>(
    key: string,
    loader: ((context: LoaderContext) => R) & StorableLoad<R>,
    options?: GetOrSetOptions,
  ): Promise<Awaited<R>> {
    return this.core.run(
      'getOrSet',
      (ops) => ops.readThrough.getOrSet(this.stateIn(ops), key, loader, options),
      this.path,
      key,
    );
  }

  /** Clears this namespace and every namespace below it. See `NamespacedCache.deleteNamespace`. */
  clear(options?: InvalidateOptions): Promise<void> {
    return this.core.run('deleteNamespace', (ops) => ops.deleteNamespace(this.stateIn(ops), options), this.path);
  }

  /** = `clear(options)`, named as on the cache. See `NamespacedCache.deleteNamespace`. */
  deleteNamespace(options?: InvalidateOptions): Promise<void> {
    return this.clear(options);
  }

  /** See `NamespacedCache.getEntry`. */
  getEntry<T = unknown>(key: string, options?: GetEntryOptions): Promise<CacheEntry<T> | undefined> {
    return this.core.run('getEntry', (ops) => ops.tags.getEntry<T>(this.stateIn(ops), key, options), this.path, key);
  }

  /** Tags belong to the cache's `prefix`, not to a namespace. See `NamespacedCache.invalidateTags`. */
  invalidateTags(tags: readonly string[], options?: InvalidateOptions): Promise<void> {
    return this.core.run('invalidateTags', (ops) => ops.tags.invalidateTags(tags, options), undefined, tags);
  }

  /** See `NamespacedCache.getTagStates`. */
  getTagStates(tags: readonly string[]): Promise<Map<string, TagState>> {
    return this.core.run('getTagStates', (ops) => ops.tags.getTagStates(tags), undefined, tags);
  }

  /**
   * The handle of a namespace below this one: `cache.namespace('tenant:42').namespace('products')`
   * is `cache.namespace(['tenant:42', 'products'])`.
   *
   * @throws TypeError for an invalid namespace.
   */
  namespace(child: Namespace): NamespaceHandle {
    return new NamespaceHandle(this.core, [...this.path, ...checkNamespace(child)]);
  }
}
