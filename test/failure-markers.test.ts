import { afterEach, describe, expect, it, vi } from 'vitest';
import { CacheError } from '../src/index.js';
import { makeCache, randomPrefix } from './support/cache.js';

class DatabaseDown extends Error {
  override name = 'DatabaseDown';
}

/** A promise and the function that resolves it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('failure markers', () => {
  it('a waiter that holds a value inside its staleIfError window serves it when it sees the marker', async () => {
    const prefix = randomPrefix();
    const holder = makeCache({ prefix, lockWait: 15 });
    const waiter = makeCache({ prefix, lockWait: 15 });
    const options = { ttl: 1, staleIfError: 60 };
    await holder.getOrSet('ns', 'k', () => 'old', options);
    const real = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => real() + 2000); // past its ttl, inside the window
    const started = gate();
    const fail = gate();
    const holding = holder.getOrSet(
      'ns',
      'k',
      async () => {
        started.open();
        await fail.promise;
        throw new DatabaseDown('down');
      },
      options,
    );
    await started.promise;
    let waiterLoads = 0;
    const waiting = waiter.getOrSet(
      'ns',
      'k',
      () => {
        waiterLoads += 1;
        return 'never';
      },
      options,
    );
    await expect.poll(() => waiter.stats().lockWaits).toBe(1);
    fail.open();
    expect(await holding).toBe('old'); // the holder's own stale-if-error answer
    expect(await waiting).toBe('old');
    expect(waiterLoads).toBe(0);
    expect(waiter.stats().failuresSeen).toBe(1);
  });

  it('a failing holder leaves a marker: waiters in other caches reject at once with its error, without loading', async () => {
    const prefix = randomPrefix();
    const holder = makeCache({ prefix, lockWait: 15 });
    const waiters = [makeCache({ prefix, lockWait: 15 }), makeCache({ prefix, lockWait: 15 })];
    const started = gate();
    const fail = gate();
    const holding = holder.getOrSet('ns', 'k', async () => {
      started.open();
      await fail.promise;
      throw new DatabaseDown('connection refused');
    });
    await started.promise;
    let waiterLoads = 0;
    const waiting = waiters.map((cache) =>
      cache.getOrSet('ns', 'k', () => {
        waiterLoads += 1;
        return 'loaded by a waiter';
      }),
    );
    // Both waiters are polling the holder's lock before the loader fails.
    await expect.poll(() => waiters.every((cache) => cache.stats().lockWaits === 1)).toBe(true);
    fail.open();
    await expect(holding).rejects.toBeInstanceOf(DatabaseDown);
    for (const result of await Promise.allSettled(waiting)) {
      expect(result.status).toBe('rejected');
      const error = (result as PromiseRejectedResult).reason as CacheError;
      expect(error).toBeInstanceOf(CacheError);
      expect(error.code).toBe('E_LOADER');
      expect((error.cause as Error).name).toBe('DatabaseDown');
      expect((error.cause as Error).message).toBe('connection refused');
    }
    expect(waiterLoads).toBe(0);
    expect(holder.stats().failureMarkers).toBe(1);
    expect(waiters.map((cache) => cache.stats().failuresSeen)).toEqual([1, 1]);
  });

  it('a caller that finds the marker fails at once; once it expires the next caller loads again', async () => {
    const prefix = randomPrefix();
    const first = makeCache({ prefix });
    const second = makeCache({ prefix });
    await expect(
      first.getOrSet('ns', 'k', () => {
        throw new DatabaseDown('down');
      }),
    ).rejects.toBeInstanceOf(DatabaseDown);
    let loads = 0;
    await expect(
      second.getOrSet('ns', 'k', () => {
        loads += 1;
        return 'v';
      }),
    ).rejects.toMatchObject({ code: 'E_LOADER' });
    expect(loads).toBe(0);
    // memcached drops the marker within 2 s: then the next caller loads.
    await expect
      .poll(() => second.getOrSet('ns', 'k', () => 'v').catch(() => 'marker'), { timeout: 5000, interval: 200 })
      .toBe('v');
  });

  it('a loader aborted because the cache closed leaves no marker', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    const started = gate();
    const loading = cache.getOrSet('ns', 'k', async ({ signal }) => {
      started.open();
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      return 'never';
    });
    const outcome = loading.catch((error: unknown) => error);
    await started.promise;
    await cache.close();
    expect(await outcome).toMatchObject({ code: 'E_CLOSED' });
    expect(cache.stats().failureMarkers).toBe(0);
    const other = makeCache({ prefix });
    expect(await other.getOrSet('ns', 'k', () => 'loaded')).toBe('loaded');
  });
});

describe('failure markers for loaders that throw hostile values', () => {
  const hostile: [string, () => unknown][] = [
    ['a null-prototype object', () => Object.create(null)],
    [
      'an Error whose message getter throws',
      () =>
        Object.defineProperty(new Error('x'), 'message', {
          get() {
            throw new Error('getter');
          },
        }),
    ],
    ['an Error whose name is a Symbol', () => Object.assign(new Error('x'), { name: Symbol('n') })],
  ];
  for (const [what, make] of hostile) {
    it(`a loader that throws ${what}: the caller gets exactly that, and the lock becomes a marker`, async () => {
      const cache = makeCache({ lockWait: 5 });
      const thrown = make();
      const caught = await cache
        .getOrSet('ns', 'k', () => {
          throw thrown;
        })
        .catch((error: unknown) => error);
      expect(caught).toBe(thrown);
      await cache.close(); // waits for the marker's write
      expect(cache.stats().failureMarkers).toBe(1);
    });
  }
});
