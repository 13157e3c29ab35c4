/**
 * Keyv's TTL (milliseconds) as the cache's (whole seconds): `undefined` stays `undefined` (the
 * cache's `ttl`), `0` stays `0` (never expires), and anything else is rounded *up*. memcached counts
 * whole seconds, and a sub-second TTL rounded down would be `0`, which memcached reads as "never
 * expires" — @keyv/memcache's bug. Keyv keeps its own exact `expires` inside the value, so a value
 * kept up to a second longer by memcached still reads as expired through Keyv.
 *
 * @throws RangeError for a negative or non-finite TTL, which `Math.ceil` would turn into `-0`
 *   (never expires) or `NaN`.
 */
export function keyvTtl(ttl: number | undefined): number | undefined {
  if (ttl === undefined) return undefined;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
    throw new RangeError(`Expected \`ttl\` to be a non-negative number of milliseconds, got ${String(ttl)}`);
  }
  return Math.ceil(ttl / 1000);
}
