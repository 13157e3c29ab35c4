import { type InvalidateOptions, MAX_TAGS, type NamespacedCache } from '../index.js';
import { cacheTags } from './tags.js';

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
 * Next gives no `expire`. One memcached write per tag (normalised as entries carry them,
 * next/tags.ts), idempotent; rejects with a `CacheError` unless every write was acknowledged.
 */
export async function invalidate(
  cache: NamespacedCache,
  tags: readonly string[],
  durations?: TagDurations,
): Promise<void> {
  // The tags as entries carry them (a long one as its digest), at most MAX_TAGS per call of the cache.
  const unique = cacheTags(tags);
  const calls: Promise<void>[] = [];
  for (let start = 0; start < unique.length; start += MAX_TAGS) {
    calls.push(cache.invalidateTags(unique.slice(start, start + MAX_TAGS), optionsOf(durations)));
  }
  await Promise.all(calls);
}

function optionsOf(durations: TagDurations | undefined): InvalidateOptions | undefined {
  if (durations === undefined) return undefined;
  const expire = durations.expire ?? LONGEST_STALE_FOR;
  // A non-positive or non-finite `expire` means "expired already": a hard invalidation.
  if (!(expire > 0)) return undefined;
  return { staleFor: Math.min(expire, LONGEST_STALE_FOR) };
}
