// Adversarial: invalidations racing each other and writers.
import { describe, expect, it } from 'vitest';
import { makeCache, randomPrefix } from '../../support/cache.js';

describe('concurrent invalidations', () => {
  it('24 caches softly invalidating one tag at once all succeed (each is safe to repeat)', async () => {
    const prefix = randomPrefix();
    const caches = Array.from({ length: 24 }, () => makeCache({ prefix }));
    await caches[0]?.set('ns', 'k', 'v', { tags: ['t'] });
    const outcomes = await Promise.all(
      caches.map((cache) =>
        cache.invalidateTags(['t'], { staleFor: 30 }).then(
          () => 'ok',
          (error: unknown) => (error as { code?: string }).code ?? String(error),
        ),
      ),
    );
    expect(outcomes).toEqual(Array(24).fill('ok'));
  });

  it('24 caches softly clearing one namespace at once all succeed', async () => {
    const prefix = randomPrefix();
    const caches = Array.from({ length: 24 }, () => makeCache({ prefix }));
    await caches[0]?.set('ns', 'k', 'v');
    const outcomes = await Promise.all(
      caches.map((cache) =>
        cache.deleteNamespace('ns', { staleFor: 30 }).then(
          () => 'ok',
          (error: unknown) => (error as { code?: string }).code ?? String(error),
        ),
      ),
    );
    expect(outcomes).toEqual(Array(24).fill('ok'));
  });

  it('soft and hard clears racing from two caches: after a final hard clear nothing old is served', async () => {
    const prefix = randomPrefix();
    const a = makeCache({ prefix });
    const b = makeCache({ prefix });
    await a.set('ns', 'k', 'old', { tags: ['t'] });
    await Promise.allSettled([
      a.deleteNamespace('ns', { staleFor: 30 }),
      b.deleteNamespace('ns'),
      a.invalidateTags(['t'], { staleFor: 30 }),
      b.invalidateTags(['t']),
      a.deleteNamespace('ns', { staleFor: 30 }),
    ]);
    await b.deleteNamespace('ns');
    expect(await a.getEntry('ns', 'k')).toBeUndefined();
    expect(await a.getOrSet('ns', 'k', async () => 'new')).toBe('new');
  });

  it('a tagged set racing a hard invalidation: once both resolved, a read sees nothing or a value written after', async () => {
    const prefix = randomPrefix();
    const writer = makeCache({ prefix });
    const invalidator = makeCache({ prefix });
    for (let round = 0; round < 20; round += 1) {
      await writer.set('ns', `k${round}`, 'before', { tags: ['t'] });
      const setting = writer.set('ns', `k${round}`, 'racing', { tags: ['t'] });
      await invalidator.invalidateTags(['t']);
      await setting;
      const read = await makeCache({ prefix }).get('ns', `k${round}`);
      expect(read === undefined || read === 'racing').toBe(true);
    }
  });
});
