import memjs from 'memjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NamespacedCache } from '../src/index.js';
import { Opcode } from '../src/protocol.js';
import { errorLog, makeCache, memcachedServers, randomPrefix, rawClient } from './support/cache.js';
import { heldLoad } from './support/contention.js';
import { protocolOptions } from './support/protocol.js';
import { FaultProxy } from './support/proxy.js';
import { privateMemcached } from './support/servers.js';
import { onDataKey, spyOnWrites } from './support/wire.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** Moves this process's wall clock `ms` ahead (freshness is measured on it). */
function advanceClock(ms: number): void {
  const real = Date.now.bind(Date);
  vi.spyOn(Date, 'now').mockImplementation(() => real() + ms);
}

describe('nothing from before a clear (I2, I4), in edge cases', () => {
  it('a waiter never returns a value loaded across a clear that resolved while it waited', async () => {
    const prefix = randomPrefix();
    const [holder, waiter, clearer] = [makeCache({ prefix }), makeCache({ prefix }), makeCache({ prefix })];
    const held = await heldLoad(holder, 'guitar');
    const waiting = waiter.getOrSet('product', 'guitar', () => 'loaded by the waiter');
    await vi.waitFor(() => expect(waiter.stats().lockWaits).toBe(1));
    await clearer.deleteNamespace('product');
    held.release('loaded before the clear');
    // The holder's own caller gets its value (I2); nobody else does.
    expect(await held.holding).toBe('loaded before the clear');
    expect(await waiting).toBe('loaded by the waiter');
    expect(await clearer.get('product', 'guitar')).toBeUndefined();
  });

  it('staleIfError never answers with a value from before a clear that resolved during the load', async () => {
    const prefix = randomPrefix();
    const [cache, clearer] = [makeCache({ prefix }), makeCache({ prefix })];
    const options = { ttl: 1, staleIfError: 600 };
    await cache.set('product', 'guitar', 'old', options);
    advanceClock(1500);
    const held = await heldLoad(cache, 'guitar', options);
    await clearer.deleteNamespace('product');
    const failure = new Error('database down');
    held.fail(failure);
    await expect(held.holding).rejects.toBe(failure);
  });
});

describe('the lock against memcached whole-second clock', () => {
  it('lives one second past lockTtl in memcached, so no second load starts while the first is wanted', async () => {
    const { cache: spied, written } = (() => {
      const client = rawClient();
      const cache = new NamespacedCache({ client, prefix: randomPrefix() });
      return { cache, written: spyOnWrites(client) };
    })();
    await spied.getOrSet('product', 'k', () => 1, { lockTtl: 3 });
    expect(
      written.requests().find((request) => request.opcode === Opcode.Add && onDataKey(request))?.expiry, // a missing key's stub
    ).toBe(4);
    await spied.close();

    // An item sent with expiry N lives between N - 1 and N seconds: without the extra second, a
    // 700 ms loader under lockTtl 1 lost its lock before it finished in most trials.
    const prefix = randomPrefix();
    for (let trial = 0; trial < 3; trial += 1) {
      const [holder, other] = [makeCache({ prefix }), makeCache({ prefix })];
      let holderRunning = false;
      let holderAborted = false;
      let overlapped = false;
      const holding = holder.getOrSet(
        'product',
        `k${trial}`,
        async ({ signal }) => {
          holderRunning = true;
          signal.addEventListener('abort', () => {
            holderAborted = true;
          });
          await new Promise((resolve) => setTimeout(resolve, 700));
          holderRunning = false;
          return 'holder';
        },
        { lockTtl: 1 },
      );
      await vi.waitFor(() => expect(holderRunning).toBe(true));
      const waiting = other.getOrSet(
        'product',
        `k${trial}`,
        () => {
          overlapped ||= holderRunning && !holderAborted;
          return 'other';
        },
        { lockTtl: 1 },
      );
      expect(await Promise.all([holding, waiting])).toEqual(['holder', 'holder']);
      expect(overlapped).toBe(false);
    }
  });
});

describe('a slow holder', () => {
  it('keeps its lock past lockTtl: the others wait for its value instead of loading again', async () => {
    const prefix = randomPrefix();
    const [holder, other] = [makeCache({ prefix }), makeCache({ prefix })];
    let holderRunning = false;
    const holding = holder.getOrSet(
      'product',
      'slow',
      async () => {
        holderRunning = true;
        await new Promise((resolve) => setTimeout(resolve, 1600));
        return 'holder';
      },
      { lockTtl: 1 },
    );
    await vi.waitFor(() => expect(holderRunning).toBe(true));
    const otherLoader = vi.fn(() => 'other');
    expect(await Promise.all([holding, other.getOrSet('product', 'slow', otherLoader, { lockTtl: 1 })])).toEqual([
      'holder',
      'holder',
    ]);
    expect(otherLoader).not.toHaveBeenCalled();
  });
});

describe('limits and failures', () => {
  it('refuses a ttl whose stale window would pass the signed 32-bit expiry (2038), before anything is sent', async () => {
    const client = rawClient();
    const cache = new NamespacedCache({ client, prefix: randomPrefix() });
    const written = spyOnWrites(client);
    const ttl = 0x7fff_ffff - Math.floor(Date.now() / 1000) - 10;
    await expect(cache.set('product', 'k', 'v', { ttl, staleIfError: 60 })).rejects.toThrow(RangeError);
    await expect(cache.getOrSet('product', 'k', () => 'v', { ttl, staleWhileRevalidate: 60 })).rejects.toThrow(
      RangeError,
    );
    expect(() => new NamespacedCache({ ttl, staleIfError: 60 })).toThrow(RangeError);
    expect(written.requests()).toEqual([]);
    await cache.close();
  });

  it('returns the loaded value within one timeout (its write) when memcached freezes during the load', async () => {
    const server = await privateMemcached();
    const log = errorLog();
    const cache = new NamespacedCache({
      ...protocolOptions(),
      servers: server.servers,
      prefix: randomPrefix(),
      timeout: 0.5,
      onError: log.onError,
    });
    await cache.get('product', 'warm');
    let loadedAt = 0;
    const value = await cache.getOrSet('product', 'k', async () => {
      await server.pause();
      loadedAt = performance.now();
      return 'v';
    });
    // The write waits for its deadline (0.5 s); the lock release is not waited for.
    expect(value).toBe('v');
    expect(performance.now() - loadedAt).toBeLessThan(500 + 250);
    expect(log.errors.map((error) => error.code)).toContain('E_TIMEOUT');
    server.resume();
    await cache.close();
  });
});

describe('after close()', () => {
  it('a background refresh whose lock is won after close() releases it and starts nothing', async () => {
    const [host, port] = memcachedServers.split(':') as [string, string];
    const proxy = await FaultProxy.start({ host, port: Number(port) });
    const client = memjs.Client.create(proxy.servers, { timeout: 10, retries: 1, logger: { log() {} } });
    const cache = new NamespacedCache({ client, prefix: randomPrefix() });
    const options = { ttl: 1, staleWhileRevalidate: 600 };
    await cache.set('product', 'k', 'old', options);
    advanceClock(1500);
    const loader = vi.fn(() => 'new');
    proxy.delayReplies(200); // the refresh's add is answered after close()
    const written = spyOnWrites(client);
    expect(await cache.getOrSet('product', 'k', loader, options)).toBe('old');
    await cache.close();
    expect(loader).not.toHaveBeenCalled();
    const lockRequests = written.requests().filter((request) => request.key.includes(':l:'));
    expect(lockRequests.map((request) => request.opcode)).toEqual([Opcode.Add, Opcode.Delete]);
    expect(written.requests().some((request) => !request.key.includes(':l:') && request.opcode !== Opcode.Get)).toBe(
      false,
    );
    client.close();
  });
});

describe('counters of the fleet lock', () => {
  it('counts lockWaits only when a caller polled', async () => {
    const prefix = randomPrefix();
    const [holder, other] = [makeCache({ prefix }), makeCache({ prefix })];
    const held = await heldLoad(holder, 'k');
    // lockWait 0: the lock is held, and the caller loads at once without waiting.
    expect(await other.getOrSet('product', 'k', () => 'not waiting', { lockWait: 0 })).toBe('not waiting');
    expect(other.stats().lockWaits).toBe(0);
    held.release('held');
    await held.holding;
  });
});

describe('memcached failing under a waiter', () => {
  it('a waiter whose memcached freezes loads after one timeout and does not wait for its write', async () => {
    const server = await privateMemcached();
    const prefix = randomPrefix();
    const log = errorLog();
    const holder = new NamespacedCache({ ...protocolOptions(), servers: server.servers, prefix, timeout: 0.5 });
    const waiter = new NamespacedCache({
      ...protocolOptions(),
      servers: server.servers,
      prefix,
      timeout: 0.5,
      onError: log.onError,
    });
    await waiter.get('product', 'warm');
    let started = false;
    const holding = holder.getOrSet('product', 'k', () => {
      started = true;
      return new Promise<string>(() => {});
    });
    holding.catch(() => {});
    await vi.waitFor(() => expect(started).toBe(true));
    const waiting = waiter.getOrSet('product', 'k', () => 'loaded by the waiter');
    await vi.waitFor(() => expect(waiter.stats().lockWaits).toBe(1));
    await server.pause();
    const pausedAt = performance.now();
    expect(await waiting).toBe('loaded by the waiter');
    // One poll times out (0.5 s), then it loads; the write to the frozen server is not waited for.
    expect(performance.now() - pausedAt).toBeLessThan(500 + 250);
    server.resume();
    await Promise.all([holder.close(), waiter.close()]);
  });
});

describe('review findings', () => {
  it('close() releases the fleet lock of a loader still running, so another process need not wait for it', async () => {
    const prefix = randomPrefix();
    const [closing, other] = [makeCache({ prefix }), makeCache({ prefix, lockWait: 30 })];
    const held = await heldLoad(closing, 'guitar');
    await closing.close();
    // lockWait 30 s and lockTtl 5 s: only a released lock lets this load at once.
    const started = performance.now();
    expect(await other.getOrSet('product', 'guitar', () => 'loaded by the other')).toBe('loaded by the other');
    expect(performance.now() - started).toBeLessThan(1000);
    held.release('late');
    expect(await held.holding).toBe('late');
  });

  it('a caller joining a load in this process waits lockWait + lockTtl at most when that loader never settles', async () => {
    const cache = makeCache({ lockWait: 1, lockTtl: 1 });
    const held = await heldLoad(cache, 'guitar'); // never released: a loader that hangs
    held.holding.catch(() => {});
    const started = performance.now();
    expect(await cache.getOrSet('product', 'guitar', () => 'loaded by the joiner')).toBe('loaded by the joiner');
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(1900);
    expect(waited).toBeLessThan(2000 + 1000);
  });

  it('shares one load among this process callers while memcached is unreachable', async () => {
    const server = await privateMemcached();
    const cache = new NamespacedCache({
      ...protocolOptions(),
      servers: server.servers,
      prefix: randomPrefix(),
      timeout: 0.3,
    });
    await server.kill();
    const loader = vi.fn(async () => 'from the database');
    const values = await Promise.all(Array.from({ length: 20 }, () => cache.getOrSet('product', 'guitar', loader)));
    expect(values).toEqual(Array.from({ length: 20 }, () => 'from the database'));
    expect(loader).toHaveBeenCalledTimes(1);
    await cache.close();
  });

  it('refreshes a stale value without the fleet lock when lock is false', async () => {
    const client = rawClient();
    const cache = new NamespacedCache({ client, prefix: randomPrefix(), lock: false });
    const options = { ttl: 1, staleWhileRevalidate: 60 };
    await cache.set('product', 'k', 'old', options);
    advanceClock(1500);
    const written = spyOnWrites(client);
    expect(await cache.getOrSet('product', 'k', () => 'new', options)).toBe('old');
    await vi.waitFor(async () => expect(await cache.get('product', 'k')).toBe('new'));
    expect(written.requests().some((request) => request.key.includes(':l:'))).toBe(false);
    await cache.close();
  });
});
