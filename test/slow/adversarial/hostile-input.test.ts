// Adversarial: hostile arguments to the tag API. Bad input must be a TypeError/RangeError before
// anything is sent (the cache points at a port nobody listens on: a CacheError would mean it tried).
import { describe, expect, it } from 'vitest';
import { CacheError, NamespacedCache } from '../../../src/index.js';
import { makeCache, randomPrefix } from '../../support/cache.js';

function deadCache(): NamespacedCache {
  return new NamespacedCache({ servers: '127.0.0.1:1', prefix: randomPrefix(), timeout: 0.2 });
}

/** An array with a hole at index 1. */
function holes(): unknown[] {
  const array: unknown[] = ['a'];
  array[2] = 'b';
  return array;
}

const badTagLists: [string, unknown][] = [
  ['a string', 'abc'],
  ['a Set', new Set(['a'])],
  ['holes', holes()],
  ['a number', [1]],
  ['an empty string', ['']],
  ['a String object', [new String('a')]],
  ['a symbol', [Symbol('a')]],
  ['129 distinct', Array.from({ length: 129 }, (_, index) => `t${index}`)],
  ['a 1025-character tag', ['x'.repeat(1025)]],
  ['null', null],
];

const badStaleFor: [string, unknown][] = [
  ['NaN', Number.NaN],
  ['negative', -1],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['a string', '5'],
  ['over 30 days', 2_592_001],
  ['null', null],
  ['a bigint', 5n],
];

describe('hostile tags and staleFor never reach memcached', () => {
  for (const [name, tags] of badTagLists) {
    it(`set with tags = ${name} is a TypeError/RangeError`, async () => {
      const cache = deadCache();
      const error = await cache.set('ns', 'k', 1, { tags: tags as string[] }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(CacheError);
      expect((error as Error).name).toMatch(/TypeError|RangeError/);
      await cache.close();
    });
    it(`invalidateTags(${name}) is a TypeError/RangeError`, async () => {
      const cache = deadCache();
      const error = await cache.invalidateTags(tags as string[]).catch((caught: unknown) => caught);
      expect((error as Error).name).toMatch(/TypeError|RangeError/);
      await cache.close();
    });
    it(`getEntry with tags = ${name} is a TypeError/RangeError`, async () => {
      const cache = deadCache();
      const error = await cache.getEntry('ns', 'k', { tags: tags as string[] }).catch((caught: unknown) => caught);
      expect((error as Error).name).toMatch(/TypeError|RangeError/);
      await cache.close();
    });
  }

  for (const [name, staleFor] of badStaleFor) {
    it(`invalidateTags staleFor = ${name} is a TypeError/RangeError`, async () => {
      const cache = deadCache();
      const error = await cache
        .invalidateTags(['a'], { staleFor: staleFor as number })
        .catch((caught: unknown) => caught);
      expect((error as Error).name).toMatch(/TypeError|RangeError/);
      await cache.close();
    });
    it(`deleteNamespace staleFor = ${name} is a TypeError/RangeError`, async () => {
      const cache = deadCache();
      const error = await cache
        .deleteNamespace('ns', { staleFor: staleFor as number })
        .catch((caught: unknown) => caught);
      expect((error as Error).name).toMatch(/TypeError|RangeError/);
      await cache.close();
    });
  }

  it('a tags array whose getter throws rejects (no throw out of the call, nothing sent)', async () => {
    const cache = deadCache();
    const tags = ['a'];
    Object.defineProperty(tags, 0, {
      get() {
        throw new Error('boom');
      },
    });
    const result = cache.set('ns', 'k', 1, { tags });
    await expect(result).rejects.toThrow('boom');
    await cache.close();
  });

  it('a tags array is read once: a getter that changes its answer cannot smuggle in a bad tag', async () => {
    const cache = makeCache();
    let reads = 0;
    const tags: string[] = ['a'];
    Object.defineProperty(tags, 0, {
      get() {
        reads += 1;
        return reads === 1 ? 'good' : (42 as unknown as string);
      },
    });
    await cache.set('ns', 'k', 'v', { tags });
    expect(reads).toBe(1);
    const entry = await cache.getEntry('ns', 'k');
    expect(entry?.tags).toEqual(['good']);
  });

  it('10,000 copies of one tag are one tag', async () => {
    const cache = makeCache();
    await expect(cache.set('ns', 'k', 'v', { tags: Array(10_000).fill('dup') })).resolves.toBe(true);
    expect((await cache.getEntry('ns', 'k'))?.tags).toEqual(['dup']);
    await cache.invalidateTags(['dup', 'dup', 'dup']);
    expect(await cache.get('ns', 'k')).toBeUndefined();
  });
});

describe('hostile loader failures (failure markers)', () => {
  it('a loader that throws a null-prototype object rejects with that object', async () => {
    const cache = makeCache();
    const thrown = Object.create(null) as object;
    const error = await cache
      .getOrSet('ns', 'k', () => {
        throw thrown;
      })
      .catch((caught: unknown) => caught);
    expect(error).toBe(thrown);
  });

  it('a loader that throws an Error whose message getter throws rejects with that Error', async () => {
    const cache = makeCache();
    const thrown = new Error('x');
    Object.defineProperty(thrown, 'message', {
      get() {
        throw new Error('getter');
      },
    });
    const error = await cache
      .getOrSet('ns', 'k', () => {
        throw thrown;
      })
      .catch((caught: unknown) => caught);
    expect(error).toBe(thrown);
  });

  it('after a loader threw a null-prototype object, the next caller is not held back by an orphaned lock', async () => {
    const cache = makeCache({ lockTtl: 5, lockWait: 5 });
    await cache
      .getOrSet('ns', 'k', () => {
        throw Object.create(null);
      })
      .catch(() => undefined);
    const started = Date.now();
    // Same cache: the next caller either finds a marker (rejects at once) or loads at once.
    await cache.getOrSet('ns', 'k', async () => 'second').catch((caught: unknown) => caught);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('failure markers with hostile error names', () => {
  it('a loader error with a 2 MB name: the next caller is not held back by an orphaned lock', async () => {
    const cache = makeCache({ lockTtl: 5, lockWait: 5 });
    const error = new Error('db down');
    error.name = 'E'.repeat(2 * 1024 * 1024);
    await cache
      .getOrSet('ns', 'k', () => {
        throw error;
      })
      .catch(() => undefined);
    const started = Date.now();
    await cache.getOrSet('ns', 'k', async () => 'second').catch(() => undefined);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('compression and tags together', () => {
  it('a compressed tagged value: read back, invalidated by its tag, stale after a soft one', async () => {
    const cache = makeCache({ compression: { threshold: 100 } });
    const big = 'abc'.repeat(10_000);
    await cache.set('ns', 'k', big, { tags: ['t', 'u'] });
    expect(await cache.get('ns', 'k')).toBe(big);
    await cache.invalidateTags(['u'], { staleFor: 30 });
    expect(await cache.get('ns', 'k')).toBeUndefined();
    expect((await cache.getEntry('ns', 'k'))?.value).toBe(big);
    await cache.invalidateTags(['t']);
    expect(await cache.getEntry('ns', 'k')).toBeUndefined();
  });
});
