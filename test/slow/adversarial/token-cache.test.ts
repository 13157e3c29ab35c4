// Adversarial: soft clears with tokenCacheTtl (own clears apply at once) and through handles.
import { describe, expect, it } from 'vitest';
import { makeCache, randomPrefix } from '../../support/cache.js';

describe('soft clears and remembered tokens', () => {
  it("tokenCacheTtl 60: this cache's own soft clear applies at once to plain get", async () => {
    const cache = makeCache({ tokenCacheTtl: 60 });
    await cache.set('ns', 'k', 'old');
    expect(await cache.get('ns', 'k')).toBe('old');
    await cache.deleteNamespace('ns', { staleFor: 30 });
    expect(await cache.get('ns', 'k')).toBeUndefined();
    expect(await cache.getOrSet('ns', 'k', async () => 'new')).toBe('old'); // stale, soft
  });

  it('tokenCacheTtl 60: own soft clear of a parent applies at once to the child', async () => {
    const cache = makeCache({ tokenCacheTtl: 60 });
    await cache.set(['p', 'c'], 'k', 'old');
    expect(await cache.get(['p', 'c'], 'k')).toBe('old');
    await cache.deleteNamespace('p', { staleFor: 30 });
    expect(await cache.get(['p', 'c'], 'k')).toBeUndefined();
  });

  it('tokenCacheTtl 60: own soft then hard clear, getOrSet does not serve the pre-soft value', async () => {
    const cache = makeCache({ tokenCacheTtl: 60 });
    await cache.set('ns', 'k', 'old');
    await cache.get('ns', 'k');
    await cache.deleteNamespace('ns', { staleFor: 30 });
    await cache.deleteNamespace('ns');
    expect(await cache.getOrSet('ns', 'k', async () => 'new')).toBe('new');
  });

  it('a handle soft clear (clear({ staleFor })) is soft, or refused — never silently something else', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    const handle = cache.namespace('ns');
    await handle.set('k', 'old');
    const outcome = await (handle.clear as (options?: unknown) => Promise<void>)({ staleFor: 30 }).then(
      () => 'ok',
      (error: unknown) => (error as Error).name,
    );
    if (outcome === 'ok') expect((await cache.getEntry('ns', 'k'))?.state).toBe('stale');
    else expect(outcome).toMatch(/TypeError/);
  });

  it("another cache's soft clear with tokenCacheTtl 0 reader: plain get misses at once", async () => {
    const prefix = randomPrefix();
    const reader = makeCache({ prefix });
    const clearer = makeCache({ prefix });
    await reader.set('ns', 'k', 'old');
    expect(await reader.get('ns', 'k')).toBe('old');
    await clearer.deleteNamespace('ns', { staleFor: 30 });
    expect(await reader.get('ns', 'k')).toBeUndefined();
    expect(await reader.getOrSet('ns', 'k', async () => 'new')).toBe('old');
  });
});
