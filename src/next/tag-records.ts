import { CacheError } from '../index.js';
import type { HandlerContext } from './options.js';

/**
 * @internal Next's tags manifest entry (`{ stale?, expired? }`, epoch ms), plus `hard`: the last invalidation
 * without durations. Next's own handlers let a later `revalidateTag(tag, 'max')` overwrite `expired`
 * with a time in the future, which would bring back entries an earlier `updateTag` had expired; a
 * hard invalidation is kept apart so that a soft one never undoes it.
 */
export interface TagRecord {
  readonly stale?: number;
  readonly expired?: number;
  readonly hard?: number;
}

/** Durations Next passes with `revalidateTag(tag, profile)`; seconds. */
export interface TagDurations {
  readonly expire?: number;
}

/** @internal The memcached key of a tag's record, in the handler's namespace (not scoped to the build). */
export function tagKey(tag: string): string {
  return `t:${tag}`;
}

/**
 * @internal What a tag record says of an entry written at `timestamp`, as Next's `areTagsExpired` /
 * `areTagsStale` say it. A missing record (never written, or evicted) reads as expired: memcached
 * may have dropped an invalidation, and serving the past is the one thing that must not happen.
 */
export function verdictOf(
  record: TagRecord | undefined,
  timestamp: number,
  now: number,
): 'fresh' | 'stale' | 'expired' {
  if (record === undefined) return 'expired';
  if (record.hard !== undefined && record.hard > timestamp) return 'expired';
  const { expired } = record;
  if (expired !== undefined && expired <= now && expired > timestamp) return 'expired';
  if (record.stale !== undefined && record.stale > timestamp) return 'stale';
  return 'fresh';
}

/** @internal The worst verdict over every tag, reading `records` (tag → record; missing = absent). */
export function verdictOfAll(
  tags: readonly string[],
  records: ReadonlyMap<string, TagRecord>,
  timestamp: number,
  now: number,
): 'fresh' | 'stale' | 'expired' {
  let verdict: 'fresh' | 'stale' = 'fresh';
  for (const tag of tags) {
    const one = verdictOf(records.get(tag), timestamp, now);
    if (one === 'expired') return 'expired';
    if (one === 'stale') verdict = 'stale';
  }
  return verdict;
}

/**
 * @internal Tag records on the cache's public get/set: the seam where the core's tags
 * (`invalidateTags`, `getTagStates`, issue 15) take over when they land. Records never expire
 * (memcached's LRU only): a record must outlive every entry carrying its tag, and one that is
 * evicted reads as expired anyway.
 */
export class TagRecords {
  constructor(private readonly context: HandlerContext) {}

  /**
   * Next's `updateTags` / `revalidateTag`: without durations every entry of the tags written before
   * now expires now; with durations they are stale now and expire after `durations.expire` seconds.
   * One write per tag (a soft invalidation reads the records first, to keep a hard one);
   * idempotent. Rejects with a `CacheError` unless every write was stored.
   */
  async invalidate(tags: readonly string[], durations: TagDurations | undefined): Promise<void> {
    const unique = [...new Set(tags)];
    if (unique.length === 0) return;
    const now = Date.now();
    const previous = durations === undefined ? new Map<string, TagRecord>() : await this.read(unique);
    const records = unique.map((tag): [string, TagRecord] => {
      if (durations === undefined) return [tagKey(tag), { stale: now, expired: now, hard: now }];
      // A record that is missing (evicted, or the read failed) already reads as expired: the soft
      // invalidation must not make older entries merely stale, so it keeps them expired.
      const before = previous.get(tag) ?? { hard: now };
      const expired = durations.expire === undefined ? before.expired : now + durations.expire * 1000;
      return [tagKey(tag), { ...before, stale: now, ...(expired === undefined ? {} : { expired }) }];
    });
    const { cache, namespace } = this.context;
    if (!(await cache.setMulti(namespace, records, { ttl: 0 }))) {
      throw new CacheError(
        'E_CONNECTION',
        `tags ${JSON.stringify(unique)} were not invalidated: memcached did not store every record`,
        {
          operation: 'setMulti',
        },
      );
    }
  }

  /**
   * Records that are missing get one saying "hard-invalidated at `at`": entries of the tag written
   * before `at` (before an eviction) stay expired, and those written from `at` on are valid. Fails
   * open: a record that could not be written still reads as expired.
   *
   * The cache's public API has no `add`, so this is a plain `set`: a record that only looked
   * missing (a read that failed open), or an invalidation landing between the read and this write,
   * is overwritten. With `at` no earlier than the read that found it missing, that only expires more
   * (a re-render); with the entry's own time (a write), an invalidation during that one round trip
   * can be lost. The core's tags (issue 15) create records with `add` and close this window.
   */
  async createMissing(tags: readonly string[], found: ReadonlyMap<string, TagRecord>, at: number): Promise<void> {
    const missing = [...new Set(tags)].filter((tag) => !found.has(tag));
    if (missing.length === 0) return;
    const { cache, namespace } = this.context;
    await cache.setMulti(
      namespace,
      missing.map((tag): [string, TagRecord] => [tagKey(tag), { hard: at }]),
      { ttl: 0 },
    );
  }

  /** The records of `tags` (tag → record; missing ones absent), in one call. Fails open (all missing). */
  async read(tags: readonly string[]): Promise<Map<string, TagRecord>> {
    const { cache, namespace } = this.context;
    return recordsOf(tags, await cache.getMulti(namespace, tags.map(tagKey)));
  }
}

/** @internal Tag → record, out of the values `getMulti` found under the tags' keys. */
export function recordsOf(tags: readonly string[], found: ReadonlyMap<string, unknown>): Map<string, TagRecord> {
  const records = new Map<string, TagRecord>();
  for (const tag of tags) {
    const value = found.get(tagKey(tag));
    if (isRecord(value)) records.set(tag, value);
  }
  return records;
}

function isRecord(value: unknown): value is TagRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return ['stale', 'expired', 'hard'].every(
    (field) => record[field] === undefined || typeof record[field] === 'number',
  );
}
