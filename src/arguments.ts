import { describe } from './describe.js';
import { checkTtl } from './expiry.js';
import type { SetOptions } from './options.js';

/**
 * Starts a call: a throw while checking its arguments becomes a rejected promise, and nothing is sent.
 */
export function rejectingThrows<T>(start: () => Promise<T>): Promise<T> {
  try {
    return start();
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * @throws TypeError when `key` is not a string. Any string is a valid key: it is hashed (keys.ts).
 */
export function checkKey(key: unknown): string {
  if (typeof key !== 'string') throw new TypeError(`Expected \`key\` to be a string, got ${describe(key)}`);
  return key;
}

/**
 * The TTL of one write, in whole seconds: `options.ttl` if given, else the cache's default.
 *
 * @throws TypeError or RangeError for options that are not an object or a TTL that is not valid.
 */
export function ttlOf(options: SetOptions | undefined, defaultTtl: number): number {
  if (options === undefined) return defaultTtl;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected options to be an object like { ttl: 60 }, got ${describe(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (name !== 'ttl') throw new TypeError(`Unknown option \`${name}\`; a write takes only \`ttl\``);
  }
  return options.ttl === undefined ? defaultTtl : checkTtl('ttl', options.ttl);
}

/**
 * A copy of `keys`, each read once (a hole reads as `undefined` and is refused).
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
 * The `[key, value]` pairs of `entries`; a later pair for the same key wins, as in a Map.
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
 * @throws TypeError when `loader` is not a function.
 */
export function checkLoader<R>(loader: unknown): () => R {
  if (typeof loader !== 'function') {
    throw new TypeError(`Expected \`loader\` to be a function returning the value, got ${describe(loader)}`);
  }
  return loader as () => R;
}
