// Adversarial T2: a tag record evicted by churn on a tiny memcached, or lost in a restart, never
// brings an invalidated item back.
import memjs from 'memjs';
import { describe, expect, it } from 'vitest';
import { NamespacedCache } from '../../../src/index.js';
import { randomPrefix } from '../../support/cache.js';
import { privateMemcached } from '../../support/servers.js';

describe('T2 under eviction and restart', () => {
  it('records evicted by churn (-m 2) : invalidated items stay invalidated', async () => {
    const server = await privateMemcached({ memoryMb: 2 });
    const prefix = randomPrefix();
    const cache = new NamespacedCache({ servers: server.servers, prefix });
    const raw = memjs.Client.create(server.servers, { logger: { log() {} } });
    try {
      const tags = Array.from({ length: 20 }, (_, index) => `tag-${index}`);
      for (const [index, tag] of tags.entries()) await cache.set('ns', `k${index}`, `v${index}`, { tags: [tag] });
      await cache.invalidateTags(tags);
      // Churn values of a tag record's size; keep nothing else hot: records and items both may go.
      const filler = 'x'.repeat(60);
      for (let batch = 0; batch < 60; batch += 1) {
        await Promise.all(Array.from({ length: 500 }, (_, index) => raw.set(`churn:${batch}:${index}`, filler, {})));
      }
      const fresh = new NamespacedCache({ servers: server.servers, prefix });
      for (let index = 0; index < tags.length; index += 1) expect(await fresh.get('ns', `k${index}`)).toBeUndefined();
      await fresh.close();
    } finally {
      raw.close();
      await cache.close();
    }
  }, 60_000);

  it('restart between a write and its read: the item is gone, new writes work, versions differ', async () => {
    const server = await privateMemcached();
    const prefix = randomPrefix();
    const cache = new NamespacedCache({ servers: server.servers, prefix, timeout: 0.3 });
    try {
      await cache.set('ns', 'k', 'v', { tags: ['t'] });
      const before = (await cache.getTagStates(['t'])).get('t');
      await server.kill();
      await server.restart();
      expect(await cache.get('ns', 'k')).toBeUndefined();
      await cache.set('ns', 'k', 'v2', { tags: ['t'] });
      expect(await cache.get('ns', 'k')).toBe('v2');
      const after = (await cache.getTagStates(['t'])).get('t');
      expect(after?.staleAt).toBeGreaterThanOrEqual(before?.staleAt ?? 0);
    } finally {
      await cache.close();
    }
  });
});
