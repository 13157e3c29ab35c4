/**
 * What the benchmark compares: raw memjs, the naive two-round-trip namespace algorithm, keyv with
 * @keyv/memcache, and NamespacedCache (fresh reads, and with tokenCacheTtl).
 */
import KeyvMemcache from '@keyv/memcache';
import Keyv from 'keyv';
import memjs from 'memjs';
import type * as Library from '../src/index.js';

// The compiled package, as users run it: tsx's on-the-fly transpile of src/ wraps every closure in
// a __name() call (keepNames), which alone costs the cache ~20% of its CPU per operation.
const { NamespacedCache } = (await import(new URL('../dist/index.js', import.meta.url).href)) as typeof Library;

/** Number of distinct keys each mode cycles through. */
export const KEY_COUNT = 1000;
const VALUE = 'v'.repeat(100);
const keyOf = (index: number): string => `key-${index % KEY_COUNT}`;

export interface Mode {
  readonly name: string;
  readonly get: (index: number) => Promise<unknown>;
  readonly set: (index: number) => Promise<unknown>;
}

export interface Modes {
  readonly modes: readonly Mode[];
  /** One getMulti of 100 keys, and the same as 100 raw pipelined gets. */
  readonly multi: readonly Mode[];
  close(): Promise<void>;
}

export async function createModes(servers: string): Promise<Modes> {
  const quiet = { log() {} };
  const raw = memjs.Client.create(servers, { logger: quiet });
  const naiveClient = memjs.Client.create(servers, { logger: quiet });
  const keyvStore = new KeyvMemcache(servers, { logger: quiet });
  const keyv = new Keyv({ store: keyvStore, namespace: 'bench-keyv' });
  const fresh = new NamespacedCache({ servers, prefix: 'bench-fresh' });
  const trusted = new NamespacedCache({ servers, prefix: 'bench-trusted', tokenCacheTtl: 60 });

  // The naive algorithm: read the token, then the value under it (two round trips per get).
  const naiveToken = 'bench-naive:t:product';
  await naiveClient.set(naiveToken, '0123456789abcdef', { expires: 0 });
  const naiveGet = async (index: number) => {
    const token = await naiveClient.get(naiveToken);
    return naiveClient.get(`bench-naive:${token.value?.toString()}:${keyOf(index)}`);
  };
  const naiveSet = async (index: number) => {
    const token = await naiveClient.get(naiveToken);
    return naiveClient.set(`bench-naive:${token.value?.toString()}:${keyOf(index)}`, VALUE, { expires: 3600 });
  };

  const modes: Mode[] = [
    {
      name: 'raw memjs',
      get: (index) => raw.get(`bench-raw:${keyOf(index)}`),
      set: (index) => raw.set(`bench-raw:${keyOf(index)}`, VALUE, { expires: 3600 }),
    },
    { name: 'naive 2-RTT', get: naiveGet, set: naiveSet },
    {
      name: 'keyv + @keyv/memcache',
      get: (index) => keyv.get(keyOf(index)),
      set: (index) => keyv.set(keyOf(index), VALUE, 3_600_000),
    },
    {
      name: 'NamespacedCache',
      get: (index) => fresh.get('product', keyOf(index)),
      set: (index) => fresh.set('product', keyOf(index), VALUE, { ttl: 3600 }),
    },
    {
      name: 'NamespacedCache tokenCacheTtl',
      get: (index) => trusted.get('product', keyOf(index)),
      set: (index) => trusted.set('product', keyOf(index), VALUE, { ttl: 3600 }),
    },
  ];
  for (const mode of modes) {
    for (let index = 0; index < KEY_COUNT; index += 1) await mode.set(index);
  }

  const hundred = (index: number) => Array.from({ length: 100 }, (_, offset) => keyOf(index * 100 + offset));
  const multi: Mode[] = [
    {
      name: '100 raw pipelined gets',
      get: (index) => Promise.all(hundred(index).map((key) => raw.get(`bench-raw:${key}`))),
      set: async () => {},
    },
    {
      name: 'NamespacedCache getMulti(100)',
      get: (index) => fresh.getMulti('product', hundred(index)),
      set: async () => {},
    },
  ];

  return {
    modes,
    multi,
    async close() {
      raw.close();
      naiveClient.close();
      keyvStore.client.close();
      await Promise.all([fresh.close(), trusted.close()]);
    },
  };
}
