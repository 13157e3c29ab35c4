import { describe, expect, it, vi } from 'vitest';
import { type CacheStats, NamespacedCache } from '../src/index.js';
import { errorLog, makeCache, randomPrefix, rawClient } from './support/cache.js';
import { contendedLoad } from './support/contention.js';
import { protocol, protocolOptions } from './support/protocol.js';
import { privateMemcached } from './support/servers.js';
import { overwriteWithForeign } from './support/wire.js';

const NO_ERRORS: CacheStats['errors'] = {
  E_TIMEOUT: 0,
  E_CONNECTION: 0,
  E_SERVER: 0,
  E_PROTOCOL: 0,
  E_VALUE_TOO_LARGE: 0,
  E_STALE_VALUE: 0,
  E_CORRUPT_VALUE: 0,
  E_TOKEN: 0,
  E_TAG: 0,
  E_LOADER: 0,
  E_LOCK_EXPIRED: 0,
  E_CLOSED: 0,
};

const ZERO: CacheStats = {
  // TLS runs speak meta over it.
  protocol: protocol === 'tls' ? 'meta' : protocol,
  hits: 0,
  misses: 0,
  stored: 0,
  notStored: 0,
  deletes: 0,
  namespaceClears: 0,
  tokenReads: 0,
  tokensCreated: 0,
  optimisticRereads: 0,
  loads: 0,
  staleServed: 0,
  lockWaits: 0,
  tagInvalidations: 0,
  tagReads: 0,
  tagsCreated: 0,
  staleAfterClear: 0,
  failureMarkers: 0,
  failuresSeen: 0,
  errors: NO_ERRORS,
};

/** memcached's default item size limit is 1 MB: this value is refused. */
const TOO_LARGE = 'x'.repeat(1_100_000);

describe('cache.stats()', () => {
  it('starts at zero', () => {
    expect(makeCache().stats()).toEqual(ZERO);
  });

  it('counts reads, writes, deletes and clears key by key, for the cache and its handles alike', async () => {
    const cache = makeCache();
    // One sequential call at a time, so that every call reads the token itself.
    await cache.set('product', 'guitar', 1); // token read, token created, stored
    await cache.get('product', 'guitar'); // hit
    await cache.get('product', 'bass'); // miss
    await cache.setMulti('product', { a: 1, b: 2, c: 3 }); // 3 stored
    await cache.getMulti('product', ['a', 'b', 'x', 'a']); // 2 hits, 1 miss (a counted once)
    await cache.deleteMulti('product', ['a', 'x']); // 1 delete
    await cache.delete('product', 'guitar'); // 1 delete
    await cache.delete('product', 'guitar'); // existed no more: not counted
    const handle = cache.namespace('product');
    await handle.get('b'); // hit
    await handle.clear(); // a clear
    await cache.deleteNamespace('product'); // another

    expect(cache.stats()).toEqual({
      ...ZERO,
      hits: 4,
      misses: 2,
      stored: 4,
      deletes: 2,
      namespaceClears: 2,
      tokenReads: 9, // every call but the clears reads the token once
      tokensCreated: 1,
    });
  });

  it('shares one token read among the reads written together', async () => {
    const cache = makeCache();
    await cache.set('product', 'guitar', 1);
    const before = cache.stats().tokenReads;
    await Promise.all(Array.from({ length: 50 }, () => cache.get('product', 'guitar')));
    const after = cache.stats();
    expect(after.hits).toBe(50);
    // Shared by the reads of each socket write (how many writes 50 reads take is the transport's call).
    expect(after.tokenReads - before).toBeGreaterThan(0);
    expect(after.tokenReads - before).toBeLessThan(10);
  });

  it('counts a read redone because another process cleared the namespace', async () => {
    const prefix = randomPrefix();
    const reader = makeCache({ prefix });
    const other = makeCache({ prefix });
    await reader.set('product', 'guitar', 1); // the reader now remembers the token
    await other.deleteNamespace('product');
    expect(await reader.get('product', 'guitar')).toBeUndefined();
    expect(reader.stats()).toMatchObject({ optimisticRereads: 1, misses: 1, namespaceClears: 0 });
    expect(other.stats()).toMatchObject({ optimisticRereads: 0, namespaceClears: 1 });
  });

  it('counts getOrSet loads once per loader call', async () => {
    const cache = makeCache();
    let calls = 0;
    const load = async () => {
      calls += 1;
      return 'loaded';
    };
    await Promise.all([cache.getOrSet('product', 'a', load), cache.getOrSet('product', 'a', load)]);
    await cache.getOrSet('product', 'a', load);
    await cache.namespace('product').getOrSet('b', load);
    expect(calls).toBe(2);
    expect(cache.stats().loads).toBe(2);
  });

  it('counts values not stored and errors by code', async () => {
    const log = errorLog();
    const cache = makeCache({ onError: log.onError });
    expect(await cache.set('product', 'huge', TOO_LARGE)).toBe(false);
    expect(await cache.setMulti('product', { a: 1, huge: TOO_LARGE, b: 2 })).toBe(false);
    expect(cache.stats()).toMatchObject({
      stored: 2,
      notStored: 2,
      errors: { ...NO_ERRORS, E_VALUE_TOO_LARGE: 2 },
    });
    expect(log.errors).toHaveLength(2);
  });

  it('counts errors failed open and errors thrown, and calls after close()', async () => {
    const server = await privateMemcached();
    const cache = new NamespacedCache({
      ...protocolOptions(),
      servers: server.servers,
      prefix: randomPrefix(),
      onError: () => {},
    });
    await cache.set('product', 'guitar', 1);
    await server.kill();
    await cache.get('product', 'guitar');
    await cache.getMulti('product', ['guitar', 'bass']);
    await cache.set('product', 'guitar', 2);
    await expect(cache.delete('product', 'guitar')).rejects.toMatchObject({ code: 'E_CONNECTION' });
    await expect(cache.deleteNamespace('product')).rejects.toMatchObject({ code: 'E_CONNECTION' });
    await cache.close();
    await expect(cache.get('product', 'guitar')).rejects.toMatchObject({ code: 'E_CLOSED' });

    expect(cache.stats()).toEqual({
      ...ZERO,
      stored: 1,
      notStored: 1,
      tokenReads: cache.stats().tokenReads,
      tokensCreated: 1,
      errors: { ...NO_ERRORS, E_CONNECTION: 5, E_CLOSED: 1 },
    });
  });

  it('counts a value it cannot decode as a miss and an E_CORRUPT_VALUE', async () => {
    const client = rawClient();
    const cache = new NamespacedCache({ client, prefix: randomPrefix(), onError: () => {} });
    await overwriteWithForeign(client, cache, 'k', 'written by someone else');
    expect(await cache.get('n', 'k')).toBeUndefined();
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 1, errors: { ...NO_ERRORS, E_CORRUPT_VALUE: 1 } });
    await cache.close();
  });

  it('with failOpen: false, counts each error once', async () => {
    const server = await privateMemcached();
    const cache = new NamespacedCache({
      ...protocolOptions(),
      servers: server.servers,
      prefix: randomPrefix(),
      failOpen: false,
    });
    await server.kill();
    await expect(cache.get('product', 'guitar')).rejects.toMatchObject({ code: 'E_CONNECTION' });
    expect(cache.stats().errors).toEqual({ ...NO_ERRORS, E_CONNECTION: 1 });
    await cache.close();
  });

  it('returns a snapshot: later calls do not change it', async () => {
    const cache = makeCache();
    const before = cache.stats();
    await cache.get('product', 'guitar');
    expect(before.misses).toBe(0);
    expect(cache.stats().misses).toBe(1);
    expect(cache.stats()).not.toBe(cache.stats());
  });
});

describe('getOrSet counters', () => {
  it('counts its read as a hit or miss, stale values served, and waits on another cache lock', async () => {
    const prefix = randomPrefix();
    const holder = makeCache({ prefix });
    const waiter = makeCache({ prefix });
    const options = { ttl: 1, staleWhileRevalidate: 30, staleIfError: 60 };
    expect(await contendedLoad(holder, waiter, 'a', options)).toEqual(['loaded', 'loaded']);
    expect(await waiter.getOrSet('product', 'a', () => 'unused', options)).toBe('loaded');
    expect(waiter.stats()).toMatchObject({ misses: 1, hits: 1, loads: 0, lockWaits: 1, staleServed: 0 });

    const real = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => real() + 5000);
    try {
      expect(await waiter.getOrSet('product', 'a', () => 'refreshed', options)).toBe('loaded'); // stale, refreshing
      await vi.waitFor(async () => expect(await waiter.get('product', 'a')).toBe('refreshed'));
      vi.spyOn(Date, 'now').mockImplementation(() => real() + 40_000); // past staleWhileRevalidate
      const failing = () => Promise.reject(new Error('down'));
      expect(await waiter.getOrSet('product', 'a', failing, options)).toBe('refreshed'); // staleIfError
    } finally {
      vi.restoreAllMocks();
    }
    expect(waiter.stats()).toMatchObject({ staleServed: 2, loads: 2, lockWaits: 1 });
    expect(waiter.stats().errors.E_LOADER).toBe(1);
    expect(holder.stats()).toMatchObject({ misses: 1, loads: 1, lockWaits: 0 });
  });
});
