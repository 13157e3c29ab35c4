// Adversarial: soft and hard clears of namespaces and tags, in every order and across parent/child
// levels (I4 amended: a hard clear never serves the past; a soft one only as stale, never to get).
import { describe, expect, it } from 'vitest';
import { loadHasher } from '../../../src/hash.js';
import { makeCache, randomPrefix, rawClient } from '../../support/cache.js';

const loaderOf = (value: string) => async () => value;

describe('soft then hard, hard then soft: namespaces', () => {
  it('a soft clear never reaches plain get/getMulti, but getOrSet/getEntry see it stale', async () => {
    const cache = makeCache();
    await cache.set('ns', 'k', 'old');
    await cache.deleteNamespace('ns', { staleFor: 30 });
    expect(await cache.get('ns', 'k')).toBeUndefined();
    expect((await cache.getMulti('ns', ['k'])).size).toBe(0);
    expect((await cache.getEntry('ns', 'k'))?.state).toBe('stale');
    expect(await cache.getOrSet('ns', 'k', loaderOf('new'))).toBe('old');
  });

  it('soft clear then hard clear of the same namespace: nothing old is served', async () => {
    const cache = makeCache();
    await cache.set('ns', 'k', 'old');
    await cache.deleteNamespace('ns', { staleFor: 30 });
    await cache.deleteNamespace('ns');
    expect(await cache.getEntry('ns', 'k')).toBeUndefined();
    expect(await cache.getOrSet('ns', 'k', loaderOf('new'))).toBe('new');
  });

  it('soft clear then hard clear from another cache (another connection)', async () => {
    const cache = makeCache();
    const prefix = randomPrefix();
    const a = makeCache({ prefix });
    const b = makeCache({ prefix });
    void cache;
    await a.set('ns', 'k', 'old');
    await a.deleteNamespace('ns', { staleFor: 30 });
    await b.deleteNamespace('ns');
    expect(await a.getEntry('ns', 'k')).toBeUndefined();
    expect(await a.getOrSet('ns', 'k', loaderOf('new'))).toBe('new');
  });

  it('soft clear of the child, hard clear of the parent: the child value is gone', async () => {
    const cache = makeCache();
    await cache.set(['p', 'c'], 'k', 'old');
    await cache.deleteNamespace(['p', 'c'], { staleFor: 30 });
    await cache.deleteNamespace('p');
    expect(await cache.getEntry(['p', 'c'], 'k')).toBeUndefined();
    expect(await cache.getOrSet(['p', 'c'], 'k', loaderOf('new'))).toBe('new');
  });

  it('soft clear of the parent, hard clear of the child: the child value is gone', async () => {
    const cache = makeCache();
    await cache.set(['p', 'c'], 'k', 'old');
    await cache.deleteNamespace('p', { staleFor: 30 });
    await cache.deleteNamespace(['p', 'c']);
    expect(await cache.getEntry(['p', 'c'], 'k')).toBeUndefined();
    expect(await cache.getOrSet(['p', 'c'], 'k', loaderOf('new'))).toBe('new');
  });

  it('hard clear of the parent, then soft clear of the child: what the hard clear ended stays ended', async () => {
    const cache = makeCache();
    await cache.set(['p', 'c'], 'k', 'old');
    await cache.deleteNamespace('p');
    await cache.deleteNamespace(['p', 'c'], { staleFor: 30 });
    expect(await cache.getEntry(['p', 'c'], 'k')).toBeUndefined();
    expect(await cache.getOrSet(['p', 'c'], 'k', loaderOf('new'))).toBe('new');
  });

  it('hard clear then soft clear of the same namespace: the pre-hard value stays gone', async () => {
    const cache = makeCache();
    await cache.set('ns', 'k', 'old');
    await cache.deleteNamespace('ns');
    await cache.deleteNamespace('ns', { staleFor: 30 });
    expect(await cache.getEntry('ns', 'k')).toBeUndefined();
    expect(await cache.getOrSet('ns', 'k', loaderOf('new'))).toBe('new');
  });

  it('soft clear of the parent and soft clear of the child: a value two generations back is not served', async () => {
    const cache = makeCache();
    await cache.set(['p', 'c'], 'k', 'old');
    await cache.deleteNamespace('p', { staleFor: 30 });
    await cache.set(['p', 'c'], 'k', 'middle');
    await cache.deleteNamespace('p');
    await cache.deleteNamespace(['p', 'c'], { staleFor: 30 });
    // 'old' was ended by a hard clear of p; 'middle' too.
    const served = await cache.getOrSet(['p', 'c'], 'k', loaderOf('new'));
    expect(served).toBe('new');
  });

  it('soft clear, window over (staleFor 1): nothing old is served', async () => {
    const cache = makeCache();
    await cache.set('ns', 'k', 'old');
    await cache.deleteNamespace('ns', { staleFor: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await cache.getEntry('ns', 'k')).toBeUndefined();
    expect(await cache.getOrSet('ns', 'k', loaderOf('new'))).toBe('new');
  });

  it('a soft clear from a token written by 0.2.0 (plain 16 hex), then a tiny staleFor: not served', async () => {
    const cache = makeCache();
    await cache.set('ns', 'k', 'old');
    await cache.deleteNamespace('ns', { staleFor: 0.000_1 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await cache.getOrSet('ns', 'k', loaderOf('new'))).toBe('new');
  });
});

describe('soft then hard, hard then soft: tags', () => {
  it('soft then hard tag invalidation: not served', async () => {
    const cache = makeCache();
    await cache.set('ns', 'k', 'old', { tags: ['t'] });
    await cache.invalidateTags(['t'], { staleFor: 30 });
    expect((await cache.getEntry('ns', 'k'))?.state).toBe('stale');
    expect(await cache.get('ns', 'k')).toBeUndefined();
    await cache.invalidateTags(['t']);
    expect(await cache.getEntry('ns', 'k')).toBeUndefined();
    expect(await cache.getOrSet('ns', 'k', loaderOf('new'), { tags: ['t'] })).toBe('new');
  });

  it('hard then soft tag invalidation: the pre-hard item stays expired', async () => {
    const cache = makeCache();
    await cache.set('ns', 'k', 'old', { tags: ['t'] });
    await cache.invalidateTags(['t']);
    await cache.invalidateTags(['t'], { staleFor: 30 });
    expect(await cache.getEntry('ns', 'k')).toBeUndefined();
    expect(await cache.getOrSet('ns', 'k', loaderOf('new'), { tags: ['t'] })).toBe('new');
  });

  it('hard then soft, read-time tag (by time): the pre-hard item stays expired', async () => {
    const cache = makeCache();
    await cache.set('ns', 'k', 'old', { tags: ['own'] });
    await new Promise((resolve) => setTimeout(resolve, 3));
    await cache.invalidateTags(['_N_T_/p']);
    await cache.invalidateTags(['_N_T_/p'], { staleFor: 30 });
    expect(await cache.getEntry('ns', 'k', { tags: ['_N_T_/p'] })).toBeUndefined();
  });

  it('soft tag then soft namespace clear then hard tag: not served', async () => {
    const cache = makeCache();
    await cache.set('ns', 'k', 'old', { tags: ['t'] });
    await cache.invalidateTags(['t'], { staleFor: 30 });
    await cache.deleteNamespace('ns', { staleFor: 30 });
    await cache.invalidateTags(['t']);
    expect(await cache.getEntry('ns', 'k')).toBeUndefined();
    expect(await cache.getOrSet('ns', 'k', loaderOf('new'))).toBe('new');
  });

  it('soft namespace clear then hard tag: the previous generation is not served', async () => {
    const cache = makeCache();
    await cache.set('ns', 'k', 'old', { tags: ['t'] });
    await cache.deleteNamespace('ns', { staleFor: 30 });
    await cache.invalidateTags(['t']);
    expect(await cache.getEntry('ns', 'k')).toBeUndefined();
    expect(await cache.getOrSet('ns', 'k', loaderOf('new'))).toBe('new');
  });

  it('six soft invalidations in a row: an item from before the first is not served', async () => {
    const cache = makeCache();
    await cache.set('ns', 'k', 'old', { tags: ['t'] });
    await cache.invalidateTags(['t']);
    await cache.set('ns', 'k2', 'x', { tags: ['t'] });
    for (let round = 0; round < 6; round += 1) await cache.invalidateTags(['t'], { staleFor: 30 });
    expect(await cache.getEntry('ns', 'k')).toBeUndefined();
  });

  it('a lost (evicted) tag record during a soft window: nothing comes back as fresh', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    await cache.set('ns', 'k', 'old', { tags: ['t'] });
    await cache.invalidateTags(['t'], { staleFor: 30 });
    const states = await cache.getTagStates(['t']);
    expect(states.get('t')).toBeDefined();
    // Evict every tag record of this prefix: delete keys we can name by reading the entry's tag key.
    const client = rawClient();
    const { h64 } = await loadHasher();
    await client.delete(`${prefix}:g:${h64('t')}`);
    const fresh = makeCache({ prefix });
    expect(await fresh.get('ns', 'k')).toBeUndefined();
    expect(await fresh.getEntry('ns', 'k')).toBeUndefined();
  });
});
