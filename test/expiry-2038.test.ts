import { describe, expect, it } from 'vitest';
import { makeCache } from './support/cache.js';

/** Seconds from now until 2038-01-19 03:14:07 UTC, the latest expiry the text and meta protocols read. */
function secondsUntil2038(): number {
  return 0x7fff_ffff - Math.floor(Date.now() / 1000);
}

describe('TTLs that land after 2038', () => {
  it('are a RangeError before anything is sent, and the calls in flight on the connection succeed', async () => {
    const cache = makeCache();
    expect(await cache.set('n', 'warm', 1)).toBe(true);
    const tooLong = secondsUntil2038() + 3600;
    const inFlight = Promise.all([cache.set('n', 'a', 'A', { ttl: 60 }), cache.get('n', 'warm')]);
    await expect(cache.set('n', 'late', 'L', { ttl: tooLong })).rejects.toThrow(
      /Expected `ttl` to be at most \d+ seconds .*signed 32-bit Unix time/,
    );
    expect(() => makeCache({ ttl: tooLong })).toThrow(RangeError);
    expect(await inFlight).toEqual([true, 1]);
    // The longest TTL accepted is stored and read back on the same connection.
    expect(await cache.set('n', 'latest', 'Z', { ttl: secondsUntil2038() - 60 })).toBe(true);
    expect(await cache.getMulti('n', ['a', 'latest', 'warm'])).toEqual(
      new Map<string, unknown>([
        ['a', 'A'],
        ['latest', 'Z'],
        ['warm', 1],
      ]),
    );
  });
});
