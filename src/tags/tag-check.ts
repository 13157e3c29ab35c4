import type { ItemTag, ItemTags } from './item-tags.js';
import { NO_TAGS } from './limits.js';
import { judge, type TagRecord } from './tag-record.js';
import type { TagCheck } from './tagged-read.js';

// How an item's tags judge it against their records (tagged-read.ts).

const FRESH_UNTAGGED: TagCheck = { state: 'fresh', staleSince: Number.NaN, item: undefined };

/** The worst verdict of the item's tags (by version) and the read-time tags (by time). */
export function checkItem(
  item: ItemTags | undefined,
  readTime: readonly string[],
  records: ReadonlyMap<string, TagRecord>,
): TagCheck {
  if (item === undefined && readTime.length === 0) return FRESH_UNTAGGED;
  let time = -1; // the clock is read only when a tag changed (rarely)
  // An untagged item has no write time: any read-time tag's record judges it expired.
  const writtenAt = item === undefined ? Number.NEGATIVE_INFINITY : item.writtenAt;
  const tags = item === undefined ? NO_ITEM_TAGS : item.tags;
  let staleSince = Number.POSITIVE_INFINITY;
  // A plain loop over both lists, no closure: this runs on every tagged read.
  for (let index = 0; index < tags.length + readTime.length; index += 1) {
    let name: string;
    let version: string | undefined;
    if (index < tags.length) {
      const tag = tags[index] as ItemTag;
      name = tag.name;
      version = tag.version;
    } else {
      name = readTime[index - tags.length] as string;
      if (carries(tags, name)) continue; // judged by its version above
      version = undefined;
    }
    const record = records.get(name) as TagRecord;
    if (version !== undefined && version === record.version) continue; // unchanged since written
    if (time < 0) time = Date.now();
    const verdict = judge(record, version, writtenAt, time);
    if (verdict.state === 'expired') return { state: 'expired', staleSince: Number.NaN, item };
    if (verdict.state === 'stale' && verdict.since < staleSince) staleSince = verdict.since;
  }
  return staleSince === Number.POSITIVE_INFINITY
    ? { state: 'fresh', staleSince: Number.NaN, item }
    : { state: 'stale', staleSince, item };
}

const NO_ITEM_TAGS: readonly ItemTag[] = [];

function carries(tags: readonly ItemTag[], name: string): boolean {
  for (const tag of tags) if (tag.name === name) return true;
  return false;
}

/** The tags of the item and the read-time tags whose records were not read with the data. */
export function missingRecords(
  item: ItemTags | undefined,
  readTime: readonly string[],
  records: ReadonlyMap<string, TagRecord>,
): readonly string[] {
  let missing: string[] | undefined; // allocated only when something is missing (rarely)
  for (const tag of item === undefined ? NO_ITEM_TAGS : item.tags) {
    if (records.has(tag.name)) continue;
    missing ??= [];
    missing.push(tag.name);
  }
  for (const name of readTime) {
    if (records.has(name) || missing?.includes(name) === true) continue;
    missing ??= [];
    missing.push(name);
  }
  return missing ?? NO_TAGS;
}

/** Both lists' names, each once: `first` or `second` itself when the other is empty (no copy). */
export function union(first: readonly string[], second: readonly string[]): readonly string[] {
  if (second.length === 0) return first;
  if (first.length === 0) return second;
  const all = new Set(first);
  for (const name of second) all.add(name);
  return [...all];
}
