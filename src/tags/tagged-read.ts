import { itemTagsOf, knownSection } from '../codec.js';
import { type LockingRead, readData } from '../data-requests.js';
import type { CacheError } from '../errors.js';
import { isLockItem } from '../lock-items.js';
import type { Transport } from '../transport.js';
import type { ItemTag, ItemTags } from './item-tags.js';
import { NO_TAGS } from './limits.js';
import { type Memo, Memos } from './memos.js';
import { checkItem, missingRecords, union } from './tag-check.js';
import { type TagRecord, versionAsOf } from './tag-record.js';
import type { TagRecords } from './tag-records.js';

/** How an item's tags judge it (the worst of its tags'): fresh, stale since a time, or expired. */
export interface TagCheck {
  readonly state: 'fresh' | 'stale' | 'expired';
  /** Epoch ms of the soft invalidation that made it stale; `NaN` unless stale. */
  readonly staleSince: number;
  /** What the item carries (`undefined`: written without tags). */
  readonly item: ItemTags | undefined;
}

/**
 * A data read with its tag check: the bytes (`undefined` on a miss), the check (`undefined` for an
 * untagged item read without read-time tags), and the records read — for `getOrSet`, the versions
 * of its declared tags as they were before its loader ran.
 */
export type TaggedCallback = (
  error: CacheError | undefined,
  bytes: Buffer | undefined,
  check: TagCheck | undefined,
  records: ReadonlyMap<string, TagRecord>,
) => void;

const NO_RECORDS: ReadonlyMap<string, TagRecord> = new Map();

/**
 * Reads data keys with their tags checked (DESIGN §12), in one round trip when the item's tags are
 * known — declared by the call, or remembered from an earlier read of the key — and two at most:
 * the tag records then go in the same write as the data read. Record reads are sent after the read
 * started (shared only with reads written with them), so a read that starts after an invalidation
 * resolved sees it (T1).
 * @internal
 */
export class TaggedReads {
  /** The tags of items read recently. */
  private readonly remembered = new Memos();

  constructor(
    private readonly transport: Transport,
    readonly records: TagRecords,
  ) {}

  /**
   * Reads `dataKey` and the records of its tags.
   *
   * @param namespaceHash - with `keyHash`, where the item's tags are remembered; `undefined`: nowhere.
   * @param declared - tags the caller says the item has (getOrSet's `tags`): read with the data.
   * @param readTime - tags checked at read time by time (getEntry's `tags`), not carried by the item.
   * @param locking - `getOrSet`'s read: takes the fleet lock on a miss where the protocol can.
   */
  read(
    dataKey: string,
    namespaceHash: string | undefined,
    keyHash: string,
    declared: readonly string[],
    readTime: readonly string[],
    deadline: number,
    done: TaggedCallback,
    locking?: LockingRead,
  ): void {
    // Remembered by namespace and key, not generation; nothing to look up while tags are unused.
    const remembered = namespaceHash === undefined ? undefined : this.remembered.get(namespaceHash, keyHash);
    const known = union(union(declared, remembered?.names ?? NO_TAGS), readTime);
    // Only the remembered tags (the usual case of a known item): their record keys were kept too.
    const knownKeys = remembered !== undefined && known === remembered.names ? remembered.keys : undefined;
    let records: ReadonlyMap<string, TagRecord> = NO_RECORDS;
    let recordsError: CacheError | undefined;
    let recordsDone = known.length === 0;
    let dataDone = false;
    let dataError: CacheError | undefined;
    let bytes: Buffer | undefined;
    const settle = (): void => {
      if (!dataDone || !recordsDone) return;
      if (dataError !== undefined) {
        done(dataError, undefined, undefined, records);
        return;
      }
      // Declared tags' versions are what the caller writes with its value: without them, no answer.
      if (recordsError !== undefined && declared.length > 0) {
        done(recordsError, undefined, undefined, records);
        return;
      }
      // A miss, or the fleet lock's item: nothing to check (nor to forget of the key's tags).
      if (bytes === undefined || isLockItem(bytes)) {
        done(undefined, bytes, undefined, records);
        return;
      }
      const item = itemTagsOf(bytes, remembered?.section);
      if (namespaceHash !== undefined) this.remember(namespaceHash, keyHash, bytes, item, remembered);
      if (item === undefined && readTime.length === 0) {
        done(undefined, bytes, undefined, records);
        return;
      }
      if (recordsError !== undefined) {
        done(recordsError, undefined, undefined, records);
        return;
      }
      const found = bytes;
      const missing = missingRecords(item, readTime, records);
      if (missing.length === 0) {
        done(undefined, found, checkItem(item, readTime, records), records);
        return;
      }
      // The item's tags were not known: one more round trip, for all of them at once.
      this.records.read(missing, deadline, (error, more) => {
        if (error !== undefined) return done(error, undefined, undefined, records);
        const all = new Map(records);
        for (const [name, record] of more) all.set(name, record);
        done(undefined, found, checkItem(item, readTime, all), all);
      });
    };
    if (!recordsDone) {
      this.records.read(
        known,
        deadline,
        (error, read) => {
          recordsError = error;
          records = read;
          recordsDone = true;
          settle();
        },
        knownKeys,
      );
    }
    readData(
      this.transport,
      dataKey,
      deadline,
      (error, read) => {
        dataError = error;
        bytes = read;
        dataDone = true;
        settle();
      },
      locking,
    );
  }

  /**
   * Reads many data keys of one namespace with their tags checked: the records of the tags known
   * for any of them go in the same write as the data reads, and those of the tags the items turn
   * out to carry besides in one more write, for all of them at once (`getMulti`: one extra round
   * trip at most). Calls `done` with the bytes of the items read and not invalidated, even softly.
   */
  readMany(
    reads: ReadonlyMap<string, { readonly dataKey: string; readonly keyHash: string }>,
    namespaceHash: string,
    deadline: number,
    done: (error: CacheError | undefined, found: Map<string, Buffer>) => void,
  ): void {
    const found = new Map<string, Buffer>();
    const items = new Map<string, ItemTags>();
    let known: readonly string[] = NO_TAGS;
    if (this.remembered.size > 0) {
      for (const { keyHash } of reads.values()) {
        const remembered = this.remembered.get(namespaceHash, keyHash);
        if (remembered !== undefined) known = union(known, remembered.names);
      }
    }
    let records: ReadonlyMap<string, TagRecord> = NO_RECORDS;
    let recordsError: CacheError | undefined;
    let pending = reads.size + (known.length === 0 ? 0 : 1);
    let firstError: CacheError | undefined;
    const judgeAll = (all: ReadonlyMap<string, TagRecord>): void => {
      for (const [key, item] of items) {
        if (checkItem(item, NO_TAGS, all).state !== 'fresh') found.delete(key);
      }
      done(firstError, found);
    };
    const settle = (): void => {
      pending -= 1;
      if (pending > 0) return;
      if (items.size === 0) {
        done(firstError, found);
        return;
      }
      if (recordsError !== undefined) {
        // Without the records nothing says the tagged items still hold: they are not served.
        for (const key of items.keys()) found.delete(key);
        done(firstError ?? recordsError, found);
        return;
      }
      const missing = new Set<string>();
      for (const item of items.values()) {
        for (const tag of item.tags) if (!records.has(tag.name)) missing.add(tag.name);
      }
      if (missing.size === 0) {
        judgeAll(records);
        return;
      }
      this.records.read([...missing], deadline, (error, more) => {
        if (error !== undefined) {
          recordsError = error;
          pending = 1;
          settle();
          return;
        }
        const all = new Map(records);
        for (const [name, record] of more) all.set(name, record);
        judgeAll(all);
      });
    };
    if (known.length > 0) {
      this.records.read(known, deadline, (error, read) => {
        recordsError = error;
        records = read;
        settle();
      });
    }
    for (const [key, { dataKey, keyHash }] of reads) {
      readData(this.transport, dataKey, deadline, (error, bytes) => {
        if (error !== undefined) {
          firstError ??= error;
        } else if (bytes !== undefined && !isLockItem(bytes)) {
          found.set(key, bytes);
          const remembered = this.remembered.get(namespaceHash, keyHash);
          const item = itemTagsOf(bytes, remembered?.section);
          this.remember(namespaceHash, keyHash, bytes, item, remembered);
          if (item !== undefined) items.set(key, item);
        }
        settle();
      });
    }
    if (pending === 0) done(undefined, found);
  }

  /**
   * The tags an item written now will carry: each tag's current version, read now (after the
   * caller's value was computed for `set`; before it, for `getOrSet`), and the time taken before;
   * no item, and the error, when a record could not be read. With `computedAt` (epoch ms, `set`'s
   * option), a tag invalidated at or after it gives no item and no error (not to be stored as
   * valid); a soft invalidation still inside its window gives the version before it: the item is stale.
   */
  capture(
    tags: readonly string[],
    computedAt: number | undefined,
    deadline: number,
    done: (error: CacheError | undefined, item: ItemTags | undefined) => void,
  ): void {
    const writtenAt = Date.now();
    this.records.read(tags, deadline, (error, records) => {
      // A failed read leaves some records unread: no item tags to build from them.
      if (error !== undefined) return done(error, undefined);
      if (computedAt === undefined) return done(undefined, itemTagsFrom(tags, records, writtenAt));
      const time = Date.now();
      const carried: ItemTag[] = [];
      for (const name of tags) {
        const version = versionAsOf(records.get(name) as TagRecord, computedAt, time);
        if (version === undefined) return done(undefined, undefined);
        carried.push({ name, version });
      }
      done(undefined, { writtenAt, tags: carried });
    });
  }

  private remember(
    namespaceHash: string,
    keyHash: string,
    bytes: Buffer,
    item: ItemTags | undefined,
    remembered: Memo | undefined,
  ): void {
    if (item === undefined) {
      if (remembered !== undefined) this.remembered.delete(namespaceHash, keyHash);
      return;
    }
    if (remembered?.section?.item === item) return; // the same section as last time
    const names = item.tags.map((tag) => tag.name);
    const keys = names.map((name) => this.records.keyOf(name));
    const memo = { names, keys, section: knownSection(bytes, item) };
    this.remembered.set(namespaceHash, keyHash, memo);
  }
}

/** @internal The tags of an item written at `writtenAt`, with the versions in `records`. */
export function itemTagsFrom(
  tags: readonly string[],
  records: ReadonlyMap<string, TagRecord>,
  writtenAt: number,
): ItemTags {
  return { writtenAt, tags: tags.map((name) => ({ name, version: (records.get(name) as TagRecord).version })) };
}
