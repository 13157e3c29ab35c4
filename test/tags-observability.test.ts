import { describe, expect, it } from 'vitest';
import { makeCache, randomPrefix } from './support/cache.js';
import { recordOperations } from './support/channel.js';

describe('tags on the tracing channel and in stats', () => {
  it('publishes invalidations, entries, stale-after-clear serves and failure markers', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    const other = makeCache({ prefix, lockWait: 15 });
    const recorded = recordOperations(prefix);
    await cache.getOrSet('ns', 'k', () => 'v1', { tags: ['t'] });
    await cache.invalidateTags(['t'], { staleFor: 30 });
    expect((await cache.getEntry('ns', 'k'))?.state).toBe('stale');
    expect(await cache.getOrSet('ns', 'k', () => 'v2', { tags: ['t'] })).toBe('v1');
    let fail!: () => void;
    const failing = cache.getOrSet(
      'ns',
      'broken',
      () =>
        new Promise((_, reject) => {
          fail = () => reject(new RangeError('db down'));
        }),
    );
    const waiting = other.getOrSet('ns', 'broken', () => 'never');
    await expect.poll(() => other.stats().lockWaits).toBe(1);
    fail();
    await expect(failing).rejects.toThrow('db down');
    await expect(waiting).rejects.toMatchObject({ code: 'E_LOADER' });
    // Over text the holder learns that its marker landed one round trip later (a gets after the cas)
    // than a waiter may see it.
    await expect.poll(() => cache.stats().failureMarkers).toBe(1);
    const ended = recorded.ended();
    const summary = ended.map((context) => [context.operation, context.outcome, context.failureMarker]);
    expect(summary).toEqual([
      ['getOrSet', 'loaded', undefined],
      ['invalidateTags', 'invalidated', undefined],
      ['getEntry', 'stale', undefined],
      ['getOrSet', 'stale-after-clear', undefined],
      ['getOrSet', 'error', 'left'],
      ['getOrSet', 'error', 'seen'],
    ]);
    expect(ended[5]?.errorCode).toBe('E_LOADER');
    expect(cache.stats()).toMatchObject({ tagInvalidations: 1, staleAfterClear: 1, failureMarkers: 1 });
    expect(other.stats()).toMatchObject({ failuresSeen: 1 });
  });
});
