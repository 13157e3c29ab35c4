import { describe } from './describe.js';
import { checkTtl } from './expiry.js';
import type { SetOptions } from './options.js';

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
