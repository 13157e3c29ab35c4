import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CacheError } from '../src/index.js';
import { TagRecords } from '../src/tags/tag-records.js';
import { cacheSpeaking, memcachedServers, randomPrefix } from './support/cache.js';
import { heldLoad } from './support/contention.js';
import { FaultProxy } from './support/proxy.js';

// Races around a missing key's stub (its fleet lock at the data key): writes of other callers
// over it, the holder's own value landing beside a renewal, tags invalidated during the load.
// Found by an adversarial review of the stub lock; each failed before its fix.

type Protocol = 'meta' | 'text' | 'binary';
const PROTOCOLS: readonly Protocol[] = ['meta', 'text', 'binary'];

const proxies: FaultProxy[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
});

/** A proxy to the shared memcached whose replies can be delayed. */
async function slowPath(): Promise<FaultProxy> {
  const proxy = await FaultProxy.start({ host: '127.0.0.1', port: Number(memcachedServers.split(':')[1]) });
  proxies.push(proxy);
  return proxy;
}

/** Resolves once this process writes a text `add` of an empty item (a stub being taken). */
function stubAddWritten(): Promise<void> {
  return new Promise((resolve) => {
    const write = Socket.prototype.write;
    vi.spyOn(Socket.prototype, 'write').mockImplementation(function (this: Socket, ...args: unknown[]) {
      if (/^add \S+ 0 \d+ 0\r\n/m.test(Buffer.from(args[0] as Uint8Array).toString('latin1'))) resolve();
      return (write as (...rest: unknown[]) => boolean).apply(this, args);
    });
  });
}

describe('a value set between a text add and the gets that reads its CAS', () => {
  const loaders: Readonly<Record<string, () => Promise<undefined>>> = {
    'returns nothing': async () => undefined,
    fails: async () => {
      throw new Error('source down');
    },
  };
  it.each(Object.keys(loaders))(
    'is neither deleted nor marked failed when the loader %s: the caller gets it',
    async (name) => {
      const proxy = await slowPath();
      const prefix = randomPrefix();
      const text = cacheSpeaking('text', { servers: proxy.servers, prefix });
      const meta = cacheSpeaking('meta', { prefix });
      await text.get('product', 'warm');
      proxy.delayReplies(150);
      const added = stubAddWritten();
      const load = vi.fn(loaders[name] as () => Promise<undefined>);
      const loading = text.getOrSet('product', 'guitar', load);
      await added;
      // The add is in memcached; its reply, and the gets after it, are not yet back.
      expect(await meta.set('product', 'guitar', 'set by the user')).toBe(true);
      expect(await loading).toBe('set by the user');
      expect(load).not.toHaveBeenCalled();
      await text.close();
      expect(await meta.get('product', 'guitar')).toBe('set by the user');
    },
  );
});

describe('a text renewal (cas, then gets) beside the value that replaces the stub', () => {
  it('never deletes that value', async () => {
    const proxy = await slowPath();
    const prefix = randomPrefix();
    const text = cacheSpeaking('text', { servers: proxy.servers, prefix, lockTtl: 1 });
    const reader = cacheSpeaking('meta', { prefix });
    await text.get('product', 'warm');
    proxy.delayReplies(50);
    const keys = Array.from({ length: 20 }, (_, index) => `k${index}`);
    const values = await Promise.all(
      keys.map((key, index) =>
        text.getOrSet('product', key, async () => {
          await sleep(500 + index * 5); // around the first renewal (every half lockTtl)
          return `value ${key}`;
        }),
      ),
    );
    expect(values).toEqual(keys.map((key) => `value ${key}`));
    await text.close(); // every renewal's follow-up has been answered
    expect(await reader.getMulti('product', keys)).toEqual(new Map(keys.map((key) => [key, `value ${key}`])));
  });
});

describe('the renewal of a stub', () => {
  it.each(PROTOCOLS)('on %s: no E_LOCK_EXPIRED for loads whose values land beside their renewals', async (protocol) => {
    const errors: CacheError[] = [];
    const cache = cacheSpeaking(protocol, { lockTtl: 1, onError: (error) => errors.push(error) });
    await cache.get('product', 'warm');
    const loads = Array.from({ length: 60 }, (_, index) =>
      cache.getOrSet('product', `k${index}`, async () => {
        await sleep(490 + (index % 20));
        return 'v';
      }),
    );
    expect(new Set(await Promise.all(loads))).toEqual(new Set(['v']));
    await cache.close();
    expect(errors.map((error) => error.code)).toEqual([]);
  });

  it.each(PROTOCOLS)('on %s: a set over the stub during a slow load is no loss of the lock', async (protocol) => {
    const prefix = randomPrefix();
    const errors: CacheError[] = [];
    const holder = cacheSpeaking(protocol, { prefix, onError: (error) => errors.push(error) });
    const held = await heldLoad(holder, 'guitar', { lockTtl: 1 });
    await cacheSpeaking('meta', { prefix }).set('product', 'guitar', 'set by the user');
    await sleep(1200); // two renewal periods (half lockTtl each)
    held.release('loaded');
    expect(await held.holding).toBe('loaded');
    expect(errors.map((error) => error.code)).toEqual([]);
  });
});

describe('tags invalidated while a missing key loads', () => {
  it.each(PROTOCOLS)(
    'on %s: the waiters retake the lock (at the lock key): one more load, not one each',
    async (protocol) => {
      const prefix = randomPrefix();
      const holder = cacheSpeaking(protocol, { prefix });
      const held = await heldLoad(holder, 'guitar', { tags: ['red'] });
      await cacheSpeaking(protocol, { prefix }).invalidateTags(['red']);
      const load = vi.fn(async () => {
        await sleep(100);
        return 'after the invalidation';
      });
      const waiters = Array.from({ length: 4 }, () => cacheSpeaking(protocol, { prefix }));
      const calls = waiters.map((cache) => cache.getOrSet('product', 'guitar', load, { tags: ['red'] }));
      await vi.waitFor(() => expect(waiters.every((cache) => cache.stats().lockWaits === 1)).toBe(true));
      held.release('before the invalidation');
      expect(await held.holding).toBe('before the invalidation');
      expect(await Promise.all(calls)).toEqual(Array(4).fill('after the invalidation'));
      expect(load).toHaveBeenCalledTimes(1);
    },
  );
});

describe("a foreign meta client's win on a value (md … I)", () => {
  it('is a plain hit for this library, not a protocol error', async () => {
    const errors: CacheError[] = [];
    const cache = cacheSpeaking('meta', { onError: (error) => errors.push(error) });
    await cache.set('product', 'guitar', 'v');
    const sent: string[] = [];
    const write = Socket.prototype.write;
    vi.spyOn(Socket.prototype, 'write').mockImplementation(function (this: Socket, ...args: unknown[]) {
      sent.push(Buffer.from(args[0] as Uint8Array).toString('latin1'));
      return (write as (...rest: unknown[]) => boolean).apply(this, args);
    });
    await cache.get('product', 'guitar');
    vi.restoreAllMocks();
    const key = /^mg (\S+) v/m.exec(sent.join(''))?.[1] as string;
    const raw = new Socket().connect(Number(memcachedServers.split(':')[1]), '127.0.0.1');
    const reply = new Promise<string>((resolve) => raw.once('data', (data: Buffer) => resolve(data.toString())));
    raw.write(`md ${key} I T30\r\n`);
    expect(await reply).toBe('HD\r\n');
    raw.destroy();
    // The next mg takes memcached's win flag (W) on the stale-marked value.
    expect(await cache.get('product', 'guitar')).toBe('v');
    expect(errors).toEqual([]);
  });
});

describe('the text release of a stub', () => {
  it('is one compare-and-delete: a value set over the stub while it is in flight stays', async () => {
    const proxy = await slowPath();
    const prefix = randomPrefix();
    const text = cacheSpeaking('text', { servers: proxy.servers, prefix });
    const meta = cacheSpeaking('meta', { prefix });
    await text.get('product', 'warm');
    let loaded = false;
    const releaseSent = new Promise<void>((resolve) => {
      const write = Socket.prototype.write;
      vi.spyOn(Socket.prototype, 'write').mockImplementation(function (this: Socket, ...args: unknown[]) {
        // gets + delete before; now `cas <key> 0 2592001 0 <cas>` (stored already expired).
        if (loaded && /^(gets|cas) /m.test(Buffer.from(args[0] as Uint8Array).toString('latin1'))) resolve();
        return (write as (...rest: unknown[]) => boolean).apply(this, args);
      });
    });
    const loading = text.getOrSet('product', 'guitar', async () => {
      proxy.delayReplies(150);
      loaded = true;
      return undefined; // nothing to cache: the holder releases its stub
    });
    await releaseSent; // in memcached; its reply is not back yet
    expect(await meta.set('product', 'guitar', 'set by the user')).toBe(true);
    expect(await loading).toBeUndefined();
    await text.close();
    expect(await meta.get('product', 'guitar')).toBe('set by the user');
  });
});

describe('a poll that takes the stub while its tag records cannot be read', () => {
  it('loads under that stub, so the next caller does not wait for a stub nobody holds', async () => {
    const prefix = randomPrefix();
    const options = { tags: ['t'], lockTtl: 2 };
    const [holder, waiter, third] = [
      cacheSpeaking('meta', { prefix }),
      cacheSpeaking('meta', { prefix }),
      cacheSpeaking('meta', { prefix }),
    ];
    const held = await heldLoad(holder, 'k', options);
    const waiting = waiter.getOrSet('product', 'k', async () => undefined, options);
    await vi.waitFor(() => expect(waiter.stats().lockWaits).toBe(1));
    // The tag records' server fails from now on (in a pool, another server than the data key's).
    const read = TagRecords.prototype.read;
    vi.spyOn(TagRecords.prototype, 'read').mockImplementation(function (this: TagRecords, tags, deadline, done, keys) {
      if (tags.length === 0) return read.call(this, tags, deadline, done, keys);
      setImmediate(() => done(new CacheError('E_CONNECTION', 'records server down'), new Map()));
    });
    held.release(undefined as unknown as string); // nothing to cache: the holder releases its stub
    await held.holding;
    expect(await waiting).toBeUndefined();
    vi.restoreAllMocks();
    await waiter.close(); // its release, if any, has landed
    expect(await third.getOrSet('product', 'k', () => 'third', options)).toBe('third');
    expect(third.stats().lockWaits).toBe(0);
  });
});
