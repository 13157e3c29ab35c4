import type { HandlerContext } from './options.js';
import { recordsOf, type TagRecord, TagRecords, tagKey } from './tag-records.js';

/** How many keys' tags a process remembers, so that a read fetches an entry and its tags together. */
const REMEMBERED_KEYS = 10_000;

/** @internal What a read found: the stored value and the records of every tag asked for and of the entry's own. */
export interface StoredRead<V> {
  readonly value: V;
  readonly records: ReadonlyMap<string, TagRecord>;
}

/** @internal A value to store, with the tags it carries and when it was computed (epoch ms). */
export interface StoredWrite<V> {
  readonly value: V;
  readonly tags: readonly string[];
  readonly timestamp: number;
  /** Seconds; `0` = never expires (memcached's LRU only); `undefined` = the cache's `ttl`. */
  readonly ttl: number | undefined;
}

/**
 * @internal Entries and tag records in one namespace of the cache, so that one `getMulti` (one
 * namespace token, one pipelined batch) reads an entry with its tags and the read-time (soft) tags.
 * Shared by both handlers; keys are scoped to the kind and {@link scope}, tag records to neither.
 */
export class EntryStore {
  readonly tags: TagRecords;
  /** Writes still running in this process, per key: a read of the key waits for them (Next's rule). */
  private readonly pending = new Map<string, Promise<void>>();
  /** The tags last seen on each key's entry (insertion order = age). */
  private readonly knownTags = new Map<string, readonly string[]>();
  /** What the keys are scoped to besides the kind: the build, for the incremental cache. */
  scope = '';

  constructor(
    readonly context: HandlerContext,
    private readonly kind: 'use-cache' | 'incremental',
  ) {
    this.tags = new TagRecords(context);
  }

  /** The memcached key (before the cache's hashing) of `cacheKey`'s entry in this scope. */
  private keyOf(cacheKey: string): string {
    return `e:${JSON.stringify([this.kind, this.scope, cacheKey])}`;
  }

  /**
   * The entry under `cacheKey`, or `undefined`, with the records of `readTags`, of the tags
   * `tagsOf` finds on it and of those remembered for it. One `getMulti` when the entry's tags are
   * remembered (or it has none), two the first time a process reads a key. Tag records found
   * missing are re-created in the background (see {@link TagRecords.createMissing}).
   */
  async read<V>(
    cacheKey: string,
    readTags: readonly string[],
    tagsOf: (value: V) => readonly string[],
  ): Promise<StoredRead<V> | undefined> {
    await this.pending.get(cacheKey);
    const key = this.keyOf(cacheKey);
    const expected = union(readTags, this.knownTags.get(key) ?? []);
    const { cache, namespace } = this.context;
    const found = await cache.getMulti<unknown>(namespace, [key, ...expected.map(tagKey)]);
    const records = recordsOf(expected, found);
    const value = found.get(key) as V | undefined;
    const own = value === undefined ? [] : tagsOf(value);
    const unread = own.filter((tag) => !expected.includes(tag));
    if (unread.length > 0) for (const [tag, record] of await this.tags.read(unread)) records.set(tag, record);
    this.remember(key, own);
    // Stamped when sent, not when the read began: an invalidation that landed meanwhile is covered.
    this.background(this.tags.createMissing(union(readTags, own), records, Date.now()));
    return value === undefined ? undefined : { value, records };
  }

  /**
   * Stores an entry once `produce` has it (`undefined`: nothing to store); a read of the key in this
   * process waits until then. Missing records of the entry's tags are created as "invalidated at
   * the entry's timestamp", so that no older entry comes back.
   */
  async write(cacheKey: string, produce: () => Promise<StoredWrite<Uint8Array | object> | undefined>): Promise<void> {
    let settle = (): void => {};
    const done = new Promise<void>((resolve) => {
      settle = resolve;
    });
    this.pending.set(cacheKey, done);
    try {
      const entry = await produce();
      if (entry === undefined) return;
      const key = this.keyOf(cacheKey);
      const { cache, namespace } = this.context;
      const records = entry.tags.length === 0 ? new Map<string, TagRecord>() : await this.tags.read(entry.tags);
      await Promise.all([
        this.tags.createMissing(entry.tags, records, entry.timestamp),
        cache.set(namespace, key, entry.value as Uint8Array, entry.ttl === undefined ? undefined : { ttl: entry.ttl }),
      ]);
      this.remember(key, entry.tags);
    } finally {
      if (this.pending.get(cacheKey) === done) this.pending.delete(cacheKey);
      settle();
    }
  }

  private remember(key: string, tags: readonly string[]): void {
    this.knownTags.delete(key);
    if (tags.length === 0) return;
    this.knownTags.set(key, tags);
    if (this.knownTags.size > REMEMBERED_KEYS) {
      const oldest = this.knownTags.keys().next().value;
      if (oldest !== undefined) this.knownTags.delete(oldest);
    }
  }

  /** Work nobody awaits: a failure is reported, never unhandled. */
  background(work: Promise<unknown>): void {
    work.catch((error: unknown) => this.context.onError(error instanceof Error ? error : new Error(String(error))));
  }
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}
