import { expect, it } from 'vitest';
import { NamespacedCache } from '../src/index.js';
import { randomPrefix } from './support/cache.js';
import { privateMemcached } from './support/servers.js';

/**
 * DESIGN §11 (rolling upgrades): caches on meta, text and binary sharing one memcached read each
 * other's values and see each other's clears: tagged items, hard and soft clears, every writer with
 * every clearer.
 */
it("caches on meta, text and binary see each other's values, tag invalidations and soft clears (I1, T1, amended I4)", async () => {
  const server = await privateMemcached({ tls: undefined });
  const prefix = randomPrefix();
  const errors: string[] = [];
  const onError = (e: { code: string; message: string }) => errors.push(`${e.code} ${e.message}`);
  const caches = {
    meta: new NamespacedCache({ servers: server.servers, prefix, onError }),
    text: new NamespacedCache({ servers: server.servers, prefix, protocol: 'text', onError }),
    binary: new NamespacedCache({ servers: server.servers, prefix, protocol: 'binary', onError }),
  };
  const names = ['meta', 'text', 'binary'] as const;
  for (const writer of names) {
    for (const clearer of names) {
      const ns = `ns-${writer}-${clearer}`;
      const w = caches[writer];
      expect(await w.set(ns, 'k', 'v', { tags: ['t1', `t-${writer}-${clearer}`] })).toBe(true);
      for (const r of names) expect([r, await caches[r].get(ns, 'k')]).toEqual([r, 'v']);
      await caches[clearer].invalidateTags([`t-${writer}-${clearer}`]);
      for (const r of names) expect([r, await caches[r].get(ns, 'k')]).toEqual([r, undefined]);
      // soft namespace clear
      expect(await w.set(ns, 'k2', 'old')).toBe(true);
      await caches[clearer].deleteNamespace(ns, { staleFor: 30 });
      for (const r of names) {
        expect([r, await caches[r].get(ns, 'k2')]).toEqual([r, undefined]);
        expect([r, (await caches[r].getEntry(ns, 'k2'))?.state]).toEqual([r, 'stale']);
      }
      // soft tag clear
      expect(await w.set(ns, 'k3', 'old3', { tags: [`s-${writer}-${clearer}`] })).toBe(true);
      await caches[clearer].invalidateTags([`s-${writer}-${clearer}`], { staleFor: 30 });
      for (const r of names) {
        expect([r, await caches[r].get(ns, 'k3')]).toEqual([r, undefined]);
        expect([r, (await caches[r].getEntry(ns, 'k3'))?.state]).toEqual([r, 'stale']);
      }
      // hard clear after soft
      await caches[clearer].deleteNamespace(ns);
      for (const r of names) expect([r, (await caches[r].getEntry(ns, 'k2'))?.state]).toEqual([r, undefined]);
    }
  }
  expect(errors).toEqual([]);
  await Promise.all(Object.values(caches).map((c) => c.close()));
});
