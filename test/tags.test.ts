import { describe, expect, it } from 'vitest';
import { MAX_TAG_LENGTH, MAX_TAGS, NamespacedCache } from '../src/index.js';
import { makeCache, randomPrefix, rawClient } from './support/cache.js';
import { spyOnWrites } from './support/wire.js';

describe('tags', () => {
  it('invalidateTags invalidates every item carrying the tag, in every namespace, and nothing else', async () => {
    const cache = makeCache();
    await cache.set('a', 'k1', 1, { tags: ['red'] });
    await cache.set(['b', 'c'], 'k2', 2, { tags: ['red', 'blue'] });
    await cache.set('a', 'k3', 3, { tags: ['blue'] });
    await cache.set('a', 'k4', 4);
    expect(await cache.get('a', 'k1')).toBe(1);
    await cache.invalidateTags(['red']);
    expect(await cache.get('a', 'k1')).toBeUndefined();
    expect(await cache.get(['b', 'c'], 'k2')).toBeUndefined();
    expect(await cache.get('a', 'k3')).toBe(3);
    expect(await cache.get('a', 'k4')).toBe(4);
    expect(await cache.getMulti('a', ['k1', 'k3', 'k4'])).toEqual(
      new Map([
        ['k3', 3],
        ['k4', 4],
      ]),
    );
    // Written after the invalidation: valid again.
    await cache.set('a', 'k1', 10, { tags: ['red'] });
    expect(await cache.get('a', 'k1')).toBe(10);
    expect(cache.stats().tagInvalidations).toBe(1);
  });

  it('setMulti writes every value with its tags', async () => {
    const cache = makeCache();
    expect(await cache.setMulti('ns', { a: 1, b: 2 }, { tags: ['both'] })).toBe(true);
    expect((await cache.getEntry('ns', 'a'))?.tags).toEqual(['both']);
    await cache.invalidateTags(['both']);
    expect(await cache.getMulti('ns', ['a', 'b'])).toEqual(new Map());
  });

  it('a cache that never used tags still checks the tags of an item another cache wrote (two round trips)', async () => {
    const prefix = randomPrefix();
    const writer = makeCache({ prefix });
    const client = rawClient();
    const reader = new NamespacedCache({ client, prefix });
    await writer.set('ns', 'k', 'v', { tags: ['t1', 't2', 't3'] });
    await reader.get('ns', 'other'); // tokens known
    const spy = spyOnWrites(client);
    expect(await reader.get('ns', 'k')).toBe('v');
    expect(spy.turns()).toBe(2); // data (+ token), then the tags
    spy.clear();
    // Now remembered: one round trip, tag reads in the same write as the data read.
    expect(await reader.get('ns', 'k')).toBe('v');
    expect(spy.turns()).toBe(1);
    expect(spy.requests().length).toBe(5);
    await writer.invalidateTags(['t2']);
    expect(await reader.get('ns', 'k')).toBeUndefined();
    await reader.close();
  });

  it('getOrSet with its tags declared reads them with the data: one round trip on a hit', async () => {
    const client = rawClient();
    const cache = new NamespacedCache({ client, prefix: randomPrefix() });
    const options = { tags: ['a', 'b', 'c'] };
    expect(await cache.getOrSet('ns', 'k', () => 'v', options)).toBe('v');
    const spy = spyOnWrites(client);
    expect(await cache.getOrSet('ns', 'k', () => 'other', options)).toBe('v');
    expect(spy.turns()).toBe(1);
    expect(spy.requests()).toHaveLength(5); // data, token, 3 tag records
    await cache.close();
  });

  it('invalidateTags sends one write per tag', async () => {
    const client = rawClient();
    const cache = new NamespacedCache({ client, prefix: randomPrefix() });
    const spy = spyOnWrites(client);
    await cache.invalidateTags(['a', 'b', 'a']);
    expect(spy.requests().map((request) => request.opcode)).toEqual([0x01, 0x01]); // two sets
    await cache.close();
  });

  it('an untagged read sends exactly what it did before tags', async () => {
    const client = rawClient();
    const cache = new NamespacedCache({ client, prefix: randomPrefix() });
    await cache.set('ns', 'k', 'v');
    await cache.get('ns', 'k');
    const spy = spyOnWrites(client);
    expect(await cache.get('ns', 'k')).toBe('v');
    expect(spy.requests().map((request) => request.opcode)).toEqual([0, 0]); // data get + token get
    expect(spy.blobs().length).toBe(1);
    await cache.close();
  });

  it('getMulti adds at most one round trip for all the tags of all its items', async () => {
    const prefix = randomPrefix();
    const writer = makeCache({ prefix });
    for (let index = 0; index < 20; index += 1)
      await writer.set('ns', `k${index}`, index, { tags: [`t${index}`, 'all'] });
    const client = rawClient();
    const reader = new NamespacedCache({ client, prefix });
    await reader.get('ns', 'warm');
    const keys = Array.from({ length: 20 }, (_, index) => `k${index}`);
    const spy = spyOnWrites(client);
    expect((await reader.getMulti('ns', keys)).size).toBe(20);
    expect(spy.turns()).toBe(2); // data (and token), then all 21 tags at once
    spy.clear();
    expect((await reader.getMulti('ns', keys)).size).toBe(20);
    expect(spy.turns()).toBe(1); // remembered: the tags go with the data
    await writer.invalidateTags(['all']);
    expect((await reader.getMulti('ns', keys)).size).toBe(0);
    await reader.close();
  });

  it('T2: a lost tag record never brings an invalidated item back', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    await cache.set('ns', 'k', 'v', { tags: ['t'] });
    expect(await cache.get('ns', 'k')).toBe('v');
    // What eviction or a restart does: the record is gone.
    const client = rawClient();
    const keys = await new Promise<string[]>((resolve) => {
      // The record's key is <prefix>:g:<h64(tag)>: delete whatever the cache reads for the tag.
      const spy = spyOnWrites(client);
      const probe = new NamespacedCache({ client, prefix });
      probe.getTagStates(['t']).then(() => {
        resolve(spy.requests().map((request) => request.key));
        void probe.close();
      });
    });
    const recordKey = keys.find((key) => key.startsWith(`${prefix}:g:`)) as string;
    await client.delete(recordKey);
    expect(await cache.get('ns', 'k')).toBeUndefined();
    const states = await cache.getTagStates(['t']);
    expect(states.get('t')?.staleAt).toBeGreaterThan(Date.now() - 5000);
  });

  it('getEntry reports read-time tags by time, and stale entries after a soft invalidation', async () => {
    const cache = makeCache();
    const before = Date.now();
    await cache.set('ns', 'k', { a: 1 }, { tags: ['x'] });
    const entry = await cache.getEntry('ns', 'k', { tags: ['soft-path'] });
    // 'soft-path' had no record: created now, after the entry: expired (T2).
    expect(entry).toBeUndefined();
    // Read-time tags judge by time, to the millisecond: write after the record's creation.
    const created = (await cache.getTagStates(['soft-path'])).get('soft-path')?.staleAt ?? 0;
    while (Date.now() <= created) await new Promise(setImmediate);
    await cache.set('ns', 'k', { a: 2 }, { tags: ['x'] });
    const fresh = await cache.getEntry<{ a: number }>('ns', 'k', { tags: ['soft-path'] });
    expect(fresh).toMatchObject({ value: { a: 2 }, state: 'fresh', tags: ['x'] });
    expect(fresh?.writtenAt).toBeGreaterThanOrEqual(before);
    await cache.invalidateTags(['soft-path'], { staleFor: 60 });
    const stale = await cache.getEntry('ns', 'k', { tags: ['soft-path'] });
    expect(stale?.state).toBe('stale');
    expect(await cache.get('ns', 'k')).toEqual({ a: 2 }); // get does not check read-time tags it was not given
    await cache.invalidateTags(['x'], { staleFor: 60 });
    expect(await cache.get('ns', 'k')).toBeUndefined();
    expect((await cache.getEntry('ns', 'k'))?.state).toBe('stale');
    await cache.invalidateTags(['x']);
    expect(await cache.getEntry('ns', 'k')).toBeUndefined();
    const states = await cache.getTagStates(['x', 'soft-path']);
    const x = states.get('x');
    expect(x?.staleAt).toBe(x?.expiredAt);
    const soft = states.get('soft-path');
    expect((soft?.expiredAt ?? 0) - (soft?.staleAt ?? 0)).toBe(60_000);
  });

  it('a soft invalidation after a hard one never revives what the hard one expired', async () => {
    const cache = makeCache();
    await cache.set('ns', 'k', 1, { tags: ['t'] });
    await cache.invalidateTags(['t']);
    await cache.invalidateTags(['t'], { staleFor: 60 });
    expect(await cache.getEntry('ns', 'k')).toBeUndefined();
    expect(await cache.getOrSet('ns', 'k', () => 2, { tags: ['t'] })).toBe(2);
  });

  it('T1: a getOrSet whose loader ran across an invalidation is never served after it', async () => {
    const cache = makeCache();
    const other = makeCache({
      prefix: (cache as unknown as { core: { settings: { prefix: string } } }).core.settings.prefix,
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started!: () => void;
    const loading = new Promise<void>((resolve) => {
      started = resolve;
    });
    const first = cache.getOrSet(
      'ns',
      'k',
      async () => {
        started();
        await gate;
        return 'old';
      },
      { tags: ['t'], lock: false },
    );
    await loading;
    await other.invalidateTags(['t']);
    release();
    expect(await first).toBe('old');
    expect(await other.get('ns', 'k')).toBeUndefined();
    expect(await cache.get('ns', 'k')).toBeUndefined();
    expect(await cache.getOrSet('ns', 'k', () => 'new', { tags: ['t'] })).toBe('new');
    expect(await other.get('ns', 'k')).toBe('new');
  });

  it('a soft tag invalidation: getOrSet serves the old value at once and refreshes it once', async () => {
    const cache = makeCache();
    await cache.getOrSet('ns', 'k', () => 'v1', { tags: ['t'] });
    await cache.invalidateTags(['t'], { staleFor: 30 });
    let loads = 0;
    const loader = async () => {
      loads += 1;
      return 'v2';
    };
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => cache.getOrSet('ns', 'k', loader, { tags: ['t'] })),
    );
    expect(answers).toEqual(['v1', 'v1', 'v1', 'v1', 'v1']);
    expect(cache.stats().staleAfterClear).toBe(5);
    await expect.poll(() => cache.get('ns', 'k')).toBe('v2');
    expect(loads).toBe(1);
  });

  it('a soft namespace clear: getOrSet serves the old value, get does not, a hard clear ends it', async () => {
    const cache = makeCache();
    await cache.set(['a', 'b'], 'k', 'old');
    await cache.deleteNamespace('a', { staleFor: 30 });
    expect(await cache.get(['a', 'b'], 'k')).toBeUndefined();
    expect(await cache.getEntry(['a', 'b'], 'k')).toMatchObject({ value: 'old', state: 'stale' });
    let loads = 0;
    const load = async () => {
      loads += 1;
      return 'new';
    };
    expect(await cache.getOrSet(['a', 'b'], 'k', load)).toBe('old');
    await expect.poll(() => cache.get(['a', 'b'], 'k')).toBe('new');
    expect(loads).toBe(1);
    await cache.set('x', 'k', 'old');
    await cache.deleteNamespace('x', { staleFor: 30 });
    await cache.deleteNamespace('x');
    expect(await cache.getEntry('x', 'k')).toBeUndefined();
    expect(await cache.getOrSet('x', 'k', () => 'new')).toBe('new');
  });

  it('a soft namespace clear leaves the token key as a 0.2.0 reader expects it', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    const client = rawClient();
    await cache.set('ns', 'k', 1);
    const spy = spyOnWrites(client);
    const probe = new NamespacedCache({ client, prefix });
    await probe.get('ns', 'k');
    const tokenKey = spy.requests().find((request) => request.key.startsWith(`${prefix}:t:`))?.key as string;
    await cache.deleteNamespace('ns', { staleFor: 30 });
    const { value } = await client.get(tokenKey);
    expect(value?.toString()).toMatch(/^[0-9a-f]{16}$/);
    await probe.close();
  });

  it('refuses bad tags before anything is sent', async () => {
    const client = rawClient();
    const cache = new NamespacedCache({ client, prefix: randomPrefix() });
    await cache.get('ns', 'warm');
    const spy = spyOnWrites(client);
    const tooMany = Array.from({ length: MAX_TAGS + 1 }, (_, index) => `t${index}`);
    await expect(cache.set('ns', 'k', 1, { tags: tooMany })).rejects.toThrow(RangeError);
    await expect(cache.set('ns', 'k', 1, { tags: ['x'.repeat(MAX_TAG_LENGTH + 1)] })).rejects.toThrow(RangeError);
    await expect(cache.set('ns', 'k', 1, { tags: [''] })).rejects.toThrow(TypeError);
    await expect(cache.set('ns', 'k', 1, { tags: 'a' as never })).rejects.toThrow(TypeError);
    await expect(cache.invalidateTags(tooMany)).rejects.toThrow(RangeError);
    await expect(cache.invalidateTags(['a'], { staleFor: -1 })).rejects.toThrow(RangeError);
    await expect(cache.getEntry('ns', 'k', { tags: [1 as never] })).rejects.toThrow(TypeError);
    await expect(cache.deleteNamespace('ns', { staleFor: 'x' as never })).rejects.toThrow(TypeError);
    expect(spy.requests()).toEqual([]);
    // At the limit is fine.
    const atLimit = Array.from({ length: MAX_TAGS }, (_, index) => `t${index}`);
    expect(await cache.set('ns', 'k', 1, { tags: atLimit })).toBe(true);
    expect(await cache.get('ns', 'k')).toBe(1);
    await cache.close();
  });

  it('invalidateTags rejects when a write is not acknowledged', async () => {
    const cache = new NamespacedCache({ servers: '127.0.0.1:1', prefix: randomPrefix(), timeout: 0.2 });
    await expect(cache.invalidateTags(['a', 'b'])).rejects.toMatchObject({
      name: 'CacheError',
      operation: 'invalidateTags',
    });
    await cache.close();
  });
});
