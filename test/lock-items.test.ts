import { describe, expect, it, vi } from 'vitest';
import type { Context } from '../src/context.js';
import { NamespacedCache } from '../src/index.js';
import { StubsWon } from '../src/read-through/stubs-won.js';
import { errorLog, randomPrefix, rawClient } from './support/cache.js';
import { overwriteWithForeign } from './support/wire.js';

describe('a foreign value starting with F at a data key', () => {
  it('is no failure marker: reported as corrupt, and getOrSet loads over it', async () => {
    const client = rawClient();
    const log = errorLog();
    const cache = new NamespacedCache({ client, prefix: randomPrefix(), onError: log.onError });
    await overwriteWithForeign(client, cache, 'k', 'Foreign value');
    expect(await cache.get('n', 'k')).toBeUndefined();
    expect(log.errors.map((error) => error.code)).toEqual(['E_CORRUPT_VALUE']);
    expect(await cache.getOrSet('n', 'k', () => 'loaded')).toBe('loaded');
    await cache.close();
  });
});

describe('the stubs a getOrSet read won', () => {
  it('releases one whose win is reported after the call settled (a read answered after its token read failed)', () => {
    const sent = vi.fn();
    const context = { transport: { delete: sent }, settings: { timeoutMs: 100 } } as unknown as Context;
    const stubs = new StubsWon(context, 6);
    const early = stubs.readFor('a');
    const late = stubs.readFor('b');
    early.won(7n);
    expect(stubs.keep('a')).toBe(7n); // the generation loaded in: kept
    expect(sent).not.toHaveBeenCalled();
    late.won(9n);
    expect(sent).toHaveBeenCalledWith('b', expect.any(Number), expect.any(Function), 9n);
  });
});
