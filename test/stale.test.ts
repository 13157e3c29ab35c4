import memjs from 'memjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NamespacedCache, type NamespacedCacheOptions } from '../src/index.js';
import { Opcode } from '../src/protocol.js';
import { errorLog, makeCache, memcachedServers, randomPrefix, rawClient } from './support/cache.js';
import { FaultProxy } from './support/proxy.js';
import { onDataKey, spyOnWrites } from './support/wire.js';

/** Moves this process's wall clock (what freshness is measured on) `ms` ahead. */
function advanceClock(ms: number): void {
  const real = Date.now.bind(Date);
  vi.spyOn(Date, 'now').mockImplementation(() => real() + ms);
}

afterEach(() => {
  vi.restoreAllMocks();
});

function spiedCache(options: Partial<NamespacedCacheOptions> = {}) {
  const client = rawClient();
  const log = errorLog();
  const cache = new NamespacedCache({
    client,
    prefix: randomPrefix(),
    onError: log.onError,
    ...options,
  } as NamespacedCacheOptions);
  return { cache, log, written: spyOnWrites(client) };
}

describe('freshness kept with the value', () => {
  it('makes a value past its fresh ttl (on the wall clock, not in whole seconds) a miss for get and getMulti', async () => {
    const cache = makeCache();
    await cache.set('product', 'guitar', 'v', { ttl: 2, staleWhileRevalidate: 30 });
    await cache.setMulti('product', { piano: 'p' }, { ttl: 2, staleIfError: 30 });
    advanceClock(1800);
    expect(await cache.get('product', 'guitar')).toBe('v');
    expect(await cache.getMulti('product', ['guitar', 'piano'])).toEqual(
      new Map([
        ['guitar', 'v'],
        ['piano', 'p'],
      ]),
    );
    vi.restoreAllMocks();
    advanceClock(2200);
    expect(await cache.get('product', 'guitar')).toBeUndefined();
    expect(await cache.getMulti('product', ['guitar', 'piano'])).toEqual(new Map());
  });

  it('keeps a value in memcached for ttl + the longest window, and jitters each ttl down', async () => {
    const { cache, written } = spiedCache();
    await cache.set('product', 'a', 1, { ttl: 60, staleWhileRevalidate: 30, staleIfError: 300 });
    await cache.set('product', 'b', 1, { ttl: 60 });
    const plain = written.requests().filter((request) => request.opcode === Opcode.Set && request.value.length > 8);
    expect(plain.map((request) => request.expiry)).toEqual([360, 60]);
    written.clear();
    const entries = Object.fromEntries(Array.from({ length: 50 }, (_, index) => [`k${index}`, index]));
    await cache.setMulti('product', entries, { ttl: 100, ttlJitter: 0.5 });
    const expiries = written
      .requests()
      .filter((request) => request.opcode === Opcode.Set && request.value.length > 8)
      .map((request) => request.expiry as number);
    expect(expiries).toHaveLength(50);
    expect(Math.min(...expiries)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...expiries)).toBeLessThanOrEqual(100);
    expect(new Set(expiries).size).toBeGreaterThan(5);
    await cache.close();
  });
});

describe('getOrSet with stale windows', () => {
  it('answers a failed load with a value inside staleIfError, and rejects after it', async () => {
    const { cache, log } = spiedCache();
    // Without the fleet lock: each failed load here would leave a failure marker (failure-markers.test.ts).
    const options = { ttl: 1, staleIfError: 10, lock: false };
    await cache.getOrSet('product', 'guitar', () => 'old', options);
    const failure = new Error('database down');
    const failing = vi.fn(async () => {
      throw failure;
    });
    advanceClock(5000);
    expect(await cache.getOrSet('product', 'guitar', failing, options)).toBe('old');
    expect(log.errors.map((error) => [error.code, error.operation, error.cause])).toEqual([
      ['E_LOADER', 'getOrSet', failure],
    ]);
    // A reader without the window does not get it.
    await expect(cache.getOrSet('product', 'guitar', failing, { ttl: 1, lock: false })).rejects.toBe(failure);
    vi.restoreAllMocks();
    advanceClock(11_500);
    await expect(cache.getOrSet('product', 'guitar', failing, options)).rejects.toBe(failure);
    expect(failing).toHaveBeenCalledTimes(3);
    await cache.close();
  });

  it('returns a value inside staleWhileRevalidate at once and refreshes it once in the background', async () => {
    const { cache } = spiedCache();
    const options = { ttl: 1, staleWhileRevalidate: 30 };
    await cache.getOrSet('product', 'guitar', () => 'old', options);
    advanceClock(1500);
    let release: (value: string) => void = () => {};
    const refresh = vi.fn(() => new Promise<string>((resolve) => (release = resolve)));
    const callers = await Promise.all(
      Array.from({ length: 10 }, () => cache.getOrSet('product', 'guitar', refresh, options)),
    );
    expect(callers).toEqual(Array.from({ length: 10 }, () => 'old'));
    await vi.waitFor(() => expect(refresh).toHaveBeenCalledTimes(1));
    release('new');
    await vi.waitFor(async () => expect(await cache.get('product', 'guitar')).toBe('new'));
    expect(refresh).toHaveBeenCalledTimes(1);
    await cache.close();
  });

  it('tells onError when a background refresh fails, and keeps serving the stale value', async () => {
    const { cache, log } = spiedCache();
    const options = { ttl: 1, staleWhileRevalidate: 30 };
    await cache.getOrSet('product', 'guitar', () => 'old', options);
    advanceClock(1500);
    const failure = new Error('database down');
    expect(await cache.getOrSet('product', 'guitar', () => Promise.reject(failure), options)).toBe('old');
    await log.until(1);
    expect(log.errors[0]).toMatchObject({ code: 'E_LOADER', operation: 'getOrSet', cause: failure });
    expect(await cache.getOrSet('product', 'guitar', () => 'unused', options)).toBe('old');
    await cache.close();
  });
});

describe('the loader and its fleet lock', () => {
  it('gives the loader a signal that close() aborts with E_CLOSED', async () => {
    const { cache } = spiedCache();
    let seen: AbortSignal | undefined;
    const loading = cache.getOrSet('product', 'guitar', ({ signal }) => {
      seen = signal;
      return new Promise<string>((resolve) => signal.addEventListener('abort', () => resolve('aborted')));
    });
    await vi.waitFor(() => expect(seen).toBeDefined());
    expect(seen?.aborted).toBe(false);
    await cache.close();
    expect(await loading).toBe('aborted');
    expect(seen?.reason).toMatchObject({ code: 'E_CLOSED' });
  });

  it('keeps the lock while a slow loader runs, renewing it by CAS, and never aborts that loader', async () => {
    const { cache, written } = spiedCache();
    let aborted = false;
    const value = await cache.getOrSet(
      'product',
      'guitar',
      async ({ signal }) => {
        signal.addEventListener('abort', () => {
          aborted = true;
        });
        await new Promise((resolve) => setTimeout(resolve, 1600)); // past lockTtl
        return 'slow but healthy';
      },
      { lockTtl: 1 },
    );
    expect([value, aborted]).toEqual(['slow but healthy', false]);
    // The lock of a missing key is an empty item at its data key, renewed with the CAS it has.
    const renewals = written
      .requests()
      .filter((request) => request.opcode === Opcode.Set && request.value.length === 0);
    expect(renewals.length).toBeGreaterThanOrEqual(2); // every half lockTtl
    for (const renewal of renewals) {
      expect(renewal.cas).not.toBe(0n);
      expect([renewal.expiry, onDataKey(renewal)]).toEqual([2, true]);
    }
    await cache.close();
  });

  it("takes a missing key's lock with an add of an empty item at its data key, which the value replaces", async () => {
    const { cache, written } = spiedCache();
    expect(await cache.getOrSet('product', 'guitar', () => 'loaded', { lockTtl: 7 })).toBe('loaded');
    expect(await cache.get('product', 'guitar')).toBe('loaded');
    await cache.close();
    const sent = written.requests().filter((request) => request.opcode !== Opcode.Get && !request.key.includes(':t:'));
    // One second more than lockTtl: memcached counts whole seconds (fleet-lock.ts). Nothing to release.
    expect(sent.map((request) => [request.opcode, onDataKey(request), request.value.length, request.expiry])).toEqual([
      [Opcode.Add, true, 0, 8],
      [Opcode.Set, true, expect.any(Number), 86_400],
    ]);
    expect(new Set(sent.map((request) => request.key)).size).toBe(1);
  });

  it('takes the lock of a stale value at a lock key, and releases it by CAS once the new value is stored', async () => {
    const { cache, written } = spiedCache();
    const options = { ttl: 1, staleIfError: 60, lockTtl: 7 } as const;
    await cache.getOrSet('product', 'guitar', () => 'old', options);
    await vi.waitFor(async () => expect(await cache.get('product', 'guitar')).toBeUndefined(), { timeout: 3000 });
    written.clear();
    expect(await cache.getOrSet('product', 'guitar', () => 'new', options)).toBe('new');
    await cache.close(); // the write and the release go on after the caller has its value
    const sent = written.requests().filter((request) => request.opcode !== Opcode.Get && !request.key.includes(':t:'));
    expect(
      sent.map((request) => [request.opcode, request.key.includes(':l:') ? 'lock' : 'data', request.expiry]),
    ).toEqual([
      [Opcode.Add, 'lock', 8],
      [Opcode.Set, 'data', expect.any(Number)],
      [Opcode.Delete, 'lock', undefined],
    ]);
    const release = sent.find((request) => request.opcode === Opcode.Delete);
    expect(release?.cas).not.toBe(0n); // the CAS the add returned
  });

  it('sends no lock with lock: false', async () => {
    const { cache, written } = spiedCache({ lock: false });
    await cache.getOrSet('product', 'guitar', () => 'loaded');
    expect(written.requests().some((request) => request.key.includes(':l:'))).toBe(false);
    await cache.close();
  });

  it('refuses invalid read-through options before anything is sent', async () => {
    const { cache, written } = spiedCache();
    const load = () => 1;
    for (const [options, kind] of [
      [{ lockTtl: 0 }, RangeError],
      [{ lockWait: -1 }, RangeError],
      [{ lock: 'yes' }, TypeError],
      [{ ttlJitter: 1 }, RangeError],
      [{ staleWhileRevalidate: -1 }, RangeError],
      [{ staleIfError: '10' }, TypeError],
      [{ locktTtl: 5 }, TypeError],
    ] as const) {
      await expect(cache.getOrSet('product', 'k', load, options as never)).rejects.toThrow(kind);
    }
    await expect(cache.set('product', 'k', 1, { lock: false } as never)).rejects.toThrow('Unknown option `lock`');
    expect(() => new NamespacedCache({ lockWait: 'long' } as never)).toThrow(TypeError);
    expect(written.requests()).toEqual([]);
    await cache.close();
  });
});

describe('waiting for another process to load', () => {
  it('sends nothing more once the cache closes, even while close() still waits, and returns the value unwritten', async () => {
    const prefix = randomPrefix();
    const holder = makeCache({ prefix });
    let releaseHolder: ((value: string) => void) | undefined;
    const holding = holder.getOrSet(
      'product',
      'guitar',
      () => new Promise<string>((resolve) => (releaseHolder = resolve)),
    );
    // The holder has the lock once its loader runs.
    await vi.waitFor(() => expect(releaseHolder).toBeDefined());
    const [host, port] = memcachedServers.split(':') as [string, string];
    const proxy = await FaultProxy.start({ host, port: Number(port) });
    // memjs' own socket timeout (0.5 s by default) must not fire during the slow replies below.
    const client = memjs.Client.create(proxy.servers, { timeout: 10, retries: 1, logger: { log() {} } });
    const log = errorLog();
    const waiter = new NamespacedCache({ client, prefix, onError: log.onError, lockWait: 30, timeout: 2 });
    const written = spyOnWrites(client);
    const waiting = waiter.getOrSet('product', 'guitar', () => 'loaded by the waiter');
    // The waiter lost the lock and is polling it.
    await vi.waitFor(() =>
      expect(
        written.requests().filter((request) => request.opcode === Opcode.Get && onDataKey(request)).length,
      ).toBeGreaterThan(3),
    );
    // Slow replies keep a get in flight, so close() waits ~0.5 s: a waiter still polling would be seen.
    proxy.delayReplies(500);
    const inFlight = waiter.get('product', 'other');
    const closing = waiter.close();
    // Requests queued before close() are written at the end of this tick: let them go first.
    await new Promise((resolve) => process.nextTick(resolve));
    written.clear();
    expect(await waiting).toBe('loaded by the waiter');
    await closing;
    expect(written.requests()).toEqual([]);
    expect(log.errors.map((error) => error.code)).toEqual(['E_CLOSED']);
    await inFlight;
    releaseHolder?.('loaded by the holder');
    expect(await holding).toBe('loaded by the holder');
    client.close();
  });
});
