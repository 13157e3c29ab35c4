// Adversarial: read-time tags (Next's soft tags, judged by time) when a write and a hard
// invalidation fall in the same millisecond, followed by a soft invalidation.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeCache } from '../../support/cache.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('same millisecond: write, hard invalidation, then soft invalidation', () => {
  it('by time: the hard invalidation expires the item, and a later soft one must not revive it', async () => {
    const cache = makeCache();
    let clock = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => clock);
    await cache.set('ns', 'k', 'v', { tags: ['own'] }); // writtenAt = clock
    await cache.invalidateTags(['_N_T_/p']); // hard, in the same millisecond (after the write)
    expect(await cache.getEntry('ns', 'k', { tags: ['_N_T_/p'] })).toBeUndefined(); // expired: holds
    clock += 5;
    await cache.invalidateTags(['_N_T_/p'], { staleFor: 60 }); // soft, later
    // The hard invalidation came after the write: nothing may bring the item back, not even as stale.
    expect(await cache.getEntry('ns', 'k', { tags: ['_N_T_/p'] })).toBeUndefined();
  });

  it('without a mocked clock: write then hard then soft, repeated; never revived', async () => {
    const cache = makeCache();
    const revived: number[] = [];
    for (let round = 0; round < 200; round += 1) {
      const tag = `_N_T_/r${round}`;
      await cache.getTagStates([tag]); // the record exists (created earlier)
      await new Promise((resolve) => setTimeout(resolve, 2));
      await cache.set('ns', `k${round}`, 'v', { tags: ['own'] });
      await cache.invalidateTags([tag]);
      await cache.invalidateTags([tag], { staleFor: 60 });
      if ((await cache.getEntry('ns', `k${round}`, { tags: [tag] })) !== undefined) revived.push(round);
    }
    expect(revived).toEqual([]);
  });
});
