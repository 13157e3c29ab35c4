import type { InvalidateOptions, NamespacedCache } from '../index.js';

/** Durations Next passes with `revalidateTag(tag, profile)` and `updateTags`; seconds. */
export interface TagDurations {
  readonly expire?: number;
}

/** The longest soft window the cache takes (`staleFor`): 30 days, memcached's relative-expiry limit. */
const LONGEST_STALE_FOR = 2_592_000;

/**
 * @internal Next's invalidation as the cache's: without durations (`updateTag`, one-argument
 * `revalidateTag`) the tags expire now; with durations they are stale now and expire after
 * `durations.expire` seconds (`revalidateTag(tag, 'max')`), capped at 30 days (Next's `'max'`
 * asks a year: those entries are rendered again after 30 days instead), or after 30 days when
 * Next gives no `expire`. One memcached write per tag, idempotent; rejects with a `CacheError`
 * unless every write was acknowledged.
 */
export function invalidate(cache: NamespacedCache, tags: readonly string[], durations?: TagDurations): Promise<void> {
  const unique = [...new Set(tags)];
  if (unique.length === 0) return Promise.resolve();
  return cache.invalidateTags(unique, optionsOf(durations));
}

function optionsOf(durations: TagDurations | undefined): InvalidateOptions | undefined {
  if (durations === undefined) return undefined;
  const expire = durations.expire ?? LONGEST_STALE_FOR;
  // A non-positive or non-finite `expire` means "expired already": a hard invalidation.
  if (!(expire > 0)) return undefined;
  return { staleFor: Math.min(expire, LONGEST_STALE_FOR) };
}
