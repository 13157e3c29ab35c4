import { describe, expect, it } from 'vitest';
import { decodeTagSection, encodeTagSection } from '../src/tags/item-tags.js';
import { makeCache } from './support/cache.js';

describe('tag names are kept and hashed losslessly, lone surrogates included', () => {
  it('two lone-surrogate tags are different tags: invalidating one keeps the item of the other', async () => {
    const cache = makeCache();
    await cache.set('ns', 'k', 'v', { tags: ['\uD800'] });
    await cache.invalidateTags(['\uDC00']);
    await cache.invalidateTags(['\uFFFD']);
    expect(await cache.get('ns', 'k')).toBe('v');
    await cache.invalidateTags(['\uD800']);
    expect(await cache.get('ns', 'k')).toBeUndefined();
  });

  it('getEntry returns the tags as they were given', async () => {
    const cache = makeCache();
    const tags = ['a\uD800', '\uDC00b', 'caf\u00e9', '\uFFFD'];
    await cache.set('ns', 'k', 'v', { tags });
    expect((await cache.getEntry('ns', 'k'))?.tags).toEqual(tags);
  });

  it('a section round-trips every name, well-formed or not', () => {
    const tags = ['plain', '\uD800', 'x\uDBFF\uDFFFy', 'z\uDFFF', '\u00ff'].map((name) => ({
      name,
      version: '0123456789abcdef',
    }));
    const section = encodeTagSection({ writtenAt: 1, tags });
    expect(decodeTagSection(section, 0)).toEqual({ writtenAt: 1, tags });
  });
});
