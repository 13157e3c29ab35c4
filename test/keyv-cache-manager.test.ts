import { createCache } from 'cache-manager';
import Keyv from 'keyv';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../scripts/memcached.js';
import { NamespacedKeyvStore } from '../src/keyv/index.js';
import { makeCache, randomPrefix, rawClient, servers } from './support/cache.js';
import { protocolOptions } from './support/protocol.js';

const managers: { disconnect(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.disconnect()));
});

/** A cache-manager 7 cache for one application, as the README builds one: a Keyv store per app. */
function app(namespace: string, prefix: string, serverList = servers) {
  const store = new NamespacedKeyvStore({ ...protocolOptions(), servers: serverList, prefix, timeout: 0.5 });
  const manager = createCache({ stores: [new Keyv({ store, namespace, throwOnErrors: true })] });
  managers.push(manager);
  return manager;
}

describe('cache-manager 7 over NamespacedKeyvStore', () => {
  it('sets, gets, mgets, wraps and deletes', async () => {
    const cache = app('a', randomPrefix());
    expect(await cache.set('guitar', { price: 5000 }, 60_000)).toEqual({ price: 5000 });
    expect(await cache.get('guitar')).toEqual({ price: 5000 });
    await cache.mset<unknown>([
      { key: 'piano', value: 12_000 },
      { key: 'drum', value: 'red', ttl: 500 },
    ]);
    expect(await cache.mget(['guitar', 'flute', 'piano', 'drum'])).toEqual([{ price: 5000 }, undefined, 12_000, 'red']);

    let loads = 0;
    const load = async () => {
      loads += 1;
      return { name: 'Flute' };
    };
    expect(await cache.wrap('flute', load, 60_000)).toEqual({ name: 'Flute' });
    expect(await cache.wrap('flute', load, 60_000)).toEqual({ name: 'Flute' });
    expect(loads).toBe(1);

    expect(await cache.del('guitar')).toBe(true);
    expect(await cache.get('guitar')).toBeUndefined();
    expect(await cache.mdel(['piano', 'drum'])).toBe(true);
    expect(await cache.mget(['piano', 'drum'])).toEqual([undefined, undefined]);
  });

  it("clear() of app a leaves app b's keys and other users of the memcached intact", async () => {
    const prefix = randomPrefix();
    const a = app('a', prefix);
    const b = app('b', prefix);
    const otherApp = app('a', randomPrefix()); // same Keyv namespace, another prefix
    const raw = rawClient();
    const rawKey = `${randomPrefix()}:not-ours`;
    await raw.set(rawKey, 'kept', { expires: 60 });
    await a.set('k', 'a');
    await b.set('k', 'b');
    await otherApp.set('k', 'other');

    await a.clear();

    expect(await a.get('k')).toBeUndefined();
    expect(await b.get('k')).toBe('b');
    expect(await otherApp.get('k')).toBe('other');
    expect((await raw.get(rawKey)).value?.toString()).toBe('kept');
    // The cache underneath saw one namespace cleared, not a flush.
    expect(await makeCache({ prefix }).get('b', 'b:k')).toBeTypeOf('string');
  });

  it('with memcached down, del, mdel and clear reject (throwOnErrors) while reads still miss quietly', async () => {
    const cache = app('a', randomPrefix(), `127.0.0.1:${await freePort()}`);
    expect(await cache.get('k')).toBeUndefined();
    expect(await cache.mget(['k', 'l'])).toEqual([undefined, undefined]);
    await cache.set('k', 'v', 60_000); // cache-manager resolves the value whatever the store says
    await expect(cache.del('k')).rejects.toMatchObject({ code: 'E_CONNECTION' });
    await expect(cache.mdel(['k', 'l'])).rejects.toMatchObject({ code: 'E_CONNECTION' });
    await expect(cache.clear()).rejects.toMatchObject({ code: 'E_CONNECTION' });
  });
});
