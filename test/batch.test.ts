import { describe, expect, it } from 'vitest';
import { CacheError, NamespacedCache } from '../src/index.js';
import { Opcode } from '../src/protocol.js';
import { errorLog, makeCache, randomPrefix, rawClient } from './support/cache.js';
import { protocolOptions } from './support/protocol.js';
import { privateMemcached } from './support/servers.js';
import { spyOnWrites } from './support/wire.js';

const isTokenRead = (request: { opcode: number; key: string }) =>
  request.opcode === Opcode.Get && request.key.includes(':t:');

describe('getMulti / setMulti / deleteMulti', () => {
  it('reads hits and skips misses, in the order asked, reading duplicates once', async () => {
    const cache = makeCache();
    await cache.setMulti('product', { a: 1, b: { two: 2 }, c: 'three' });
    const found = await cache.getMulti('product', ['c', 'missing', 'a', 'c', 'b', 'a']);
    expect([...found.entries()]).toEqual([
      ['c', 'three'],
      ['a', 1],
      ['b', { two: 2 }],
    ]);
    expect(await cache.getMulti('product', [])).toEqual(new Map());
  });

  it('handles several hundred keys with one token lookup per call', async () => {
    const client = rawClient();
    const cache = new NamespacedCache({ client, prefix: randomPrefix() });
    const keys = Array.from({ length: 600 }, (_, index) => `key-${index}`);
    const entries = new Map(keys.filter((_, index) => index % 3 !== 0).map((key) => [key, key.toUpperCase()]));
    expect(await cache.setMulti(['tenant:1', 'products'], entries)).toBe(true);

    const written = spyOnWrites(client);
    const found = await cache.getMulti<string>(['tenant:1', 'products'], keys);
    expect(found.size).toBe(400);
    expect(found.get('key-1')).toBe('KEY-1');
    expect(found.has('key-0')).toBe(false);
    // Two levels, one token read each, and one get per distinct key.
    const requests = written.requests();
    expect(requests.filter(isTokenRead)).toHaveLength(2);
    expect(requests.filter((request) => !isTokenRead(request))).toHaveLength(600);
  });

  it('takes entries as an object, a Map or [key, value] pairs; later pairs win', async () => {
    const cache = makeCache();
    expect(await cache.setMulti('n', { a: 1 })).toBe(true);
    expect(await cache.setMulti('n', new Map([['b', 2]]))).toBe(true);
    expect(
      await cache.setMulti('n', [
        ['c', 3],
        ['c', 4],
      ]),
    ).toBe(true);
    expect(await cache.setMulti('n', {})).toBe(true);
    expect([...(await cache.getMulti('n', ['a', 'b', 'c'])).entries()]).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 4],
    ]);
  });

  it('deletes many keys and counts those that existed', async () => {
    const cache = makeCache();
    await cache.setMulti('n', { a: 1, b: 2, c: 3 });
    expect(await cache.deleteMulti('n', ['a', 'b', 'x', 'a'])).toBe(2);
    expect([...(await cache.getMulti('n', ['a', 'b', 'c'])).keys()]).toEqual(['c']);
    expect(await cache.deleteMulti('n', [])).toBe(0);
  });

  it('sees a rotation by another client: stale multi-reads are redone under the new generation', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    const other = makeCache({ prefix });
    await cache.setMulti('n', { a: 'old', b: 'old' });
    expect((await cache.getMulti('n', ['a', 'b'])).size).toBe(2);
    await other.deleteNamespace('n');
    await other.setMulti('n', { b: 'new' });
    expect([...(await cache.getMulti('n', ['a', 'b'])).entries()]).toEqual([['b', 'new']]);
  });

  it('checks every key and value before sending anything', async () => {
    const client = rawClient();
    const written = spyOnWrites(client);
    const cache = new NamespacedCache({ client, prefix: randomPrefix() });
    await expect(cache.getMulti('n', 'a' as never)).rejects.toThrow(
      'Expected `keys` to be an array of strings, got "a"',
    );
    await expect(cache.getMulti('n', ['a', 1] as never)).rejects.toThrow('Expected every key to be a string, got 1');
    await expect(cache.setMulti('n', { a: 1, b: undefined as never })).rejects.toThrow('got undefined');
    await expect(cache.setMulti('n', new Map([[1, 'x']]) as never)).rejects.toThrow('with a string key, got an array');
    await expect(cache.setMulti('n', null as never)).rejects.toThrow(TypeError);
    await expect(cache.setMulti('n', { a: 1 }, { ttl: -1 })).rejects.toThrow(RangeError);
    await expect(cache.deleteMulti('', ['a'])).rejects.toThrow(TypeError);
    expect(written.requests()).toEqual([]);
  });

  it('fails reads open (the hits it has) and writes open, and rejects deletes, when memcached fails', async () => {
    const server = await privateMemcached();
    const log = errorLog();
    const cache = new NamespacedCache({
      ...protocolOptions(),
      servers: server.servers,
      prefix: randomPrefix(),
      onError: log.onError,
    });
    await cache.setMulti('n', { a: 1, b: 2 });
    await server.kill();
    expect(await cache.getMulti('n', ['a', 'b'])).toEqual(new Map());
    expect(await cache.setMulti('n', { a: 1, b: 2 })).toBe(false);
    expect(log.errors.map((error) => [error.code, error.operation])).toEqual([
      ['E_CONNECTION', 'getMulti'],
      ['E_CONNECTION', 'setMulti'],
    ]);
    const deleted = await cache.deleteMulti('n', ['a', 'b']).catch((error: unknown) => error);
    expect(deleted).toBeInstanceOf(CacheError);
    expect(deleted).toMatchObject({ code: 'E_CONNECTION', operation: 'deleteMulti' });
    await cache.close();
  });

  it('reports how many values memcached refused, and deletes their older values (I3)', async () => {
    const log = errorLog();
    const cache = makeCache({ onError: log.onError });
    await cache.setMulti('n', { small: 'old', big: 'old' });
    expect(await cache.setMulti('n', { small: 'new', big: 'x'.repeat(2 * 1024 * 1024) })).toBe(false);
    expect(log.errors).toHaveLength(1);
    expect(log.errors[0]).toMatchObject({ code: 'E_VALUE_TOO_LARGE', operation: 'setMulti' });
    expect(log.errors[0]?.message).toContain('1 of 2 values were not stored');
    expect([...(await cache.getMulti('n', ['small', 'big'])).entries()]).toEqual([['small', 'new']]);
  });
});
