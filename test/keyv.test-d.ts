import type { KeyvStoreAdapter } from 'keyv';
import { describe, expectTypeOf, it } from 'vitest';
import type { NamespacedCache } from '../src/index.js';
import { NamespacedKeyvStore } from '../src/keyv/index.js';

describe('NamespacedKeyvStore types', () => {
  it("is a Keyv 5 store adapter, apart from setMany's result, which Keyv's type says is void", () => {
    expectTypeOf<Omit<NamespacedKeyvStore, 'setMany'>>().toExtend<Omit<KeyvStoreAdapter, 'setMany'>>();
    expectTypeOf<NamespacedKeyvStore['setMany']>().returns.resolves.toEqualTypeOf<boolean[]>();
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
