import type memjs from 'memjs';
import { describe, expectTypeOf, it } from 'vitest';
import { type CacheError, type CacheErrorCode, NamespacedCache, type NamespacedCacheOptions } from '../src/index.js';

declare const cache: NamespacedCache;
declare const client: memjs.Client;

describe('public types', () => {
  it('types reads by the caller and writes by what round-trips', () => {
    expectTypeOf(cache.get<{ price: number }>('product', 'guitar')).toEqualTypeOf<
      Promise<{ price: number } | undefined>
    >();
    expectTypeOf(cache.get('product', 'guitar')).toEqualTypeOf<Promise<unknown>>();
    expectTypeOf(cache.set('product', 'guitar', { price: 1 }, { ttl: 60 })).toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(cache.delete(['tenant:1', 'products'], 'k')).toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(cache.deleteNamespace(['tenant:1'])).toEqualTypeOf<Promise<void>>();
    // @ts-expect-error undefined is not a value the cache stores
    cache.set('product', 'guitar', undefined);
    // @ts-expect-error functions are not values the cache stores
    cache.set('product', 'guitar', () => 1);
    // @ts-expect-error a namespace is a string or an array of strings
    cache.get(42, 'k');
  });

  it('accepts a memjs client or servers, not both', () => {
    expectTypeOf({ client }).toExtend<NamespacedCacheOptions>();
    expectTypeOf({ servers: ['a:1', 'b:2'], prefix: 'app', ttl: 60 }).toExtend<NamespacedCacheOptions>();
    expectTypeOf({ client, servers: 'a:1' }).not.toExtend<NamespacedCacheOptions>();
    new NamespacedCache();
  });

  it('exposes a stable error code', () => {
    expectTypeOf<CacheError['code']>().toEqualTypeOf<CacheErrorCode>();
    expectTypeOf<CacheError>().toExtend<Error>();
  });
});
