// Adversarial: the Next.js handlers fed what Next really sends (long implicit path tags, pages that
// collect more than 128 tags, fetches with 128 tags plus soft tags), I3 through a handler, and
// pending sets that never settle.
import { describe, expect, it } from 'vitest';
import { createCacheHandler, createIncrementalCacheHandler, type UseCacheEntry } from '../../../src/next/index.js';
import { errorLog, makeCache } from '../../support/cache.js';
import { entryOf, nextMillisecond, text } from '../../support/next.js';

function incremental(cache = makeCache()) {
  const Handler = createIncrementalCacheHandler(cache, { buildId: 'b1' });
  return new Handler({} as never);
}

describe('use cache handler: what Next sends', () => {
  it('get with an implicit path tag over 1024 characters (a long URL) fails open, never rejects', async () => {
    const handler = createCacheHandler(makeCache());
    await handler.set('k', Promise.resolve(entryOf('v')));
    const longPathTag = `_N_T_/${'segment/'.repeat(140)}`; // a 1,126-character pathname
    await expect(handler.get('k', [longPathTag])).resolves.not.toThrow();
  });

  it('get with more than 128 soft tags fails open, never rejects', async () => {
    const handler = createCacheHandler(makeCache());
    const softTags = Array.from({ length: 130 }, (_, index) => `_N_T_/a/${index}`);
    const result = await handler.get('k', softTags).then(
      () => 'resolved',
      (error: unknown) => `rejected: ${String(error)}`,
    );
    expect(result).toBe('resolved');
  });

  it('set of an entry with 129 tags does not reject (Next awaits it in the render path)', async () => {
    const handler = createCacheHandler(makeCache());
    const tags = Array.from({ length: 129 }, (_, index) => `tag-${index}`);
    const result = await handler.set('k', Promise.resolve(entryOf('v', { tags }))).then(
      () => 'resolved',
      (error: unknown) => `rejected: ${String(error)}`,
    );
    expect(result).toBe('resolved');
  });

  it('I3: an entry over the item limit replacing a stored one leaves nothing readable', async () => {
    const log = errorLog();
    const handler = createCacheHandler(makeCache({ onError: log.onError }));
    await handler.set('k', Promise.resolve(entryOf('old')));
    expect(await text(await handler.get('k', []))).toBe('old');
    const random = new Uint8Array(2 * 1024 * 1024).map(() => Math.floor(Math.random() * 256));
    await handler.set('k', Promise.resolve(entryOf(random)));
    expect(await handler.get('k', [])).toBeUndefined();
  });

  it('a get after a set whose pending entry never settles returns within bounded time', async () => {
    const handler = createCacheHandler(makeCache({ timeout: 0.3 }));
    void handler.set('k', new Promise<UseCacheEntry>(() => {}));
    const started = Date.now();
    const result = await Promise.race([
      handler.get('k', []).then(() => 'settled'),
      new Promise((resolve) => setTimeout(() => resolve('hung'), 3000)),
    ]);
    expect(result).toBe('settled');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a get after a set whose pending entry rejects resolves (nothing stored)', async () => {
    const handler = createCacheHandler(makeCache());
    const setting = handler.set('k', Promise.reject(new Error('render failed'))).catch(() => undefined);
    await expect(handler.get('k', [])).resolves.toBeUndefined();
    await setting;
  });

  it('updateTags with { expire: NaN } or negative expire is a hard expiry, not a crash', async () => {
    const handler = createCacheHandler(makeCache());
    await handler.set('k', Promise.resolve(entryOf('v', { tags: ['posts'] })));
    nextMillisecond();
    await handler.updateTags(['posts'], { expire: Number.NaN });
    expect(await handler.get('k', [])).toBeUndefined();
  });
});

describe('incremental handler: what Next sends', () => {
  it('a fetch with 128 tags plus its page soft tags: get fails open, never rejects', async () => {
    const handler = incremental();
    const tags = Array.from({ length: 128 }, (_, index) => `t${index}`);
    const softTags = ['_N_T_/layout', '_N_T_/posts/layout', '_N_T_/posts'];
    const result = await handler.get('fetch-key', { kind: 'FETCH', tags, softTags } as never).then(
      () => 'resolved',
      (error: unknown) => `rejected: ${String(error)}`,
    );
    expect(result).toBe('resolved');
  });

  // Changed from "is stored and served": a page with more tags than the cache checks per item is not
  // stored (an invalidation of a tag left out would miss it), reported to onError; set never rejects.
  it('a page whose x-next-cache-tags collects more than 128 tags: set resolves, not stored, reported', async () => {
    const errors: Error[] = [];
    const Handler = createIncrementalCacheHandler(makeCache(), {
      buildId: 'b1',
      onError: (error) => errors.push(error),
    });
    const handler = new Handler({} as never);
    const tags = Array.from({ length: 200 }, (_, index) => `fetch-tag-${index}`).join(',');
    const page = {
      kind: 'APP_PAGE',
      html: '<p>x</p>',
      rscData: undefined,
      headers: { 'x-next-cache-tags': tags },
      status: 200,
    };
    const result = await handler.set('/p', page, {} as never).then(
      () => 'resolved',
      (error: unknown) => `rejected: ${String(error)}`,
    );
    expect(result).toBe('resolved');
    expect(await handler.get('/p', { kind: 'APP_PAGE' } as never)).toBeNull();
    expect(errors.map((error) => (error as { code?: string }).code)).toEqual(['E_TAG']); // a coded CacheError since 404af25
  });

  it('a page whose x-next-cache-tags has an empty item (a,,b) does not reject', async () => {
    const handler = incremental();
    const page = { kind: 'APP_PAGE', html: '<p>x</p>', headers: { 'x-next-cache-tags': 'a,,b' }, status: 200 };
    const result = await handler.set('/q', page, {} as never).then(
      () => 'resolved',
      (error: unknown) => `rejected: ${String(error)}`,
    );
    expect(result).toBe('resolved');
  });
});
