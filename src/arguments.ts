import { describe } from './describe.js';
import { FRESHNESS_OPTIONS, type Freshness, freshnessOf } from './freshness.js';
import type { Loader } from './read-through/loader.js';
import { LOCKING_OPTIONS, type Locking, lockingOf } from './read-through/locking.js';
import type { Settings } from './settings.js';
import { checkTags } from './tags/limits.js';

/**
 * @internal Starts a call: a throw while checking its arguments becomes a rejected promise, and nothing is sent.
 */
export function rejectingThrows<T>(start: () => Promise<T>): Promise<T> {
  try {
    return start();
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * @internal `key`, checked.
 *
 * @throws TypeError when `key` is not a string. Any string is a valid key: it is hashed (keys.ts).
 */
export function checkKey(key: unknown): string {
  if (typeof key !== 'string') throw new TypeError(`Expected \`key\` to be a string, got ${describe(key)}`);
  return key;
}

const WRITE_OPTIONS: ReadonlySet<string> = new Set([...FRESHNESS_OPTIONS, 'tags', 'computedAt']);
const GET_OR_SET_OPTIONS: ReadonlySet<string> = new Set([...FRESHNESS_OPTIONS, ...LOCKING_OPTIONS, 'tags']);

/**
 * @internal The checked `tags` of a call's options, or `undefined` when it gives none (the item is untagged).
 *
 * @throws TypeError or RangeError for tags that are not valid (tags/limits.ts).
 */
export function tagsOf(options: unknown): readonly string[] | undefined {
  if (typeof options !== 'object' || options === null) return undefined;
  const tags: unknown = (options as { tags?: unknown }).tags;
  return tags === undefined ? undefined : checkTags(tags);
}

/**
 * @internal The checked `computedAt` of a write's options (epoch ms), or `undefined` when it gives none.
 *
 * @throws TypeError or RangeError when it is not a finite number of epoch ms >= 0.
 */
export function computedAtOf(options: unknown): number | undefined {
  if (typeof options !== 'object' || options === null) return undefined;
  const computedAt: unknown = (options as { computedAt?: unknown }).computedAt;
  if (computedAt === undefined) return undefined;
  if (typeof computedAt !== 'number' || !Number.isFinite(computedAt) || computedAt < 0) {
    throw new (typeof computedAt === 'number' ? RangeError : TypeError)(
      `Expected \`computedAt\` to be a time in epoch ms (like Date.now()), got ${describe(computedAt)}`,
    );
  }
  return computedAt;
}

/**
 * @internal The options object of a call, with every field name checked against `known`.
 *
 * @param example - an options object of the call, for the message when `options` is not an object.
 * @throws TypeError when `options` is not an object or has a field `known` lacks.
 */
export function optionsRecord(
  options: unknown,
  known: ReadonlySet<string>,
  call: string,
  example = '{ ttl: 60 }',
): Readonly<Record<string, unknown>> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected options to be an object like ${example}, got ${describe(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (!known.has(name)) throw new TypeError(`Unknown option \`${name}\`; ${call} takes ${[...known].join(', ')}`);
  }
  return options as Readonly<Record<string, unknown>>;
}

/**
 * @internal The freshness of one write (`set`, `setMulti`): its options over the cache's defaults.
 *
 * @throws TypeError or RangeError for options that are not an object, unknown or invalid.
 */
export function writeOptionsOf(options: unknown, settings: Settings): Freshness {
  if (options === undefined) return settings.freshness;
  return freshnessOf(optionsRecord(options, WRITE_OPTIONS, 'a write'), settings.freshness);
}

/**
 * @internal The freshness and locking of one `getOrSet`: its options over the cache's defaults.
 *
 * @throws TypeError or RangeError for options that are not an object, unknown or invalid.
 */
export function getOrSetOptionsOf(
  options: unknown,
  settings: Settings,
): { readonly freshness: Freshness; readonly locking: Locking } {
  if (options === undefined) return settings;
  const record = optionsRecord(options, GET_OR_SET_OPTIONS, 'getOrSet');
  return { freshness: freshnessOf(record, settings.freshness), locking: lockingOf(record, settings.locking) };
}

/**
 * @internal A copy of `keys`, each read once (a hole reads as `undefined` and is refused).
 *
 * @throws TypeError when `keys` is not an array of strings.
 */
export function checkKeys(keys: unknown): readonly string[] {
  if (!Array.isArray(keys)) throw new TypeError(`Expected \`keys\` to be an array of strings, got ${describe(keys)}`);
  const length = keys.length;
  const copy: string[] = new Array(length);
  for (let index = 0; index < length; index += 1) {
    const key: unknown = keys[index];
    if (typeof key !== 'string') {
      throw new TypeError(`Expected every key to be a string, got ${describe(key)} at index ${index}`);
    }
    copy[index] = key;
  }
  return copy;
}

/** What `setMulti` takes: a plain object, a Map or any iterable of `[key, value]` pairs. */
export type Entries<V> = Readonly<Record<string, V>> | ReadonlyMap<string, V> | Iterable<readonly [string, V]>;

/**
 * @internal The `[key, value]` pairs of `entries`; a later pair for the same key wins, as in a Map.
 *
 * @throws TypeError when `entries` is none of the accepted shapes or a key is not a string.
 */
export function entriesOf<V>(entries: Entries<V>): Map<string, V> {
  if (typeof entries !== 'object' || entries === null) {
    throw new TypeError(
      `Expected entries to be an object, a Map or an iterable of [key, value], got ${describe(entries)}`,
    );
  }
  if (!(Symbol.iterator in entries)) return new Map(Object.entries(entries as Record<string, V>));
  const map = new Map<string, V>();
  for (const entry of entries as Iterable<unknown>) {
    // Each part read once; a pair with a hole or a missing value is refused, not stored as undefined.
    const key: unknown = Array.isArray(entry) ? entry[0] : undefined;
    if (!Array.isArray(entry) || entry.length !== 2 || typeof key !== 'string' || !(1 in entry)) {
      throw new TypeError(`Expected every entry to be a [key, value] pair with a string key, got ${describe(entry)}`);
    }
    map.set(key, entry[1] as V);
  }
  return map;
}

/**
 * @internal `loader`, checked.
 *
 * @throws TypeError when `loader` is not a function.
 */
export function checkLoader(loader: unknown): Loader<unknown> {
  if (typeof loader !== 'function') {
    throw new TypeError(`Expected \`loader\` to be a function returning the value, got ${describe(loader)}`);
  }
  return loader as Loader<unknown>;
}
