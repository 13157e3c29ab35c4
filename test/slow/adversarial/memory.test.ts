// Adversarial: are the maps that remember item tags bounded?
import { describe, expect, it } from 'vitest';
import { Memos } from '../../../src/tags/memos.js';
import { makeCache } from '../../support/cache.js';

describe('remembered item tags stay bounded', () => {
  it('Memos: items remembered then forgotten in many namespaces leave no empty maps behind', () => {
    const memos = new Memos();
    for (let index = 0; index < 50_000; index += 1) {
      const namespace = `ns${index}`;
      memos.set(namespace, 'k', { names: ['t'], section: undefined });
      memos.delete(namespace, 'k'); // the item was rewritten without tags and read again
    }
    expect(memos.size).toBe(0);
    const inner = (memos as unknown as { byNamespace: Map<string, Map<string, unknown>> }).byNamespace;
    expect(inner.size).toBeLessThanOrEqual(10_000);
  });

  it('through the cache: tagged then untagged items in 12,000 namespaces keep the map bounded', async () => {
    const cache = makeCache();
    for (let batch = 0; batch < 12; batch += 1) {
      await Promise.all(
        Array.from({ length: 1000 }, async (_, index) => {
          const namespace = `n${batch}-${index}`;
          await cache.set(namespace, 'k', 'tagged', { tags: ['t'] });
          await cache.get(namespace, 'k');
          await cache.set(namespace, 'k', 'untagged');
          await cache.get(namespace, 'k');
        }),
      );
    }
    const tags = (cache as unknown as { core: unknown }).core;
    // Find the Memos instance wherever the cache keeps it.
    const seen = new Set<unknown>();
    const find = (value: unknown, depth: number): Memos | undefined => {
      if (value === null || typeof value !== 'object' || seen.has(value) || depth > 6) return undefined;
      seen.add(value);
      if (value instanceof Memos) return value;
      for (const child of Object.values(value as object)) {
        const found = find(child, depth + 1);
        if (found) return found;
      }
      return undefined;
    };
    const memos = find(tags, 0) ?? find(cache, 0);
    expect(memos).toBeDefined();
    const inner = (memos as unknown as { byNamespace: Map<string, unknown> }).byNamespace;
    expect(inner.size).toBeLessThanOrEqual(10_000);
  }, 60_000);
});
