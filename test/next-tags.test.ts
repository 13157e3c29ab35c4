import { describe, expect, it } from 'vitest';
import type { CacheError } from '../src/index.js';
import { createCacheHandler, createIncrementalCacheHandler, type UseCacheEntry } from '../src/next/index.js';
import { makeCache } from './support/cache.js';
import { entryOf, nextMillisecond, text } from './support/next.js';

// Next does not enforce the cache's tag limits: the handlers normalise its tags and fail open.

function handlerWithErrors() {
  const errors: Error[] = [];
  const handler = createCacheHandler(makeCache(), { onError: (error) => errors.push(error) });
  return { handler, errors };
}

const longPathTag = `_N_T_/${'segment/'.repeat(140)}`; // a 1,126-character pathname

describe('Next tags the cache would refuse', () => {
  it('a tag over 1024 characters is the same tag on write, read and invalidation', async () => {
    const { handler, errors } = handlerWithErrors();
    await handler.set('k', Promise.resolve(entryOf('v', { tags: [longPathTag] })));
    expect(await text(await handler.get('k', [longPathTag]))).toBe('v');
    nextMillisecond();
    await handler.updateTags([longPathTag]);
    expect(await handler.get('k', [])).toBeUndefined();
    // As a soft tag (read-time) too.
    await handler.set('k2', Promise.resolve(entryOf('v2')));
    nextMillisecond();
    expect(await text(await handler.get('k2', [longPathTag]))).toBe('v2');
    nextMillisecond();
    await handler.updateTags([longPathTag]);
    expect(await handler.get('k2', [longPathTag])).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it('a read with more than 128 soft tags is a miss, reported', async () => {
    const { handler, errors } = handlerWithErrors();
    await handler.set('k', Promise.resolve(entryOf('v')));
    const softTags = Array.from({ length: 130 }, (_, index) => `_N_T_/a/${index}`);
    expect(await handler.get('k', softTags)).toBeUndefined();
    expect(errors.map((error) => (error as CacheError).code)).toEqual(['E_TAG']);
  });

  it('an entry with 129 tags is not stored, reported, and the older entry is gone (I3)', async () => {
    const { handler, errors } = handlerWithErrors();
    await handler.set('k', Promise.resolve(entryOf('old')));
    const tags = Array.from({ length: 129 }, (_, index) => `tag-${index}`);
    await expect(handler.set('k', Promise.resolve(entryOf('new', { tags })))).resolves.toBeUndefined();
    expect(await handler.get('k', [])).toBeUndefined();
    expect(errors.map((error) => (error as CacheError).code)).toEqual(['E_TAG']);
  });

  it('duplicates count once and empty tags are dropped: 128 distinct tags are stored', async () => {
    const { handler, errors } = handlerWithErrors();
    const tags = Array.from({ length: 128 }, (_, index) => `tag-${index}`);
    await handler.set('k', Promise.resolve(entryOf('v', { tags: [...tags, 'tag-0', ''] })));
    expect(await text(await handler.get('k', []))).toBe('v');
    expect(errors).toEqual([]);
  });

  it('updateTags with 200 tags invalidates them all', async () => {
    const { handler } = handlerWithErrors();
    await handler.set('k', Promise.resolve(entryOf('v', { tags: ['tag-199'] })));
    nextMillisecond();
    await handler.updateTags(Array.from({ length: 200 }, (_, index) => `tag-${index}`));
    expect(await handler.get('k', [])).toBeUndefined();
  });

  it('a page whose x-next-cache-tags has an empty item (a,,b) is stored with a and b', async () => {
    const Handler = createIncrementalCacheHandler(makeCache(), { buildId: 'b1' });
    const handler = new Handler({});
    const page = { kind: 'APP_PAGE', html: '<p>x</p>', headers: { 'x-next-cache-tags': 'a,,b' }, status: 200 };
    await handler.set('/q', page, {});
    expect(await handler.get('/q', { kind: 'APP_PAGE' })).not.toBeNull();
    nextMillisecond();
    await handler.revalidateTag('b');
    expect(await handler.get('/q', { kind: 'APP_PAGE' })).toBeNull();
  });

  it('a fetch with 128 tags plus its page soft tags reads as a miss instead of rejecting', async () => {
    const Handler = createIncrementalCacheHandler(makeCache(), { buildId: 'b1' });
    const handler = new Handler({});
    const tags = Array.from({ length: 128 }, (_, index) => `t${index}`);
    const softTags = ['_N_T_/layout', '_N_T_/posts'];
    await expect(handler.get('fetch-key', { kind: 'FETCH', tags, softTags })).resolves.toBeNull();
  });
});

describe('a get behind a pending set', () => {
  it('a set whose entry never settles holds a get of its key back for a bounded time only', async () => {
    const { handler } = handlerWithErrors();
    await handler.set('k', Promise.resolve(entryOf('stored')));
    void handler.set('k', new Promise<UseCacheEntry>(() => {}));
    // Waits (up to 1 s), then reads memcached: the entry stored before.
    expect(await text(await handler.get('k', []))).toBe('stored');
    // By then the write is forgotten: later reads do not wait for it again.
    const started = performance.now();
    expect(await text(await handler.get('k', []))).toBe('stored');
    expect(performance.now() - started).toBeLessThan(500);
  });
});
