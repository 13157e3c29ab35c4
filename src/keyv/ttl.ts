/**
 * Keyv's TTL (milliseconds) as the cache's (whole seconds): `undefined` stays `undefined` (the
 * cache's `ttl`), `0` stays `0` (never expires), and anything else is `ceil(ms / 1000) + 1`.
 *
 * memcached's clock ticks once a second and an item expires when the clock reaches its expiry, so
 * an item set just before a tick with a TTL of n seconds lives only n - 1 seconds and a bit: with
 * `ceil` alone a 500 ms TTL lived anywhere from a few ms to 1 s. The extra second makes memcached
 * keep every value at least as long as asked. (Rounding down would be worse: a sub-second TTL
 * would become `0`, "never expires" — @keyv/memcache's bug.) The late side stays exact: Keyv keeps
 * its own `expires` (ms) inside the value and treats a value past it as a miss.
 *
 * @throws RangeError for a negative or non-finite TTL, which `Math.ceil` would turn into `-0`
 *   (never expires) or `NaN`.
 */
export function keyvTtl(ttl: number | undefined): number | undefined {
  if (ttl === undefined) return undefined;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
    throw new RangeError(`Expected \`ttl\` to be a non-negative number of milliseconds, got ${String(ttl)}`);
  }
  return ttl === 0 ? 0 : Math.ceil(ttl / 1000) + 1;
}
