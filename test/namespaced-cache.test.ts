import { describe, expect, it, vi } from 'vitest';
import { NamespacedCache } from '../src/index.js';
import { Opcode } from '../src/protocol.js';
import { errorLog, makeCache, randomPrefix, rawClient } from './support/cache.js';
import { spyOnWrites } from './support/wire.js';

describe('get / set / delete', () => {
  it('round-trips every supported type, each with its type', async () => {
    const cache = makeCache();
    const values = {
      string: 'héllo 🎸',
      empty: '',
      number: 1234.5,
      nan: Number.NaN,
      truthy: true,
      falsy: false,
      nothing: null,
      object: { price: 5000, tags: ['x'], nested: { a: [1, 2] } },
      array: [1, 'two', null],
      buffer: Buffer.from([0, 255, 10]),
      bytes: new Uint8Array([1, 2, 3]),
    };
    for (const [key, value] of Object.entries(values)) {
      expect(await cache.set('types', key, value)).toBe(true);
    }
    for (const [key, value] of Object.entries(values)) {
      expect(await cache.get('types', key)).toStrictEqual(value);
    }
    expect(Buffer.isBuffer(await cache.get('types', 'buffer'))).toBe(true);
    expect(Buffer.isBuffer(await cache.get('types', 'bytes'))).toBe(false);
  });

  it('misses with undefined, and a later set replaces the value', async () => {
    const cache = makeCache();
    expect(await cache.get('product', 'guitar')).toBeUndefined();
    await cache.set('product', 'guitar', { price: 5000 });
    await cache.set('product', 'guitar', { price: 4500 });
    expect(await cache.get<{ price: number }>('product', 'guitar')).toEqual({ price: 4500 });
  });

  it('takes any string as a key', async () => {
    const cache = makeCache();
    const keys = ['', ' ', 'a b', 'line\nbreak\r\n\t', 'ünïcödé 🎸 漢字', '\u0000', '\uD800', 'k'.repeat(100_000)];
    await Promise.all(keys.map((key, index) => cache.set('awkward', key, index)));
    expect(await Promise.all(keys.map((key) => cache.get('awkward', key)))).toEqual(keys.map((_, index) => index));
    expect(await cache.get('awkward', '\uD801')).toBeUndefined();
    expect(await cache.delete('awkward', 'k'.repeat(100_000))).toBe(true);
    expect(await cache.get('awkward', 'k'.repeat(100_000))).toBeUndefined();
  });

  it('delete resolves whether the key existed', async () => {
    const cache = makeCache();
    await cache.set('product', 'guitar', 1);
    expect(await cache.delete('product', 'guitar')).toBe(true);
    expect(await cache.delete('product', 'guitar')).toBe(false);
    expect(await cache.get('product', 'guitar')).toBeUndefined();
  });

  it('reads a value another cache instance (another process) wrote', async () => {
    const prefix = randomPrefix();
    const writer = makeCache({ prefix });
    const reader = makeCache({ prefix });
    await writer.set(['tenant:1', 'products'], 'p', 'shared');
    expect(await reader.get(['tenant:1', 'products'], 'p')).toBe('shared');
  });

  it('reads a value written before the hash functions loaded in a fresh cache', async () => {
    const prefix = randomPrefix();
    await makeCache({ prefix }).set('n', 'k', 'v');
    // The second construction finds xxhash already loaded; both paths must agree on keys.
    expect(await new NamespacedCache({ client: rawClient(), prefix }).get('n', 'k')).toBe('v');
  });
});

describe('namespaces', () => {
  it('clears a namespace and leaves the others alone', async () => {
    const cache = makeCache();
    await cache.set('product', 'guitar', 1);
    await cache.set('category', 'guitar', 2);
    await cache.deleteNamespace('product');
    expect(await cache.get('product', 'guitar')).toBeUndefined();
    expect(await cache.get('category', 'guitar')).toBe(2);
    await cache.set('product', 'guitar', 3);
    expect(await cache.get('product', 'guitar')).toBe(3);
  });

  it("keeps 'a:b' and ['a', 'b'] apart, and treats 'a' and ['a'] as one namespace", async () => {
    const cache = makeCache();
    await cache.set('a:b', 'k', 'flat');
    await cache.set(['a', 'b'], 'k', 'path');
    expect(await cache.get('a:b', 'k')).toBe('flat');
    expect(await cache.get(['a', 'b'], 'k')).toBe('path');
    expect(await cache.get(['a:b'], 'k')).toBe('flat');
    await cache.deleteNamespace(['a', 'b']);
    expect(await cache.get('a:b', 'k')).toBe('flat');
  });

  it('clears every namespace below a cleared path, and nothing beside or above it', async () => {
    const cache = makeCache();
    await cache.set('tenant:lisboa', 'settings', 'parent');
    await cache.set(['tenant:lisboa', 'products'], 'p', 'child');
    await cache.set(['tenant:lisboa', 'products', 'images'], 'i', 'grandchild');
    await cache.set(['tenant:lisboa', 'orders'], 'o', 'sibling');
    await cache.set(['tenant:porto', 'products'], 'p', 'other tenant');

    await cache.deleteNamespace(['tenant:lisboa', 'products']);
    expect(await cache.get(['tenant:lisboa', 'products'], 'p')).toBeUndefined();
    expect(await cache.get(['tenant:lisboa', 'products', 'images'], 'i')).toBeUndefined();
    expect(await cache.get(['tenant:lisboa', 'orders'], 'o')).toBe('sibling');
    expect(await cache.get('tenant:lisboa', 'settings')).toBe('parent');

    await cache.deleteNamespace('tenant:lisboa');
    expect(await cache.get('tenant:lisboa', 'settings')).toBeUndefined();
    expect(await cache.get(['tenant:lisboa', 'orders'], 'o')).toBeUndefined();
    expect(await cache.get(['tenant:porto', 'products'], 'p')).toBe('other tenant');
  });

  it('isolates applications by prefix: clearing in one app never touches another', async () => {
    const shop = makeCache({ prefix: `${randomPrefix()}-shop` });
    const blog = makeCache({ prefix: `${randomPrefix()}-blog` });
    await shop.set('product', 'guitar', 'shop value');
    await blog.set('product', 'guitar', 'blog value');
    await shop.deleteNamespace('product');
    expect(await shop.get('product', 'guitar')).toBeUndefined();
    expect(await blog.get('product', 'guitar')).toBe('blog value');
  });

  it('isolates tenants of several applications at once', async () => {
    const prefix = randomPrefix();
    const appA = makeCache({ prefix: `${prefix}-a` });
    const appB = makeCache({ prefix: `${prefix}-b` });
    for (const app of [appA, appB]) {
      await app.set(['app', 'tenant:42'], 'k', 'tenant 42');
      await app.set(['app', 'tenant:43'], 'k', 'tenant 43');
    }
    await appA.deleteNamespace(['app', 'tenant:42']);
    expect(await appA.get(['app', 'tenant:42'], 'k')).toBeUndefined();
    expect(await appA.get(['app', 'tenant:43'], 'k')).toBe('tenant 43');
    expect(await appB.get(['app', 'tenant:42'], 'k')).toBe('tenant 42');
  });

  it('sees a rotation made by another cache instance (another process)', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    const other = makeCache({ prefix });
    await cache.set('product', 'guitar', 1);
    expect(await cache.get('product', 'guitar')).toBe(1);
    await other.deleteNamespace('product');
    expect(await cache.get('product', 'guitar')).toBeUndefined();
  });
});

describe('ttl', () => {
  /** A cache on a client whose writes are recorded, with the expiry of each data write. */
  function recordedCache(ttl?: number) {
    const client = rawClient();
    const wire = spyOnWrites(client);
    const cache = new NamespacedCache({ client, prefix: randomPrefix(), ...(ttl === undefined ? {} : { ttl }) });
    const dataExpiries = () =>
      wire
        .requests()
        .filter((request) => request.opcode === Opcode.Set && !request.key.includes(':t:'))
        .map((request) => request.expiry);
    return { cache, wire, dataExpiries };
  }

  it('sends the default ttl (one day), a per-call ttl, and an explicit 0 as 0 even with a default', async () => {
    const { cache, dataExpiries } = recordedCache();
    await cache.set('n', 'default', 1);
    await cache.set('n', 'custom', 1, { ttl: 60 });
    await cache.set('n', 'forever', 1, { ttl: 0 });
    await cache.set('n', 'fraction', 1, { ttl: 0.3 });
    expect(dataExpiries()).toEqual([86_400, 60, 0, 1]);

    const { cache: shortLived, dataExpiries: shortExpiries } = recordedCache(5);
    await shortLived.set('n', 'k', 1, { ttl: 0 });
    await shortLived.set('n', 'k', 1);
    expect(shortExpiries()).toEqual([0, 5]);
  });

  it('sends TTLs over 30 days as absolute Unix times, which memcached then keeps', async () => {
    const { cache, dataExpiries } = recordedCache();
    const before = Math.floor(Date.now() / 1000);
    await cache.set('n', 'long', 'kept', { ttl: 40 * 86_400 });
    const [expiry] = dataExpiries();
    expect(expiry).toBeGreaterThanOrEqual(before + 40 * 86_400);
    expect(expiry).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 40 * 86_400);
    // Sent as a 40-day duration, memcached would read a date in 1970 and expire it at once.
    expect(await cache.get('n', 'long')).toBe('kept');
  });

  it('writes tokens without expiry by default (tokenTtl 0)', async () => {
    const { cache, wire } = recordedCache();
    await cache.set('n', 'k', 1);
    await cache.deleteNamespace('n');
    const tokenWrites = wire
      .requests()
      .filter((request) => request.key.includes(':t:') && request.opcode !== Opcode.Get);
    expect(tokenWrites.map((request) => [request.opcode, request.expiry])).toEqual([
      [Opcode.Add, 0],
      [Opcode.Set, 0],
    ]);
  });

  it('lets memcached expire a value at its ttl, and keeps one written with ttl 0', async () => {
    const log = errorLog();
    const cache = makeCache({ ttl: 1, onError: log.onError });
    await cache.set('n', 'short', 'gone soon');
    await cache.set('n', 'forever', 'kept', { ttl: 0 });
    expect(await cache.get('n', 'short')).toBe('gone soon');
    // memcached's clock ticks once a second: expiry comes within 1-2 s. Wait for it, not a fixed time.
    await vi.waitFor(async () => expect(await cache.get('n', 'short')).toBeUndefined(), {
      timeout: 5000,
      interval: 100,
    });
    expect(await cache.get('n', 'forever')).toBe('kept');
    expect(log.errors).toEqual([]);
  });
});
