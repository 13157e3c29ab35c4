// Adversarial: tags that are not well-formed UTF-16 (lone surrogates) and look-alike tags.
import { describe, expect, it } from 'vitest';
import { makeCache } from '../../support/cache.js';

describe('unicode tags', () => {
  it('two different lone-surrogate tags are different tags: invalidating one keeps the other', async () => {
    const cache = makeCache();
    await cache.set('ns', 'k', 'v', { tags: ['\uD800'] });
    await cache.invalidateTags(['\uDC00']);
    expect(await cache.get('ns', 'k')).toBe('v');
  });

  it('a lone-surrogate tag comes back as given from getEntry', async () => {
    const cache = makeCache();
    await cache.set('ns', 'k', 'v', { tags: ['a\uD800'] });
    expect((await cache.getEntry('ns', 'k'))?.tags).toEqual(['a\uD800']);
  });

  it('NFC and NFD forms are different tags (no normalisation)', async () => {
    const cache = makeCache();
    await cache.set('ns', 'k', 'v', { tags: ['caf\u00e9'] });
    await cache.invalidateTags(['cafe\u0301']);
    expect(await cache.get('ns', 'k')).toBe('v');
  });
});
