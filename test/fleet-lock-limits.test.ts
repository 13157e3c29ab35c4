import { setTimeout as delay } from 'node:timers/promises';
import memjs from 'memjs';
import { describe, expect, it, vi } from 'vitest';
import { NamespacedCache } from '../src/index.js';
import { Opcode } from '../src/protocol.js';
import { errorLog, makeCache, memcachedServers, randomPrefix, rawClient } from './support/cache.js';
import { heldLoad } from './support/contention.js';
import { FaultProxy } from './support/proxy.js';
import { fleetLockOf, spyOnWrites } from './support/wire.js';

/** The key of the first fleet lock a watched client tried to take: a missing key's stub, at the data key. */
function lockKeyOf(written: ReturnType<typeof spyOnWrites>): string | undefined {
  return fleetLockOf(written.requests());
}

describe('a lost fleet lock', () => {
  it("does not fail the caller: the loader's value is returned, and the loss goes to onError", async () => {
    const client = rawClient();
    const log = errorLog();
    const cache = new NamespacedCache({ client, prefix: randomPrefix(), lockTtl: 1, onError: log.onError });
    const written = spyOnWrites(client);
    const raw = rawClient();
    let aborted = false;
    const value = await cache.getOrSet('product', 'guitar', async ({ signal }) => {
      // The lock is evicted (memory pressure) while the loader runs; the next renewal finds it gone.
      await raw.delete(lockKeyOf(written) ?? '');
      await new Promise<void>((resolve) => {
        signal.addEventListener('abort', () => resolve());
        void log.until(1).then(resolve);
      });
      aborted = signal.aborted;
      signal.throwIfAborted(); // a loader that honours its signal
      return 'loaded';
    });
    expect(value).toBe('loaded');
    expect(aborted).toBe(false);
    expect(log.errors.map((error) => error.code)).toEqual(['E_LOCK_EXPIRED']);
    expect(cache.stats().errors.E_LOCK_EXPIRED).toBe(1);
    expect(await cache.get('product', 'guitar')).toBe('loaded');
    await cache.close();
  });
});

describe('a loader that never settles', () => {
  it('holds its lock for lockWait at most, then releases it: later callers take it instead of waiting', async () => {
    const prefix = randomPrefix();
    const client = rawClient();
    const log = errorLog();
    const holder = new NamespacedCache({ client, prefix, lockTtl: 1, lockWait: 1, onError: log.onError });
    const written = spyOnWrites(client);
    const held = await heldLoad(holder, 'guitar'); // never settled
    held.holding.catch(() => {});
    await log.until(1);
    expect(log.errors[0]?.code).toBe('E_LOCK_EXPIRED');
    const raw = rawClient();
    // The stub is an empty item while held; released, the key is gone.
    await vi.waitFor(async () => expect((await raw.get(lockKeyOf(written) ?? '')).value).toBeNull());

    const later = makeCache({ prefix, lockWait: 30 });
    expect(await later.getOrSet('product', 'guitar', () => 'loaded later')).toBe('loaded later');
    expect(later.stats().lockWaits).toBe(0);
    held.release('too late');
    await holder.close();
  });
});

describe('close() while the lock is being taken', () => {
  it('releases the lock once its add answers, so another process need not wait for it', async () => {
    const [host, port] = memcachedServers.split(':') as [string, string];
    const proxy = await FaultProxy.start({ host, port: Number(port) });
    const client = memjs.Client.create(proxy.servers, { timeout: 10, retries: 1, logger: { log() {} } });
    const prefix = randomPrefix();
    const closing = new NamespacedCache({ client, prefix });
    await closing.get('product', 'warm'); // the token exists: the getOrSet below goes straight to its lock
    const written = spyOnWrites(client);
    proxy.delayReplies(200); // the add is answered after close()
    const loading = closing.getOrSet('product', 'guitar', () => new Promise<string>(() => {}));
    await vi.waitFor(() => expect(lockKeyOf(written)).toBeDefined(), { interval: 5 });
    await closing.close();
    loading.catch(() => {});
    const lockRequests = written
      .requests()
      .filter((request) => request.key === lockKeyOf(written) && request.opcode !== Opcode.Get);
    expect(lockRequests.map((request) => request.opcode)).toEqual([Opcode.Add, Opcode.Delete]);

    const other = makeCache({ prefix, lockWait: 30 });
    expect(await other.getOrSet('product', 'guitar', () => 'loaded by the other')).toBe('loaded by the other');
    expect(other.stats().lockWaits).toBe(0);
    client.close();
    await proxy.stop();
  });
});

describe('lockWait + lockTtl past what a timer holds', () => {
  it('keeps callers of a key in this process on one load (the timer is clamped, not fired after 1 ms)', async () => {
    const cache = makeCache({ lockWait: 2_000_000, lockTtl: 2_000_000 });
    const held = await heldLoad(cache, 'guitar');
    const loader = vi.fn(() => 'loaded again');
    const joiners = Array.from({ length: 4 }, () => cache.getOrSet('product', 'guitar', loader));
    await delay(50); // an overflowed timer fires after 1 ms
    held.release('loaded once');
    expect(await Promise.all([held.holding, ...joiners])).toEqual(Array.from({ length: 5 }, () => 'loaded once'));
    expect(loader).not.toHaveBeenCalled();
  });
});
