import type memjs from 'memjs';
import { describe, expectTypeOf, it } from 'vitest';
import type {
  CacheError,
  CacheErrorCode,
  NamespacedCache,
  NamespacedCacheOptions,
  NamespaceHandle,
} from '../src/index.js';

interface Product {
  readonly name: string;
  readonly price: number;
}
declare const product: Product;
declare const maybeProduct: Product | undefined;
declare const union: string | number | Product | null;

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
    cache.set('product', 'guitar', product); // interfaces are storable
    cache.set('product', 'guitar', Buffer.from('x'));
    // @ts-expect-error undefined is not a value the cache stores
    cache.set('product', 'guitar', undefined);
    // @ts-expect-error a value that may be undefined is refused too
    cache.set('product', 'guitar', maybeProduct);
    // @ts-expect-error a Map would not come back as a Map
    cache.set('product', 'guitar', new Map());
    // @ts-expect-error nor would a Date
    cache.set('product', 'guitar', new Date());
    // @ts-expect-error functions are not values the cache stores
    cache.set('product', 'guitar', () => 1);
    // @ts-expect-error a namespace is a string or an array of strings
    cache.get(42, 'k');
  });

  it('types the batch, read-through and handle methods', () => {
    expectTypeOf(cache.getMulti<number>('n', ['a'])).toEqualTypeOf<Promise<Map<string, number>>>();
    expectTypeOf(cache.setMulti('n', { a: 1 })).toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(cache.setMulti('n', new Map([['a', 'x']]))).toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(cache.deleteMulti('n', ['a'])).toEqualTypeOf<Promise<number>>();
    expectTypeOf(cache.getOrSet('n', 'k', async () => product)).toEqualTypeOf<Promise<Product>>();
    expectTypeOf(cache.getOrSet('n', 'k', () => maybeProduct)).toEqualTypeOf<Promise<Product | undefined>>();
    expectTypeOf(cache.setMulti('n', new Map([['a', product]]))).toEqualTypeOf<Promise<boolean>>();
    // Unions of storable types infer whole, from the loader and from values.
    expectTypeOf(cache.getOrSet('n', 'k', () => union)).toEqualTypeOf<Promise<string | number | Product | null>>();
    expectTypeOf(cache.getOrSet('n', 'k', async () => union)).toEqualTypeOf<
      Promise<string | number | Product | null>
    >();
    expectTypeOf(cache.set('n', 'k', union)).toEqualTypeOf<Promise<boolean>>();
    // @ts-expect-error one unstorable member is enough to refuse a loader
    cache.getOrSet('n', 'k', () => (Math.random() > 0.5 ? 'x' : new Date()));
    // @ts-expect-error functions are not storable in a batch either
    cache.setMulti('n', { a: () => 1 });
    const handle = cache.namespace(['tenant:1', 'products']);
    expectTypeOf(handle).toEqualTypeOf<NamespaceHandle>();
    expectTypeOf(handle.get<string>('k')).toEqualTypeOf<Promise<string | undefined>>();
    expectTypeOf(handle.namespace('images')).toEqualTypeOf<NamespaceHandle>();
    expectTypeOf(handle.clear()).toEqualTypeOf<Promise<void>>();
    // @ts-expect-error a loader must return something the cache can store
    cache.getOrSet('n', 'k', () => new Map());
  });

  it('accepts a memjs client or servers, not both', () => {
    expectTypeOf({ client }).toExtend<NamespacedCacheOptions>();
    expectTypeOf({ servers: ['a:1', 'b:2'], prefix: 'app', ttl: 60 }).toExtend<NamespacedCacheOptions>();
    expectTypeOf({ client, servers: 'a:1' }).not.toExtend<NamespacedCacheOptions>();
    expectTypeOf<ConstructorParameters<typeof NamespacedCache>>().toEqualTypeOf<[options?: NamespacedCacheOptions]>();
  });

  it('exposes a stable error code', () => {
    expectTypeOf<CacheError['code']>().toEqualTypeOf<CacheErrorCode>();
    expectTypeOf<CacheError>().toExtend<Error>();
  });
});
