import { describe, expect, it } from 'vitest';
import { NamespacedCache } from '../src/index.js';
import { makeCache, randomPrefix, rawClient } from './support/cache.js';
import { spyOnWrites } from './support/wire.js';

/** The time just after the tag's record was last stamped: a computation that began after it. */
async function justAfter(cache: NamespacedCache, tag: string): Promise<number> {
  const state = (await cache.getTagStates([tag])).get(tag);
  return (state?.staleAt as number) + 1;
}

describe('set with computedAt (a value computed across an invalidation)', () => {
  it('stores nothing when a tag was invalidated at or after computedAt, and the older valid value stays', async () => {
    const cache = makeCache();
    await cache.set('ns', 'k', 'before', { tags: ['t'] });
    const computedAt = await justAfter(cache, 't');
    // A newer render, begun after everything, is stored first.
    expect(await cache.set('ns', 'k', 'newer', { tags: ['t'], computedAt })).toBe(true);
    const entry = await cache.getEntry('ns', 'k');
    expect(entry).toMatchObject({ value: 'newer', state: 'fresh' });

    const renderStart = Date.now();
    await cache.invalidateTags(['t']); // lands during the render
    expect(await cache.set('ns', 'k2', 'straddled', { tags: ['u', 't'], computedAt: renderStart })).toBe(false);
    expect(await cache.get('ns', 'k2')).toBeUndefined();
    expect(await cache.setMulti('ns', { a: 1, b: 2 }, { tags: ['t'], computedAt: renderStart })).toBe(false);
    expect(await cache.getMulti('ns', ['a', 'b'])).toEqual(new Map());
    expect(cache.stats().notStored).toBe(3);
    // Without computedAt the same write is stored as valid (what the option is for).
    expect(await cache.set('ns', 'k2', 'straddled', { tags: ['t'] })).toBe(true);
    expect(await cache.get('ns', 'k2')).toBe('straddled');
  });

  it('stores a value computed before a soft invalidation as stale, and expired once a hard one follows', async () => {
    const cache = makeCache();
    await cache.getTagStates(['t']); // the record exists before the render
    const renderStart = await justAfter(cache, 't');
    while (Date.now() < renderStart) await new Promise((resolve) => setImmediate(resolve));
    await cache.invalidateTags(['t'], { staleFor: 60 });
    expect(await cache.set('ns', 'k', 'v', { tags: ['t'], computedAt: renderStart })).toBe(true);
    const entry = await cache.getEntry('ns', 'k');
    expect(entry?.state).toBe('stale');
    expect(await cache.get('ns', 'k')).toBeUndefined(); // never served stale by a plain get
    await cache.invalidateTags(['t']);
    expect(await cache.set('ns', 'k', 'v', { tags: ['t'], computedAt: renderStart })).toBe(false);
    expect(await cache.getEntry('ns', 'k')).toBeUndefined();
  });

  it('a later invalidation still expires a value stored with computedAt (versions)', async () => {
    const cache = makeCache();
    await cache.getTagStates(['t']);
    const computedAt = await justAfter(cache, 't');
    expect(await cache.set('ns', 'k', 'v', { tags: ['t'], computedAt })).toBe(true);
    expect(await cache.get('ns', 'k')).toBe('v');
    await cache.invalidateTags(['t']);
    expect(await cache.get('ns', 'k')).toBeUndefined();
  });

  it('a tag with no record yet is created by the write and does not refuse it', async () => {
    const cache = makeCache();
    const computedAt = Date.now() - 1000;
    expect(await cache.set('ns', 'k', 'v', { tags: ['brand-new'], computedAt })).toBe(true);
    expect(await cache.get('ns', 'k')).toBe('v');
  });

  it('a record another process created during the computation does not refuse it; an invalidation does', async () => {
    const prefix = randomPrefix();
    const writer = makeCache({ prefix });
    const other = makeCache({ prefix });
    const computedAt = Date.now() - 1000;
    await other.getTagStates(['new-tag']); // found missing and created, after computedAt
    expect(await writer.set('ns', 'k', 'v', { tags: ['new-tag'], computedAt })).toBe(true);
    expect(await writer.get('ns', 'k')).toBe('v');
    await other.invalidateTags(['new-tag']);
    expect(await writer.set('ns', 'k2', 'v', { tags: ['new-tag'], computedAt })).toBe(false);
  });

  it('refuses a computedAt that is not epoch ms before anything is sent', async () => {
    const client = rawClient();
    const cache = new NamespacedCache({ client, prefix: randomPrefix() });
    const spy = spyOnWrites(client);
    for (const computedAt of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(cache.set('ns', 'k', 1, { tags: ['t'], computedAt })).rejects.toThrow(RangeError);
    }
    await expect(cache.set('ns', 'k', 1, { computedAt: '1' as unknown as number })).rejects.toThrow(TypeError);
    await expect(cache.setMulti('ns', { k: 1 }, { computedAt: new Date() as unknown as number })).rejects.toThrow(
      TypeError,
    );
    expect(spy.requests().length).toBe(0);
  });
});
