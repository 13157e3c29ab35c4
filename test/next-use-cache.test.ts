import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { freePort } from '../scripts/memcached.js';
import { CacheError, NamespacedCache } from '../src/index.js';
import { createCacheHandler, createIncrementalCacheHandler, type UseCacheEntry } from '../src/next/index.js';
import { errorLog, makeCache, randomPrefix, rawClient } from './support/cache.js';
import { entryOf, nextMillisecond, text } from './support/next.js';
import { OPCODE_NAMES, spyOnWrites } from './support/wire.js';

/** A cache over a memjs client whose writes the test can watch, closed after the test. */
function watchedCache(prefix: string) {
  const client = rawClient();
  const cache = new NamespacedCache({ client, prefix });
  onTestFinished(() => cache.close());
  return { client, cache };
}

/** Two handlers on two caches of one prefix: two instances of the app. */
function twoInstances() {
  const prefix = randomPrefix();
  return [createCacheHandler(makeCache({ prefix })), createCacheHandler(makeCache({ prefix }))] as const;
}

/** What Next does on a request: get (a miss records the soft tags), render, set. */
async function render(
  handler: ReturnType<typeof createCacheHandler>,
  key: string,
  body: string,
  tags: string[],
  softTags: string[] = [],
) {
  expect(await handler.get(key, softTags)).toBeUndefined();
  // A render takes time: the miss above stamped the soft tags' new records, the entry comes after.
  nextMillisecond();
  await handler.set(key, Promise.resolve(entryOf(body, { tags })));
  nextMillisecond();
}

describe("createCacheHandler ('use cache')", () => {
  it('stores the stream whole and returns a new stream on every get, to every instance', async () => {
    const [a, b] = twoInstances();
    const entry = entryOf('<div>posts</div>', { tags: ['posts'] });
    await a.set('k', Promise.resolve(entry));
    const read = await b.get('k', []);
    expect(read).toMatchObject({
      tags: ['posts'],
      stale: 300,
      timestamp: entry.timestamp,
      expire: 3600,
      revalidate: 900,
    });
    expect(await text(read)).toBe('<div>posts</div>');
    expect(await text(await b.get('k', []))).toBe('<div>posts</div>');
  });

  it('makes a get wait for a set of the same key still pending in the process', async () => {
    const [a] = twoInstances();
    let finish = (_entry: UseCacheEntry): void => {};
    const setting = a.set('k', new Promise<UseCacheEntry>((resolve) => (finish = resolve)));
    const getting = a.get('k', []);
    finish(entryOf('late'));
    await setting;
    expect(await text(await getting)).toBe('late');
  });

  it('updateTags without durations expires the tag at once, in every instance', async () => {
    const [a, b] = twoInstances();
    await render(a, 'k', 'v1', ['posts']);
    expect(await text(await b.get('k', []))).toBe('v1');
    await b.updateTags(['posts']);
    expect(await a.get('k', [])).toBeUndefined();
    expect(await b.get('k', [])).toBeUndefined();
  });

  it('updateTags with durations serves the entry as stale (revalidate -1), then expires it after `expire`', async () => {
    const [a, b] = twoInstances();
    await render(a, 'k', 'v1', ['posts']);
    await a.updateTags(['posts'], { expire: 60 });
    const stale = await b.get('k', []);
    expect(stale?.revalidate).toBe(-1);
    expect(await text(stale)).toBe('v1');
    // The fresh entry written after the soft invalidation is fresh again.
    await b.set('k', Promise.resolve(entryOf('v2', { tags: ['posts'], timestamp: Date.now() + 1 })));
    expect((await a.get('k', []))?.revalidate).toBe(900);
    nextMillisecond();
    await a.updateTags(['posts'], { expire: 0 });
    expect(await b.get('k', [])).toBeUndefined();
  });

  it('a soft invalidation never brings back what a hard one expired', async () => {
    const [a] = twoInstances();
    await render(a, 'k', 'v1', ['posts']);
    await a.updateTags(['posts']);
    await a.updateTags(['posts'], { expire: 3600 });
    expect(await a.get('k', [])).toBeUndefined();
  });

  it("does not store as valid a render that an invalidation of its tags straddled (Next's timestamp)", async () => {
    const [a, b] = twoInstances();
    await render(a, 'warm', 'w', ['posts', 'authors']); // the records exist before the renders below
    const started = entryOf('v1', { tags: ['posts'] }); // the render begins: Next stamps `timestamp`
    nextMillisecond();
    await b.updateTags(['posts']); // lands during the render
    await a.set('k', Promise.resolve(started));
    expect(await a.get('k', [])).toBeUndefined();
    expect(await b.get('k', [])).toBeUndefined();
    // A soft invalidation during the render: the entry is stored, as stale (served once, rendered again).
    const softly = entryOf('v2', { tags: ['authors'] });
    nextMillisecond();
    await b.updateTags(['authors'], { expire: 60 });
    await a.set('k2', Promise.resolve(softly));
    const stale = await b.get('k2', []);
    expect(stale?.revalidate).toBe(-1);
    expect(await text(stale)).toBe('v2');
  });

  it('honours soft tags (revalidatePath) given to get', async () => {
    const [a, b] = twoInstances();
    await render(a, 'k', 'v1', [], ['_N_T_/layout', '_N_T_/posts']);
    expect(await text(await b.get('k', ['_N_T_/layout', '_N_T_/posts']))).toBe('v1');
    await b.updateTags(['_N_T_/posts']);
    expect(await a.get('k', ['_N_T_/layout', '_N_T_/posts'])).toBeUndefined();
    expect(await a.getExpiration(['_N_T_/posts'])).toBe(Number.POSITIVE_INFINITY);
  });

  it('reads a missing (evicted) tag record as expired, never as "never invalidated"', async () => {
    const prefix = randomPrefix();
    const { client, cache } = watchedCache(prefix);
    const handler = createCacheHandler(cache);
    await render(handler, 'k', 'v1', ['posts']);
    expect(await text(await handler.get('k', []))).toBe('v1');
    // What an eviction or a restart does: the tag's record (<prefix>:g:…, as the cache reads it) is gone.
    const wire = spyOnWrites(client);
    await cache.getTagStates(['posts']);
    const recordKey = wire.requests().find((request) => request.key.startsWith(`${prefix}:g:`))?.key;
    expect(recordKey).toBeDefined();
    await client.delete(recordKey as string);
    expect(await handler.get('k', [])).toBeUndefined();
    // The record is created again: the next render (begun after that read) is served.
    nextMillisecond();
    await handler.set('k', Promise.resolve(entryOf('v2', { tags: ['posts'] })));
    expect(await text(await handler.get('k', []))).toBe('v2');
  });

  it('reads an entry with its tags and soft tags in one round trip once the key is known', async () => {
    const prefix = randomPrefix();
    const writer = createCacheHandler(makeCache({ prefix }));
    await render(writer, 'k', 'v1', ['posts', 'authors'], ['_N_T_/posts']);
    const { client, cache } = watchedCache(prefix);
    const reader = createCacheHandler(cache);
    const getEntry = vi.spyOn(cache, 'getEntry');
    await reader.get('k', ['_N_T_/posts']);
    const wire = spyOnWrites(client);
    expect(await text(await reader.get('k', ['_N_T_/posts']))).toBe('v1');
    expect(getEntry).toHaveBeenCalledTimes(2);
    // One round trip: the namespace token, the entry and its three tags' records together.
    expect(wire.turns()).toBe(1);
    expect(wire.requests()).toHaveLength(5);
  });

  it('invalidates with one write per tag, idempotently (updateTag calls updateTags twice)', async () => {
    const prefix = randomPrefix();
    const { client, cache } = watchedCache(prefix);
    const handler = createCacheHandler(cache);
    await render(handler, 'k', 'v1', ['posts']);
    const wire = spyOnWrites(client);
    await handler.updateTags(['posts', 'posts', 'authors']);
    await handler.updateTags(['posts', 'authors']);
    expect(wire.requests().map((request) => OPCODE_NAMES[request.opcode])).toEqual(['set', 'set', 'set', 'set']);
    expect(await handler.get('k', [])).toBeUndefined();
  });

  it('shares tags with the incremental handler: an invalidation through either reaches both', async () => {
    const cache = makeCache();
    const useCache = createCacheHandler(cache);
    const Incremental = createIncrementalCacheHandler(cache, { buildId: 'b' });
    await render(useCache, 'k', 'v1', ['posts']);
    const page = { kind: 'APP_PAGE', html: 'p', headers: { 'x-next-cache-tags': 'posts' } };
    await new Incremental().set('/p', page, {});
    nextMillisecond();
    await new Incremental().revalidateTag('posts');
    expect(await useCache.get('k', [])).toBeUndefined();
    await render(useCache, 'k', 'v2', ['posts']);
    await new Incremental().set('/p', page, {});
    nextMillisecond();
    await useCache.updateTags(['posts']);
    expect(await new Incremental().get('/p', { kind: 'APP_PAGE' })).toBeNull();
  });

  it('does not store an entry over the item limit, counts and reports it, and compresses large ones', async () => {
    const log = errorLog();
    const cache = makeCache({ onError: log.onError });
    const handler = createCacheHandler(cache);
    const random = new Uint8Array(2 * 1024 * 1024).map(() => Math.floor(Math.random() * 256));
    await handler.set('big', Promise.resolve(entryOf(random)));
    expect(await handler.get('big', [])).toBeUndefined();
    expect(log.errors.map((error) => error.code)).toContain('E_VALUE_TOO_LARGE');
    expect(cache.stats().errors.E_VALUE_TOO_LARGE).toBe(1);
    // 2 MB of text compresses under the limit: stored, compressed, and read back whole.
    const owned = createCacheHandler(makeCache({ compression: true }));
    const page = '<li>post</li>'.repeat(160_000);
    await owned.set('page', Promise.resolve(entryOf(page)));
    expect(await text(await owned.get('page', []))).toBe(page);
  });

  it('reads an entry it did not write as a miss, reported as E_CORRUPT_VALUE', async () => {
    const cache = makeCache();
    const onError = vi.fn();
    const handler = createCacheHandler(cache, { onError });
    await cache.set('next', JSON.stringify(['use-cache', '', 'k']), new Uint8Array([9, 9, 9]));
    expect(await handler.get('k', [])).toBeUndefined();
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'E_CORRUPT_VALUE' }));
  });

  it('stores nothing when the stream fails, and reports it', async () => {
    const onError = vi.fn();
    const handler = createCacheHandler(makeCache(), { onError });
    const failing = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([1, 2, 3]));
        controller.error(new Error('render failed'));
      },
    });
    await handler.set('k', Promise.resolve({ ...entryOf(''), value: failing }));
    expect(await handler.get('k', [])).toBeUndefined();
    expect(onError).toHaveBeenCalledWith(
      expect.objectContaining({ code: 'E_LOADER', cause: new Error('render failed') }),
    );
  });

  it('does not store a dynamic entry (expire 0), as Next does in production', async () => {
    const cache = makeCache();
    const handler = createCacheHandler(cache);
    const set = vi.spyOn(cache, 'set');
    await handler.set('k', Promise.resolve(entryOf('dynamic', { expire: 0 })));
    expect(set).not.toHaveBeenCalled();
  });

  it('fails open when memcached is down, and rejects an invalidation it could not store', async () => {
    const log = errorLog();
    const cache = new NamespacedCache({
      servers: `127.0.0.1:${await freePort()}`,
      prefix: randomPrefix(),
      onError: log.onError,
    });
    try {
      const handler = createCacheHandler(cache);
      await handler.set('k', Promise.resolve(entryOf('v1', { tags: ['posts'] })));
      expect(await handler.get('k', ['_N_T_/posts'])).toBeUndefined();
      await expect(handler.updateTags(['posts'])).rejects.toBeInstanceOf(CacheError);
      expect(log.errors.length).toBeGreaterThan(0);
    } finally {
      await cache.close();
    }
  });
});
