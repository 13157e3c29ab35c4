import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { decodeValue, encodeValue } from '../src/next/incremental-value.js';
import { createIncrementalCacheHandler } from '../src/next/index.js';
import { makeCache, randomPrefix } from './support/cache.js';
import { nextMillisecond } from './support/next.js';

/** A page as Next's incremental cache stores it (CachedRouteKind.APP_PAGE). */
function page(html: string, tags: string[]) {
  return {
    kind: 'APP_PAGE',
    html,
    rscData: Buffer.from(`rsc:${html}`),
    segmentData: new Map([['/_tree', Buffer.from([0, 1, 255])]]),
    headers: { 'x-next-cache-tags': tags.join(',') },
    status: 200,
    postponed: undefined,
  };
}

const pageSet = { cacheControl: { revalidate: 60, expire: 3600 } };
const pageGet = { kind: 'APP_PAGE', isFallback: false };

/** Two instances of the app: one handler class each, over two caches of one prefix. */
function twoInstances(buildIds: [string, string] = ['b', 'b']) {
  const prefix = randomPrefix();
  return buildIds.map((buildId) => createIncrementalCacheHandler(makeCache({ prefix }), { buildId }));
}

describe('createIncrementalCacheHandler (ISR, route handlers, fetch cache)', () => {
  it('reads an entry it did not write as a miss, reported as E_CORRUPT_VALUE', async () => {
    const cache = makeCache();
    const onError = vi.fn();
    const Handler = createIncrementalCacheHandler(cache, { buildId: 'b', onError });
    await cache.set('next', JSON.stringify(['incremental', 'b', '/p']), 'not an entry of the handler');
    expect(await new Handler().get('/p', pageGet)).toBeNull();
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'E_CORRUPT_VALUE' }));
  });

  it('shares a page, Buffers and Maps included, between instances and per-request objects', async () => {
    const [A, B] = twoInstances();
    if (!A || !B) throw new Error('two handlers');
    const stored = page('<p>isr</p>', ['posts', '_N_T_/isr']);
    const before = Date.now();
    await new A().set('/isr', stored, pageSet);
    const read = await new B().get('/isr', pageGet);
    expect(read?.value).toEqual(stored);
    expect(read?.cacheControl).toEqual(pageSet.cacheControl);
    expect(read?.lastModified).toBeGreaterThanOrEqual(before);
    // Next constructs the class per request: a new object still sees the entry.
    expect((await new A().get('/isr', pageGet))?.value).toEqual(stored);
  });

  it("checks a page's tags itself: revalidateTag expires it, revalidatePath (an implicit tag) too", async () => {
    const [A, B] = twoInstances();
    if (!A || !B) throw new Error('two handlers');
    await new A().get('/isr', pageGet);
    nextMillisecond();
    await new A().set('/isr', page('v1', ['posts', '_N_T_/isr']), pageSet);
    nextMillisecond();
    await new B().revalidateTag('posts');
    expect(await new A().get('/isr', pageGet)).toBeNull();
    await new A().set('/isr', page('v2', ['posts', '_N_T_/isr']), pageSet);
    expect((await new B().get('/isr', pageGet))?.value).toMatchObject({ html: 'v2' });
    await new B().revalidateTag(['_N_T_/isr']);
    expect(await new A().get('/isr', pageGet)).toBeNull();
  });

  it('does not store as valid a page whose render an invalidation of its tags straddled', async () => {
    const [A, B] = twoInstances();
    if (!A || !B) throw new Error('two handlers');
    await new B().revalidateTag('posts'); // the record exists before the render
    nextMillisecond();
    expect(await new A().get('/isr', pageGet)).toBeNull(); // Next renders after this miss
    nextMillisecond();
    await new B().revalidateTag('posts'); // lands during the render
    await new A().set('/isr', page('v1', ['posts']), pageSet);
    expect(await new B().get('/isr', pageGet)).toBeNull();
    // The next render, begun after the invalidation, is stored.
    nextMillisecond();
    await new A().set('/isr', page('v2', ['posts']), pageSet);
    expect((await new B().get('/isr', pageGet))?.value).toMatchObject({ html: 'v2' });
  });

  it('serves a soft-invalidated page as past its revalidate time, not past its expire time', async () => {
    const [A, B] = twoInstances();
    if (!A || !B) throw new Error('two handlers');
    await new A().set('/isr', page('v1', ['posts']), pageSet);
    nextMillisecond();
    await new B().revalidateTag('posts', { expire: 300 });
    const read = await new A().get('/isr', pageGet);
    // Measured after the read: the handler stamps lastModified from its own clock during the get.
    const now = Date.now();
    expect(read?.value).toMatchObject({ html: 'v1' });
    const age = now - (read?.lastModified ?? now);
    expect(age).toBeGreaterThanOrEqual(60_000);
    expect(age).toBeLessThan(3_600_000);
  });

  it('checks a fetch entry against its tags and the soft tags given to get', async () => {
    const [A, B] = twoInstances();
    if (!A || !B) throw new Error('two handlers');
    const data = { kind: 'FETCH', data: { headers: {}, body: 'e30=', status: 200, url: 'https://x' }, revalidate: 30 };
    const fetchGet = { kind: 'FETCH', tags: ['authors'], softTags: ['_N_T_/layout'], revalidate: 30 };
    await new A().get('f', fetchGet);
    nextMillisecond();
    await new A().set('f', data, { fetchCache: true, tags: ['authors'] });
    expect((await new B().get('f', fetchGet))?.value).toEqual(data);
    nextMillisecond();
    await new A().revalidateTag('_N_T_/layout', { expire: 60 });
    const stale = await new B().get('f', fetchGet);
    expect(Date.now() - (stale?.lastModified ?? 0)).toBeGreaterThan(30_000);
    await new A().revalidateTag('_N_T_/layout');
    expect(await new B().get('f', fetchGet)).toBeNull();
  });

  it('scopes entries to the build (incremental keys carry no build id)', async () => {
    const [old, current] = twoInstances(['build-1', 'build-2']);
    if (!old || !current) throw new Error('two handlers');
    await new old().set('/isr', page('old', []), pageSet);
    expect((await new old().get('/isr', pageGet))?.value).toMatchObject({ html: 'old' });
    expect(await new current().get('/isr', pageGet)).toBeNull();
  });

  it('finds the build id next to the server directory Next gives the handler', async () => {
    const dist = mkdtempSync(join(tmpdir(), 'next-dist-'));
    onTestFinished(() => rmSync(dist, { recursive: true, force: true }));
    writeFileSync(join(dist, 'BUILD_ID'), 'build-1\n');
    const prefix = randomPrefix();
    const Built = createIncrementalCacheHandler(makeCache({ prefix }));
    const Named = createIncrementalCacheHandler(makeCache({ prefix }), { buildId: 'build-1' });
    const Other = createIncrementalCacheHandler(makeCache({ prefix }), { buildId: 'build-2' });
    await new Built({ serverDistDir: join(dist, 'server') }).set('/isr', page('v1', []), pageSet);
    expect((await new Named().get('/isr', pageGet))?.value).toMatchObject({ html: 'v1' });
    expect(await new Other().get('/isr', pageGet)).toBeNull();
  });

  it('keeps a page in memcached no longer than its expire time', async () => {
    const cache = makeCache();
    const Handler = createIncrementalCacheHandler(cache, { buildId: 'b' });
    const set = vi.spyOn(cache, 'set');
    await new Handler().set('/isr', page('v1', []), pageSet);
    expect(set.mock.calls[0]?.[3]).toMatchObject({ ttl: 3600 });
  });

  it("keeps a page with Next's default expire (INFINITE_CACHE, past 2038) until evicted", async () => {
    const cache = makeCache();
    const Handler = createIncrementalCacheHandler(cache, { buildId: 'b' });
    const set = vi.spyOn(cache, 'set');
    const forever = { cacheControl: { revalidate: 60, expire: 0xffff_fffe } };
    await new Handler().set('/isr', page('v1', []), forever);
    expect(set.mock.calls[0]?.[3]).toMatchObject({ ttl: 0 });
    expect((await new Handler().get('/isr', pageGet))?.value).toMatchObject({ html: 'v1' });
  });
});

describe('incremental values', () => {
  it('round-trip Buffers, Maps, nested and null values through JSON', () => {
    const value = { a: Buffer.from([0, 255]), m: new Map([['x', { b: new Uint8Array([7]) }]]), n: null, s: 'text' };
    expect(decodeValue(encodeValue(value))).toEqual({ ...value, m: new Map([['x', { b: Buffer.from([7]) }]]) });
    expect(decodeValue(encodeValue(null))).toBeNull();
  });
});
