// Adversarial: T1 / I1 / I2 across real processes, with loaders that straddle the invalidation.
import { describe, expect, it } from 'vitest';
import { makeCache, randomPrefix, servers } from '../../support/cache.js';
import { inChild } from './child.js';

describe('T1 across processes', () => {
  it("an item whose loader ran across another process's invalidateTags is never served after", async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    const value = await cache.getOrSet(
      'ns',
      'k',
      async () => {
        await inChild(servers, prefix, [{ op: 'invalidateTags', tags: ['t'] }]);
        return 'straddled';
      },
      { tags: ['t'] },
    );
    expect(value).toBe('straddled');
    expect(await cache.get('ns', 'k')).toBeUndefined();
    expect(await cache.getEntry('ns', 'k')).toBeUndefined();
    expect(await makeCache({ prefix }).get('ns', 'k')).toBeUndefined();
    expect(await inChild(servers, prefix, [{ op: 'get', namespace: 'ns', key: 'k' }])).toEqual([null]);
    expect(await cache.getOrSet('ns', 'k', async () => 'reloaded', { tags: ['t'] })).toBe('reloaded');
  });

  it('a getOrSet without declared tags (item tagged by an earlier writer) after a remote invalidation reloads', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    await cache.set('ns', 'k', 'old', { tags: ['t'] });
    expect(await cache.get('ns', 'k')).toBe('old'); // remembered tags
    await inChild(servers, prefix, [{ op: 'invalidateTags', tags: ['t'] }]);
    expect(await cache.get('ns', 'k')).toBeUndefined();
    expect(await cache.getOrSet('ns', 'k', async () => 'new')).toBe('new');
  });

  it('a set in another process that straddles invalidateTags here is not served', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    // Many tagged sets race one invalidation; after it resolves, a value set before it began is gone.
    await inChild(servers, prefix, [{ op: 'set', namespace: 'ns', key: 'k', value: 'before', tags: ['t'] }]);
    await cache.invalidateTags(['t']);
    expect(await inChild(servers, prefix, [{ op: 'get', namespace: 'ns', key: 'k' }])).toEqual([null]);
  });

  it('soft invalidation in another process: plain get misses, getEntry stale, getOrSet serves stale once', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    await cache.set('ns', 'k', 'old', { tags: ['t'] });
    await inChild(servers, prefix, [{ op: 'invalidateTags', tags: ['t'], staleFor: 30 }]);
    expect(await cache.get('ns', 'k')).toBeUndefined();
    expect((await cache.getMulti('ns', ['k'])).size).toBe(0);
    expect((await cache.getEntry('ns', 'k'))?.state).toBe('stale');
  });
});

describe('I1/I2 across processes', () => {
  it('a getOrSet loader across a remote deleteNamespace: value returned, never served', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    const value = await cache.getOrSet(['p', 'c'], 'k', async () => {
      await inChild(servers, prefix, [{ op: 'deleteNamespace', namespace: 'p' }]);
      return 'straddled';
    });
    expect(value).toBe('straddled');
    expect(await cache.get(['p', 'c'], 'k')).toBeUndefined();
    expect(await inChild(servers, prefix, [{ op: 'get', namespace: ['p', 'c'], key: 'k' }])).toEqual([null]);
  });

  it('a getOrSet loader across a remote SOFT deleteNamespace: never served to get', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    await cache.getOrSet('ns', 'k', async () => {
      await inChild(servers, prefix, [{ op: 'deleteNamespace', namespace: 'ns', staleFor: 30 }]);
      return 'straddled';
    });
    expect(await cache.get('ns', 'k')).toBeUndefined();
    expect(await inChild(servers, prefix, [{ op: 'get', namespace: 'ns', key: 'k' }])).toEqual([null]);
  });
});
