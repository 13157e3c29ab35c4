// Adversarial: after a soft clear, exactly one refresh in the fleet; close() during soft clears.
import { describe, expect, it } from 'vitest';
import { makeCache, randomPrefix } from '../../support/cache.js';

describe('refresh after a soft clear', () => {
  it('30 concurrent getOrSet over 3 caches after a soft namespace clear: all stale, one load', async () => {
    const prefix = randomPrefix();
    const caches = [makeCache({ prefix }), makeCache({ prefix }), makeCache({ prefix })];
    await caches[0]?.set('ns', 'k', 'old');
    await caches[1]?.deleteNamespace('ns', { staleFor: 30 });
    let loads = 0;
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const loader = async () => {
      loads += 1;
      await gate;
      return 'new';
    };
    const values = await Promise.all(
      Array.from({ length: 30 }, (_, index) => caches[index % 3]?.getOrSet('ns', 'k', loader)),
    );
    expect(values).toEqual(Array(30).fill('old'));
    release();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(loads).toBe(1);
    expect(await caches[2]?.get('ns', 'k')).toBe('new');
  });

  it('30 concurrent getOrSet after a soft tag invalidation: all stale, one load', async () => {
    const prefix = randomPrefix();
    const caches = [makeCache({ prefix }), makeCache({ prefix }), makeCache({ prefix })];
    await caches[0]?.set('ns', 'k', 'old', { tags: ['t'] });
    await caches[1]?.invalidateTags(['t'], { staleFor: 30 });
    let loads = 0;
    const loader = async () => {
      loads += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return 'new';
    };
    const values = await Promise.all(
      Array.from({ length: 30 }, (_, index) => caches[index % 3]?.getOrSet('ns', 'k', loader, { tags: ['t'] })),
    );
    expect(values).toEqual(Array(30).fill('old'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(loads).toBe(1);
  });
});

describe('close() during soft invalidations', () => {
  it('close right after a soft clear and a soft tag invalidation start: both settle, close resolves', async () => {
    const cache = makeCache({ timeout: 0.5 });
    await cache.set('ns', 'k', 'v', { tags: ['t'] });
    const clearing = cache.deleteNamespace('ns', { staleFor: 30 }).then(
      () => 'ok',
      (error: unknown) => (error as { code?: string }).code,
    );
    const invalidating = cache.invalidateTags(['t'], { staleFor: 30 }).then(
      () => 'ok',
      (error: unknown) => (error as { code?: string }).code,
    );
    const started = Date.now();
    await cache.close();
    const outcomes = await Promise.all([clearing, invalidating]);
    expect(Date.now() - started).toBeLessThan(1500);
    for (const outcome of outcomes) expect(outcome === 'ok' || outcome === 'E_CLOSED').toBe(true);
  });
});
