import { CacheError, type NamespacedCache, type NamespacedCacheOptions } from '../index.js';
import { EntryStore, ttlOfExpire } from './entry-store.js';
import { decodeValue, encodeValue } from './incremental-value.js';
import { invalidate, type TagDurations } from './invalidation.js';
import { buildIdNear, checkBuildId, type IncrementalHandlerOptions, resolveHandlerContext } from './options.js';
import { RenderStarts } from './render-starts.js';

/** Next's `CacheControl` of a route: seconds; `false` = never revalidated by time. */
export interface IncrementalCacheControl {
  revalidate: number | false;
  expire: number | undefined;
}

/** The parts of Next's incremental `get` / `set` contexts the handler reads. */
export interface IncrementalCacheContext {
  /** `'FETCH'`, `'APP_PAGE'`, `'APP_ROUTE'`, `'PAGES'` (`'IMAGE'` never reaches a handler). */
  kind?: string;
  /** Next 14's name for it: `'fetch'`, `'app'`, `'pages'`. */
  kindHint?: string;
  /** `true` on a `set` of the fetch cache. */
  fetchCache?: boolean;
  /** A fetch's tags (`next: { tags }`). */
  tags?: string[];
  /** The page's implicit tags (`_N_T_/…`), given to a fetch's `get`. */
  softTags?: string[];
  /** A fetch's revalidate, on `get`. */
  revalidate?: number | false;
  /** A route's lifetime, on `set`. */
  cacheControl?: IncrementalCacheControl;
}

/** What Next's incremental `get` expects back. */
export interface IncrementalCacheValue {
  /** When the value was stored (epoch ms); `-1` asks Next to render it again before serving. */
  lastModified: number;
  /** Next's `IncrementalCacheValue` (a page, route, fetch, …), or `null`. */
  value: unknown;
  /** The route's lifetime as `set` received it, so that every instance serves it with that lifetime. */
  cacheControl?: IncrementalCacheControl;
}

/** The shape of the class {@link createIncrementalCacheHandler} returns. */
export interface IncrementalCacheHandler {
  get(cacheKey: string, context: IncrementalCacheContext): Promise<IncrementalCacheValue | null>;
  set(cacheKey: string, data: unknown, context: IncrementalCacheContext): Promise<void>;
  revalidateTag(tags: string | string[], durations?: TagDurations): Promise<void>;
  resetRequestCache(): void;
}

/** What is stored per key: the value as JSON text (incremental-value.ts), its tags and lifetime. */
interface StoredIncremental {
  readonly lastModified: number;
  readonly tags: readonly string[];
  readonly cacheControl?: IncrementalCacheControl;
  readonly value: string;
}

/** Next keeps a page's and a route's tags in this response header; `revalidatePath` tags are in it too. */
const TAGS_HEADER = 'x-next-cache-tags';

/**
 * The incremental cache handler (`cacheHandler` in next.config: ISR, route handlers, the fetch
 * cache; Next 14.1 to 16), shared by every instance of the app through memcached. Next constructs
 * the class once per request; every instance shares one cache and one store.
 *
 * Next checks a stored page's tags only against its own process's record of invalidations, so `get`
 * checks the tags (and a fetch's soft tags) itself: an expired tag is a miss, a stale one is
 * served once while Next renders a fresh page in the background.
 *
 * @param optionsOrCache - a cache to use, or the options of a cache to create (compression on by default).
 * @param options - see {@link IncrementalHandlerOptions}.
 * @example
 * ```js
 * // cache-handler.mjs, named in next.config's `cacheHandler`
 * import { createIncrementalCacheHandler } from 'memjs-namespaces/next';
 * export default createIncrementalCacheHandler({ servers: process.env.MEMCACHED_SERVERS, prefix: 'shop' });
 * ```
 */
export function createIncrementalCacheHandler(
  optionsOrCache?: NamespacedCache | NamespacedCacheOptions,
  options?: IncrementalHandlerOptions,
): new (
  context?: unknown,
) => IncrementalCacheHandler {
  const store = new EntryStore(resolveHandlerContext(optionsOrCache, options), 'incremental');
  const renderStarts = new RenderStarts();
  const buildId = checkBuildId(options?.buildId);
  let scoped = false;

  return class MemcachedIncrementalCacheHandler implements IncrementalCacheHandler {
    /** @param context - Next's `CacheHandlerContext`; its `serverDistDir` locates the build id. */
    constructor(context?: unknown) {
      if (scoped) return;
      store.scope = buildId ?? buildIdNear((context as { serverDistDir?: unknown } | undefined)?.serverDistDir);
      scoped = true;
    }

    async get(cacheKey: string, context: IncrementalCacheContext): Promise<IncrementalCacheValue | null> {
      const softTags = isFetch(context) ? [...(context.tags ?? []), ...(context.softTags ?? [])] : [];
      const read = await store.read<StoredIncremental>(cacheKey, softTags);
      // Next renders, if it does, after this get returns: records the read created are older.
      const now = Date.now();
      if (read === undefined) {
        renderStarts.saw(cacheKey, now);
        return null;
      }
      const stored = read.value;
      let value: unknown;
      try {
        if (!isStored(stored)) throw new TypeError('not an incremental cache entry');
        value = decodeValue(stored.value);
      } catch (error) {
        store.context.onError(
          new CacheError(
            'E_CORRUPT_VALUE',
            `the entry under ${JSON.stringify(cacheKey)} is not one this handler wrote`,
            {
              cause: error,
              operation: 'getEntry',
            },
          ),
        );
        return null;
      }
      const revalidate = revalidateOf(stored, value, context);
      const lastModified =
        read.state === 'stale' ? staleModified(stored, revalidate, context, now) : stored.lastModified;
      // Next renders after this get: a miss, a stale entry, or one past its revalidate time.
      if (lastModified !== stored.lastModified || (revalidate !== undefined && now >= lastModified + revalidate * 1000))
        renderStarts.saw(cacheKey, now);
      if (lastModified === undefined) return null;
      return {
        lastModified,
        value,
        ...(stored.cacheControl === undefined ? {} : { cacheControl: stored.cacheControl }),
      };
    }

    set(cacheKey: string, data: unknown, context: IncrementalCacheContext): Promise<void> {
      return store.write(cacheKey, async () => {
        const cacheControl = context.cacheControl;
        const tags = context.fetchCache ? (context.tags ?? []) : tagsInHeaders(data);
        const lastModified = Date.now();
        const stored: StoredIncremental = {
          lastModified,
          tags,
          ...(cacheControl === undefined ? {} : { cacheControl }),
          value: encodeValue(data),
        };
        // A route past `expire` is rendered again before it is served: memcached need not keep it longer.
        const ttl = typeof cacheControl?.expire === 'number' ? ttlOfExpire(cacheControl.expire) : undefined;
        // Next gives no render start here: the get that led to the render stands for it.
        return { value: stored, tags, ttl, computedAt: renderStarts.take(cacheKey) };
      });
    }

    revalidateTag(tags: string | string[], durations?: TagDurations): Promise<void> {
      return invalidate(store.context.cache, typeof tags === 'string' ? [tags] : tags, durations);
    }

    resetRequestCache(): void {}
  };
}

/** The entry's revalidate time in seconds, as Next judges it (a fetch's, or the route's); `undefined`: none. */
function revalidateOf(stored: StoredIncremental, value: unknown, context: IncrementalCacheContext): number | undefined {
  const fetchRevalidate = context.revalidate || (value as { revalidate?: number | false } | null)?.revalidate;
  const revalidate = isFetch(context) ? fetchRevalidate : stored.cacheControl?.revalidate;
  return typeof revalidate === 'number' && revalidate > 0 ? revalidate : undefined;
}

/**
 * The `lastModified` that makes Next see a stale-tagged value as past its revalidate time (served,
 * and rendered again in the background); `-1` (render before serving) when it has no revalidate
 * time; `undefined` (a miss) for a fetch that never revalidates by time.
 */
function staleModified(
  stored: StoredIncremental,
  revalidate: number | undefined,
  context: IncrementalCacheContext,
  now: number,
): number | undefined {
  if (revalidate === undefined) return isFetch(context) ? undefined : -1;
  const modified = Math.min(stored.lastModified, now - revalidate * 1000 - 1);
  const expire = stored.cacheControl?.expire;
  // Past `expire` Next renders before serving; keep it just inside, so that the stale page is served.
  return typeof expire === 'number' && modified + expire * 1000 <= now
    ? Math.max(modified, now - expire * 1000 + 1)
    : modified;
}

function isFetch(context: IncrementalCacheContext): boolean {
  return context.kind === 'FETCH' || context.kindHint === 'fetch';
}

function tagsInHeaders(data: unknown): string[] {
  const headers = (data as { headers?: Record<string, unknown> } | null)?.headers;
  const value = headers?.[TAGS_HEADER];
  return typeof value === 'string' && value !== '' ? value.split(',') : [];
}

function isStored(value: unknown): value is StoredIncremental {
  if (typeof value === 'string') return false;
  if (typeof value !== 'object' || value === null) return false;
  const stored = value as Record<string, unknown>;
  return typeof stored.lastModified === 'number' && Array.isArray(stored.tags) && typeof stored.value === 'string';
}
