import { type CacheEntry, CacheError } from '../index.js';
import type { HandlerContext } from './options.js';
import { cacheTags, tooManyTags } from './tags.js';

/** memcached reads an expiry over 30 days as a Unix time; the cache converts it, but a year is plenty. */
const LONGEST_TTL = 365 * 86_400;

/**
 * The memcached TTL (seconds) for a Next `expire` (seconds). Next's default is about 136 years
 * (INFINITE_CACHE), later than memcached can store an expiry: past a year, keep the entry until
 * evicted (`0`).
 */
export function ttlOfExpire(expire: number): number {
  return expire > LONGEST_TTL ? 0 : Math.max(1, Math.ceil(expire));
}

/**
 * The tag an entry without tags of its own is written with. The cache judges read-time (soft) tags
 * by the time an item was written, which it records only for tagged items: an untagged entry would
 * read as expired under any soft tag (`revalidatePath`'s), so it never would be served.
 */
const WRITTEN_AT_TAG = 'memjs-namespaces/next';

/**
 * How long a read waits for a write of its key still running in this process (Next's rule: a `get`
 * sees the `set` before it). The write awaits Next's entry, which may never settle; after this the
 * read goes to memcached (a miss, unless another instance stored the entry).
 */
const PENDING_WRITE_WAIT_MS = 1000;

/** @internal A value to store, with the tags it carries. */
export interface StoredWrite<V> {
  readonly value: V;
  readonly tags: readonly string[];
  /** Seconds; `0` = never expires (memcached's LRU only); `undefined` = the cache's `ttl`. */
  readonly ttl: number | undefined;
  /** Epoch ms when the render began, if known: a tag invalidated since keeps the entry from being stored as valid. */
  readonly computedAt?: number | undefined;
}

/**
 * @internal The handlers' entries in one namespace of the cache, with their tags. A read is one
 * `getEntry`: the entry, the versions of its tags and the read-time (soft) tags in one round trip
 * once the process knows the entry's tags (the cache remembers them; two the first time). Keys are
 * scoped to the handler's kind and {@link scope}; tags belong to the cache's `prefix`.
 */
export class EntryStore {
  /** Writes still running in this process, per key: a read of the key waits for them (Next's rule). */
  private readonly pending = new Map<string, Promise<void>>();
  /** What the keys are scoped to besides the kind: the build, for the incremental cache. */
  scope = '';

  constructor(
    readonly context: HandlerContext,
    private readonly kind: 'use-cache' | 'incremental',
  ) {}

  /** The key (before the cache's hashing) of `cacheKey`'s entry in this scope. */
  private keyOf(cacheKey: string): string {
    return JSON.stringify([this.kind, this.scope, cacheKey]);
  }

  /**
   * The entry under `cacheKey` — fresh, or stale (a tag soft-invalidated) — or `undefined` on a miss
   * and when a tag or read-time tag expired it. Waits for a write of the key still running here,
   * for {@link PENDING_WRITE_WAIT_MS} at most. More read-time tags than the cache checks: a miss, reported (what they guard cannot be checked).
   */
  async read<V>(cacheKey: string, readTags: readonly string[]): Promise<CacheEntry<V> | undefined> {
    const pending = this.pending.get(cacheKey);
    if (pending !== undefined) await withinWait(pending);
    const { cache, namespace, onError } = this.context;
    const tags = cacheTags(readTags);
    const excess = tooManyTags(tags, `the entry under ${JSON.stringify(cacheKey)} was read as a miss`, 'getEntry');
    if (excess !== undefined) {
      onError(excess);
      return undefined;
    }
    return cache.getEntry<V>(namespace, this.keyOf(cacheKey), tags.length === 0 ? undefined : { tags });
  }

  /**
   * Stores an entry once `produce` has it (`undefined`: nothing to store); a read of the key in this
   * process waits until then. The cache reads the tags' versions when it writes, and with the
   * entry's `computedAt` stores nothing (or a stale entry) if one was invalidated during the render.
   */
  async write(cacheKey: string, produce: () => Promise<StoredWrite<Uint8Array | object> | undefined>): Promise<void> {
    let settle = (): void => {};
    const done = new Promise<void>((resolve) => {
      settle = resolve;
    });
    this.pending.set(cacheKey, done);
    // A write whose entry never settles holds reads back for the wait bound once, then is forgotten.
    const forget = setTimeout(() => {
      if (this.pending.get(cacheKey) === done) this.pending.delete(cacheKey);
    }, PENDING_WRITE_WAIT_MS);
    forget.unref();
    try {
      const entry = await produce();
      if (entry === undefined) return;
      const { cache, namespace, onError } = this.context;
      const tags = cacheTags(entry.tags);
      const excess = tooManyTags(tags, `the entry under ${JSON.stringify(cacheKey)} was not stored`, 'set');
      if (excess !== undefined) {
        // Not stored: an invalidation of a tag left out would miss it. Nor is the older entry kept (I3).
        onError(excess);
        await cache.delete(namespace, this.keyOf(cacheKey)).catch((error: unknown) => {
          const message = `the older entry under ${JSON.stringify(cacheKey)} could not be deleted`;
          onError(new CacheError('E_STALE_VALUE', message, { cause: error, operation: 'delete' }));
        });
        return;
      }
      await cache.set(namespace, this.keyOf(cacheKey), entry.value as Uint8Array, {
        ...(entry.ttl === undefined ? {} : { ttl: entry.ttl }),
        ...(entry.computedAt === undefined ? {} : { computedAt: entry.computedAt }),
        tags: tags.length === 0 ? [WRITTEN_AT_TAG] : tags,
      });
    } finally {
      clearTimeout(forget);
      if (this.pending.get(cacheKey) === done) this.pending.delete(cacheKey);
      settle();
    }
  }
}

/** Settles when `pending` does, or after {@link PENDING_WRITE_WAIT_MS}, whichever comes first. */
function withinWait(pending: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, PENDING_WRITE_WAIT_MS);
    timer.unref();
  });
  return Promise.race([pending, waited]).finally(() => clearTimeout(timer));
}
