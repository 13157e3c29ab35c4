import { describe, expect, it, vi } from 'vitest';
import { NamespacedCache } from '../src/index.js';
import { errorLog, makeCache, randomPrefix, rawClient } from './support/cache.js';
import { protocolOptions } from './support/protocol.js';
import { privateMemcached } from './support/servers.js';
import { spyOnWrites } from './support/wire.js';

describe('getOrSet', () => {
  it('loads on a miss, caches the value, and reads it back afterwards', async () => {
    const cache = makeCache();
    const loader = vi.fn(async () => ({ price: 5000 }));
    expect(await cache.getOrSet('product', 'guitar', loader)).toEqual({ price: 5000 });
    expect(await cache.getOrSet('product', 'guitar', loader)).toEqual({ price: 5000 });
    expect(await cache.get('product', 'guitar')).toEqual({ price: 5000 });
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('never serves a value loaded while another client cleared the namespace (I2)', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    const other = makeCache({ prefix });
    await cache.set('product', 'warm-up', 1); // the token is known: the read is optimistic
    const loaded = await cache.getOrSet('product', 'guitar', async () => {
      // The source changes and the namespace is cleared while this loader runs.
      await other.deleteNamespace('product');
      return 'loaded before the clear';
    });
    expect(loaded).toBe('loaded before the clear');
    expect(await cache.get('product', 'guitar')).toBeUndefined();
    expect(await other.get('product', 'guitar')).toBeUndefined();
    expect(await cache.getOrSet('product', 'guitar', () => 'reloaded')).toBe('reloaded');
    expect(await other.get('product', 'guitar')).toBe('reloaded');
  });

  it('shares one loader call among concurrent callers of one key (single-flight)', async () => {
    const cache = makeCache();
    let release: (value: string) => void = () => {};
    const loader = vi.fn(() => new Promise<string>((resolve) => (release = resolve)));
    const callers = Array.from({ length: 50 }, () => cache.getOrSet('product', 'guitar', loader));
    await vi.waitFor(() => expect(loader).toHaveBeenCalled());
    release('once');
    expect(await Promise.all(callers)).toEqual(Array.from({ length: 50 }, () => 'once'));
    expect(loader).toHaveBeenCalledTimes(1);
    // Other keys and namespaces get loaders of their own.
    const other = vi.fn(() => 'other');
    await Promise.all([cache.getOrSet('product', 'piano', other), cache.getOrSet('category', 'guitar', other)]);
    expect(other).toHaveBeenCalledTimes(2);
  });

  it('does not let a caller that started after a clear join a load that started before it', async () => {
    const cache = makeCache();
    await cache.set('product', 'warm-up', 1);
    let release: (value: string) => void = () => {};
    const slow = vi.fn(() => new Promise<string>((resolve) => (release = resolve)));
    const before = cache.getOrSet('product', 'guitar', slow);
    await vi.waitFor(() => expect(slow).toHaveBeenCalled());
    await cache.deleteNamespace('product');
    const after = cache.getOrSet('product', 'guitar', () => 'loaded after the clear');
    release('loaded before the clear');
    expect(await before).toBe('loaded before the clear');
    expect(await after).toBe('loaded after the clear');
    expect(await cache.get('product', 'guitar')).toBe('loaded after the clear');
  });

  it('rejects every caller with the loader error and caches nothing', async () => {
    const cache = makeCache();
    const failure = new Error('database down');
    const loader = vi.fn(async () => {
      throw failure;
    });
    const results = await Promise.allSettled([
      cache.getOrSet('product', 'guitar', loader),
      cache.getOrSet('product', 'guitar', loader),
    ]);
    expect(results).toEqual([
      { status: 'rejected', reason: failure },
      { status: 'rejected', reason: failure },
    ]);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(await cache.get('product', 'guitar')).toBeUndefined();
    // A synchronous throw is a rejection too, and the next call loads again — without the fleet
    // lock here: its failure marker (failure-markers.test.ts) makes callers fail fast for a second or two.
    await expect(
      cache.getOrSet(
        'product',
        'guitar',
        () => {
          throw failure;
        },
        { lock: false },
      ),
    ).rejects.toBe(failure);
    expect(await cache.getOrSet('product', 'guitar', () => 'recovered', { lock: false })).toBe('recovered');
  });

  it('returns undefined from a loader without caching it', async () => {
    const cache = makeCache();
    const loader = vi.fn(() => undefined);
    expect(await cache.getOrSet('product', 'missing', loader)).toBeUndefined();
    expect(await cache.getOrSet('product', 'missing', loader)).toBeUndefined();
    expect(loader).toHaveBeenCalledTimes(2);
  });

  it('returns the loaded value when the cache is down, even with failOpen: false, and tells onError', async () => {
    const server = await privateMemcached();
    for (const failOpen of [true, false]) {
      const log = errorLog();
      const cache = new NamespacedCache({
        ...protocolOptions(),
        servers: server.servers,
        prefix: randomPrefix(),
        failOpen,
        timeout: 0.2,
        onError: log.onError,
      });
      await cache.set('warm', 'k', 1);
      await server.pause();
      expect(await cache.getOrSet('product', 'guitar', () => 'from the database')).toBe('from the database');
      // A value that could not be cached is refused all the same.
      await expect(cache.getOrSet('product', 'map', () => new Map() as never)).rejects.toThrow(TypeError);
      server.resume();
      expect(log.errors.map((error) => [error.code, error.operation])).toEqual([
        ['E_TIMEOUT', 'getOrSet'],
        ['E_TIMEOUT', 'getOrSet'],
      ]);
      await cache.close();
    }
  });

  it('returns a value loaded after close() without sending anything, and says so to onError', async () => {
    const client = rawClient();
    const log = errorLog();
    const cache = new NamespacedCache({ client, prefix: randomPrefix(), onError: log.onError });
    let release: (value: string) => void = () => {};
    const loader = vi.fn(() => new Promise<string>((resolve) => (release = resolve)));
    const loading = cache.getOrSet('product', 'guitar', loader);
    await vi.waitFor(() => expect(loader).toHaveBeenCalled());
    await cache.close();
    const written = spyOnWrites(client);
    release('late');
    expect(await loading).toBe('late');
    expect(written.requests()).toEqual([]);
    expect(log.errors.map((error) => [error.code, error.operation])).toEqual([['E_CLOSED', 'getOrSet']]);
  });

  it('refuses a loader that is not a function, and a loaded value that cannot be stored', async () => {
    const cache = makeCache();
    await expect(cache.getOrSet('product', 'guitar', 'value' as never)).rejects.toThrow(
      'Expected `loader` to be a function returning the value, got "value"',
    );
    await expect(cache.getOrSet('product', 'guitar', () => new Map() as never)).rejects.toThrow(TypeError);
    await expect(cache.getOrSet('product', 'guitar', () => 1, { ttl: -1 })).rejects.toThrow(RangeError);
  });

  it('writes the loaded value with the ttl given', async () => {
    const cache = makeCache({ ttl: 1 });
    await cache.getOrSet('product', 'guitar', () => 'kept', { ttl: 0 });
    await cache.set('product', 'short', 'gone soon');
    await vi.waitFor(async () => expect(await cache.get('product', 'short')).toBeUndefined(), {
      timeout: 5000,
      interval: 100,
    });
    expect(await cache.get('product', 'guitar')).toBe('kept');
  });
});
