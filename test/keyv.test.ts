import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import keyvTestSuite from '@keyv/test-suite';
import Keyv from 'keyv';
import * as vitest from 'vitest';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { freePort } from '../scripts/memcached.js';
import { CacheError, type CommonOptions, NamespacedCache } from '../src/index.js';
import { NamespacedKeyvStore } from '../src/keyv/index.js';
import { keyvTtl } from '../src/keyv/ttl.js';
import { makeCache, randomPrefix, rawClient, servers } from './support/cache.js';
import { protocolOptions } from './support/protocol.js';
import { OPCODE_NAMES, spyOnWrites } from './support/wire.js';

describe('@keyv/test-suite against a real memcached', () => {
  // One cache (a fresh prefix) for the whole suite, which makes a store per Keyv, as it must.
  const cache = new NamespacedCache({ ...protocolOptions(), servers, prefix: randomPrefix() });
  vitest.afterAll(() => cache.close());
  keyvTestSuite(vitest, Keyv, () => new NamespacedKeyvStore(cache));
});

/** A cache over a memjs client of the test's (whose writes it can watch), closed after the test. */
function cacheOn(client: ReturnType<typeof rawClient>, options: CommonOptions = {}): NamespacedCache {
  const cache = new NamespacedCache({ client, prefix: randomPrefix(), ...options });
  onTestFinished(() => cache.close());
  return cache;
}

describe('NamespacedKeyvStore', () => {
  it("maps Keyv's namespace to a cache namespace, keys as Keyv passes them", async () => {
    const cache = makeCache();
    const keyv = new Keyv({ store: new NamespacedKeyvStore(cache), namespace: 'products' });
    await keyv.set('guitar', { price: 5000 });
    expect(await keyv.get('guitar')).toEqual({ price: 5000 });
    expect(JSON.parse((await cache.get<string>('products', 'products:guitar')) ?? 'null')).toMatchObject({
      value: { price: 5000 },
    });
    expect(await cache.get('products', 'guitar')).toBeUndefined();
  });

  it('keeps keys that Keyv did not prefix (useKeyPrefix: false) distinct', async () => {
    const keyv = new Keyv({ store: new NamespacedKeyvStore(makeCache()), namespace: 'api', useKeyPrefix: false });
    await keyv.set('api:x', 'prefixed-looking');
    await keyv.set('x', 'plain');
    expect(await keyv.get('api:x')).toBe('prefixed-looking');
    expect(await keyv.get('x')).toBe('plain');
    expect(await keyv.get(['api:x', 'x'])).toEqual(['prefixed-looking', 'plain']);
    await keyv.delete('x');
    expect(await keyv.get('api:x')).toBe('prefixed-looking');
  });

  it("never lets a value disappear before its TTL, whatever the phase of memcached's one-second clock", async () => {
    // memcached's clock ticks once a second: a write just before a tick loses most of its first
    // second. Twenty writes spread over 1.2 s hit every phase; each is read 100 ms before its TTL.
    const keyv = new Keyv({ store: new NamespacedKeyvStore(makeCache()), namespace: 'ttl' });
    const ttl = 500;
    const reads = Array.from({ length: 20 }, async (_, index) => {
      await delay(index * 60);
      const setAt = Date.now(); // Keyv's own expiry counts from a moment after this
      await keyv.set(`k${index}`, index, ttl);
      await delay(Math.max(0, ttl - 100 - (Date.now() - setAt)));
      const value = await keyv.get(`k${index}`);
      // A read that only completed past the TTL (a loaded machine) may rightly miss: it says nothing.
      return { value, inTime: Date.now() - setAt < ttl };
    });
    const inTime = (await Promise.all(reads)).filter((read) => read.inTime);
    expect(inTime.length).toBeGreaterThanOrEqual(5);
    expect(inTime.filter((read) => read.value === undefined)).toEqual([]);
  });

  it("answers has() to the millisecond through Keyv's own check of expires", async () => {
    const keyv = new Keyv({ store: new NamespacedKeyvStore(makeCache()), namespace: 'has' });
    await keyv.set('short', 1, 100);
    await keyv.set('long', 1, 60_000);
    expect(await keyv.has('short')).toBe(true);
    await delay(150); // past Keyv's expires, inside memcached's (rounded up) expiry
    expect(await keyv.has('short')).toBe(false);
    expect(await keyv.has(['short', 'long', 'none'])).toEqual([false, true, false]);
  });

  it('puts an undefined Keyv namespace (as NestJS leaves it) in the default namespace', async () => {
    const cache = makeCache();
    const unnamed = new Keyv({ store: new NamespacedKeyvStore(cache), namespace: undefined as unknown as string });
    expect(unnamed.namespace).toBeUndefined();
    await unnamed.set('theme', 'dark');
    expect(await cache.get('keyv', 'theme')).toBeTypeOf('string');

    const custom = new NamespacedKeyvStore(cache, { defaultNamespace: 'nest' });
    const nest = new Keyv({ store: custom, namespace: undefined as unknown as string });
    await nest.set('theme', 'light');
    expect(await cache.get('nest', 'theme')).toBeTypeOf('string');
    await nest.clear();
    expect(await nest.get('theme')).toBeUndefined();
    expect(await unnamed.get('theme')).toBe('dark');
  });

  it('clears only its namespace, with one write: a new token, never a flush', async () => {
    const client = rawClient();
    const prefix = randomPrefix();
    const cache = cacheOn(client, { prefix });
    const a = new Keyv({ store: new NamespacedKeyvStore(cache), namespace: 'a' });
    const b = new Keyv({ store: new NamespacedKeyvStore(cache), namespace: 'b' });
    await a.set('k', 1);
    await b.set('k', 2);
    await cache.set('other', 'k', 3);

    const wire = spyOnWrites(client);
    await a.clear();
    expect(wire.requests().map(({ opcode, key }) => [OPCODE_NAMES[opcode], key.startsWith(`${prefix}:t:`)])).toEqual([
      ['set', true],
    ]);
    expect(await a.get('k')).toBeUndefined();
    expect(await b.get('k')).toBe(2);
    expect(await cache.get('other', 'k')).toBe(3);
  });

  it('sends TTLs as whole seconds rounded up plus one; a sub-second TTL never becomes "never expires"', async () => {
    const client = rawClient();
    const store = new NamespacedKeyvStore(cacheOn(client, { ttl: 300 }));
    await store.get('warm'); // the namespace token is created before the wire is watched
    const wire = spyOnWrites(client);
    await store.set('a', 'x', 1);
    await store.set('b', 'x', 1500);
    await store.set('c', 'x'); // no TTL: the cache's
    await store.set('d', 'x', 0); // Keyv's 0: never expires
    expect(await store.setMany([{ key: 'e', value: 'x', ttl: 999 }])).toEqual([true]);
    const sets = wire.requests().filter(({ opcode }) => OPCODE_NAMES[opcode] === 'set');
    expect(sets.map(({ expiry }) => expiry)).toEqual([2, 3, 300, 0, 2]);

    expect(keyvTtl(undefined)).toBeUndefined();
    expect(keyvTtl(0)).toBe(0);
    expect(keyvTtl(0.001)).toBe(2);
    expect(keyvTtl(60_000)).toBe(61);
    for (const bad of [-1, -0.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => keyvTtl(bad)).toThrow(RangeError);
    await expect(store.set('f', 'x', -500)).rejects.toThrow(RangeError);
  });

  it('reads, writes and deletes many keys, answering per key in order', async () => {
    const cache = makeCache();
    const store = new NamespacedKeyvStore(cache);
    store.namespace = 'ns';
    expect(
      await store.setMany([
        { key: 'ns:a', value: '1' },
        { key: 'ns:b', value: '2', ttl: 60_000 },
        { key: 'c', value: '3', ttl: 60_000 },
      ]),
    ).toEqual([true, true, true]);
    expect(await store.getMany(['ns:a', 'x', 'ns:b', 'c', 'ns:c'])).toEqual(['1', undefined, '2', '3', undefined]);
    expect(await store.deleteMany(['ns:a', 'ns:b'])).toBe(true);
    expect(await store.deleteMany(['c', 'ns:a'])).toBe(false); // 'ns:a' was gone already
    expect(await store.getMany(['ns:a', 'ns:b', 'c'])).toEqual([undefined, undefined, undefined]);
  });

  it("emits the swallowed errors of a cache it created as 'error', through Keyv too", async () => {
    const onError = vi.fn();
    const store = new NamespacedKeyvStore({ servers: `127.0.0.1:${await freePort()}`, timeout: 0.5, onError });
    const keyv = new Keyv({ store });
    const emitted = new Promise<unknown>((resolve) => keyv.on('error', resolve));
    expect(await keyv.get('k')).toBeUndefined();
    const error = await emitted;
    expect(error).toBeInstanceOf(CacheError);
    expect(error).toMatchObject({ code: 'E_CONNECTION', operation: 'get' });
    expect(onError).toHaveBeenCalledWith(error);
    // An invalidation rejects instead; Keyv catches that and emits it as 'error' itself.
    await expect(store.clear()).rejects.toBeInstanceOf(CacheError);
    await store.disconnect();
  });

  it('closes a cache it created on disconnect(), never one passed in', async () => {
    const cache = makeCache();
    await new NamespacedKeyvStore(cache).disconnect();
    expect(await cache.set('n', 'k', 1)).toBe(true);

    const owned = new NamespacedKeyvStore({ servers });
    await owned.disconnect();
    await expect(owned.cache.get('n', 'k')).rejects.toMatchObject({ code: 'E_CLOSED' });
  });

  it('refuses an invalid default namespace or cache option at construction', () => {
    expect(() => new NamespacedKeyvStore(makeCache(), { defaultNamespace: '' })).toThrow(TypeError);
    expect(() => new NamespacedKeyvStore({ servers, ttl: -1 })).toThrow(RangeError);
    expect(() => new NamespacedKeyvStore({ servers, onError: 'log' as never })).toThrow('`onError`');
  });
});

describe('packaging of the Keyv store', () => {
  it('is a subpath export with keyv as an optional peer dependency; the core keeps two runtime dependencies', async () => {
    const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['memjs', 'xxhash-wasm']);
    expect(manifest.exports['./keyv']).toEqual({
      import: { types: './dist/keyv/index.d.ts', default: './dist/keyv/index.js' },
      require: { types: './dist/cjs/keyv/index.d.ts', default: './dist/cjs/keyv/index.js' },
    });
    expect(manifest.peerDependencies).toHaveProperty('keyv');
    expect(manifest.peerDependenciesMeta.keyv).toEqual({ optional: true });
  });

  it('imports only the public API and keyv-free code of its own; nothing outside src/keyv imports it', async () => {
    const src = new URL('../src/', import.meta.url);
    const files = (await readdir(src, { recursive: true })).filter((file) => file.endsWith('.ts'));
    expect(files.filter((file) => file.startsWith('keyv/')).length).toBeGreaterThan(1);
    for (const file of files) {
      const imports = [
        ...(await readFile(new URL(file, src), 'utf8')).matchAll(/^(?:import|export)[^;]*? from '([^']+)'/gm),
      ].map((match) => match[1]);
      if (file.startsWith('keyv/')) {
        if (file !== 'keyv/listeners.ts' && file !== 'keyv/ttl.ts') expect(imports.length, file).toBeGreaterThan(0);
        for (const from of imports) expect(from, file).toMatch(/^(\.\.\/index\.js|\.\/[\w-]+\.js)$/);
      } else {
        expect(
          imports.filter((from) => /keyv/.test(from ?? '')),
          file,
        ).toEqual([]);
      }
    }
  });
});
