import type { CreateCacheOptions } from 'cache-manager';
import type Keyv from 'keyv';
import type { KeyvStoreAdapter } from 'keyv';
import { describe, expectTypeOf, it } from 'vitest';
import type { NamespacedCache } from '../src/index.js';
import { NamespacedKeyvStore } from '../src/keyv/index.js';

/** What `@nestjs/cache-manager` 3's `CacheModule.register` declares for `stores`. */
type NestStores = Keyv | KeyvStoreAdapter | (Keyv | KeyvStoreAdapter)[];

describe('NamespacedKeyvStore types', () => {
  it("is assignable to keyv 5.6's KeyvStoreAdapter, setMany included", () => {
    expectTypeOf<NamespacedKeyvStore>().toExtend<KeyvStoreAdapter>();
    const store = {} as NamespacedKeyvStore;
    const adapter: KeyvStoreAdapter = store;
    const nest: NestStores = [store];
    expectTypeOf(adapter.setMany).toExtend<KeyvStoreAdapter['setMany']>();
    expectTypeOf(nest).toExtend<NestStores>();
  });

  it('still tells its callers what setMany stored, per entry', () => {
    expectTypeOf(({} as NamespacedKeyvStore).setMany([])).resolves.toEqualTypeOf<boolean[]>();
  });

  it("goes into cache-manager 7's stores through a Keyv", () => {
    expectTypeOf<{ stores: Keyv[] }>().toExtend<CreateCacheOptions>();
  });

  it('takes a cache or the options of one, and has no iterator', () => {
    expectTypeOf(NamespacedKeyvStore).toBeConstructibleWith({} as NamespacedCache);
    expectTypeOf(NamespacedKeyvStore).toBeConstructibleWith({ servers: 'localhost:11211', prefix: 'app' });
    expectTypeOf(NamespacedKeyvStore).toBeConstructibleWith(
      { servers: 'localhost:11211' },
      { defaultNamespace: 'nest' },
    );
    expectTypeOf<NamespacedKeyvStore>().not.toHaveProperty('iterator');
  });
});
