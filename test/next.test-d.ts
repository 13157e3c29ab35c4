import type { CacheHandler } from 'next/dist/server/lib/cache-handlers/types.js';
import type { CacheHandler as NextIncrementalHandler } from 'next/dist/server/lib/incremental-cache/index.js';
import { describe, expectTypeOf, it } from 'vitest';
import { createCacheHandler, createIncrementalCacheHandler, type IncrementalCacheHandler } from '../src/next/index.js';

describe('the handlers fit the types of Next 16', () => {
  it('createCacheHandler returns what `cacheHandlers` takes', () => {
    expectTypeOf(createCacheHandler()).toExtend<CacheHandler>();
  });

  it('the incremental handler takes every call Next makes (it returns what it stored, untyped)', () => {
    expectTypeOf(createIncrementalCacheHandler()).constructorParameters.toEqualTypeOf<[context?: unknown]>();
    expectTypeOf<Parameters<NextIncrementalHandler['get']>>().toExtend<Parameters<IncrementalCacheHandler['get']>>();
    expectTypeOf<Parameters<NextIncrementalHandler['set']>>().toExtend<Parameters<IncrementalCacheHandler['set']>>();
    expectTypeOf<Parameters<NextIncrementalHandler['revalidateTag']>>().toExtend<
      Parameters<IncrementalCacheHandler['revalidateTag']>
    >();
  });
});
