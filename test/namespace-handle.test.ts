import { describe, expect, it } from 'vitest';
import { NamespaceHandle } from '../src/index.js';
import { makeCache, randomPrefix } from './support/cache.js';

describe('namespace handles', () => {
  it('offers the cache methods bound to one namespace, sharing its data', async () => {
    const cache = makeCache();
    const products = cache.namespace(['tenant:1', 'products']);
    expect(products).toBeInstanceOf(NamespaceHandle);
    expect(products.path).toEqual(['tenant:1', 'products']);

    expect(await products.set('guitar', { price: 5000 })).toBe(true);
    expect(await products.get('guitar')).toEqual({ price: 5000 });
    expect(await cache.get(['tenant:1', 'products'], 'guitar')).toEqual({ price: 5000 });
    expect(await products.setMulti({ piano: 1, drum: 2 })).toBe(true);
    expect([...(await products.getMulti(['piano', 'drum', 'x'])).keys()]).toEqual(['piano', 'drum']);
    expect(await products.deleteMulti(['drum'])).toBe(1);
    expect(await products.delete('piano')).toBe(true);
    expect(await products.getOrSet('flute', () => 'loaded')).toBe('loaded');
    expect(await cache.get(['tenant:1', 'products'], 'flute')).toBe('loaded');
  });

  it('clears its namespace and those below it; child handles extend the path', async () => {
    const cache = makeCache();
    const tenant = cache.namespace('tenant:1');
    const products = tenant.namespace('products');
    const images = products.namespace(['images', 'large']);
    expect(images.path).toEqual(['tenant:1', 'products', 'images', 'large']);
    await tenant.set('settings', 1);
    await products.set('guitar', 2);
    await images.set('guitar.png', Buffer.from([1]));
    await products.clear();
    expect(await products.get('guitar')).toBeUndefined();
    expect(await images.get('guitar.png')).toBeUndefined();
    expect(await tenant.get('settings')).toBe(1);
    await cache.deleteNamespace('tenant:1');
    expect(await tenant.get('settings')).toBeUndefined();
  });

  it('sees rotations made through the cache or another instance', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix, tokenCacheTtl: 60 });
    const handle = cache.namespace('product');
    await handle.set('k', 1);
    expect(await handle.get('k')).toBe(1);
    await cache.deleteNamespace('product'); // this cache's own rotation applies at once
    expect(await handle.get('k')).toBeUndefined();
    await handle.set('k', 2);
    await makeCache({ prefix }).deleteNamespace('product');
    expect(await makeCache({ prefix }).get('product', 'k')).toBeUndefined();
  });

  it('has no public constructor: handles come from cache.namespace(), which checks the namespace', () => {
    // @ts-expect-error: the constructor is private, and out of the declarations with the internal CacheCore
    expect(() => new NamespaceHandle()).toThrow(TypeError);
  });

  it('refuses an invalid namespace at once', () => {
    const cache = makeCache();
    expect(() => cache.namespace('')).toThrow(TypeError);
    expect(() => cache.namespace(['a', ''])).toThrow('non-empty array of non-empty strings');
    expect(() => cache.namespace('a').namespace([])).toThrow(TypeError);
  });

  it('rejects calls after the cache closed', async () => {
    const cache = makeCache();
    const handle = cache.namespace('product');
    await cache.close();
    await expect(handle.get('k')).rejects.toMatchObject({ code: 'E_CLOSED', operation: 'get' });
    await expect(handle.clear()).rejects.toMatchObject({ code: 'E_CLOSED', operation: 'deleteNamespace' });
  });
});
