/**
 * What the benchmark compares: the floor (bench/floor.ts), raw memjs, NamespacedCache (fresh reads,
 * and with tokenCacheTtl), and on request the naive two-round-trip algorithm and keyv + @keyv/memcache.
 */
import KeyvMemcache from '@keyv/memcache';
import Keyv from 'keyv';
import memjs from 'memjs';
import type * as Library from '../src/index.js';
import { Floor } from './floor.js';
import { keyCount, valueOfSize } from './values.js';

// The compiled package, as users run it: tsx's on-the-fly transpile of src/ wraps every closure in
// a __name() call (keepNames), which alone costs the cache ~20% of its CPU per operation.
const { NamespacedCache } = (await import(new URL('../dist/index.js', import.meta.url).href)) as typeof Library;

/** One thing measured: an operation started with a running index. */
export interface Mode {
  readonly name: string;
  readonly run: (index: number) => Promise<unknown>;
}

type Cache = InstanceType<typeof NamespacedCache>;

/** The clients every section shares, on one memcached. */
export class Clients {
  readonly floor: Floor;
  readonly raw: memjs.Client;
  readonly fresh: Cache;
  readonly trusted: Cache;

  constructor(readonly servers: string) {
    const [host, port] = servers.split(':') as [string, string];
    this.floor = new Floor(host, Number(port));
    this.raw = memjs.Client.create(servers, { logger: { log() {} } });
    this.fresh = new NamespacedCache({ servers, prefix: 'bench-fresh' });
    this.trusted = new NamespacedCache({ servers, prefix: 'bench-trusted', tokenCacheTtl: 60 });
  }

  /**
   * Stores a value of `bytes` under every key the get modes of that size read, and returns them:
   * floor, raw memjs (both read the same plain JSON text, and both `JSON.parse` it, as the cache does),
   * NamespacedCache fresh and with tokenCacheTtl.
   */
  async getModes(bytes: number): Promise<Mode[]> {
    const count = keyCount(bytes);
    const value = valueOfSize(bytes);
    const text = JSON.stringify(value);
    const rawKey = (index: number) => `bench-raw:${bytes}:${index % count}`;
    const key = (index: number) => `${bytes}:${index % count}`;
    await inBatches(count, (index) => this.raw.set(rawKey(index), text, { expires: 3600 }));
    await inBatches(count, (index) => this.fresh.set('product', key(index), value, { ttl: 3600 }));
    await inBatches(count, (index) => this.trusted.set('product', key(index), value, { ttl: 3600 }));
    // Values written with a stale window carry their fresh-until time: what reading that header costs.
    const windowed = { ttl: 3600, staleWhileRevalidate: 60 };
    await inBatches(count, (index) => this.fresh.set('product-stale', key(index), value, windowed));
    // Tagged values (3 tags): a fresh get reads the 3 tag records with the data, once it knows them.
    const tagged = { ttl: 3600, tags: ['product', `category:${bytes}`, 'price-list:eu'] };
    await inBatches(count, (index) => this.fresh.set('product-tagged', key(index), value, tagged));
    // Read once, so that the reads measured know each key's tags (as in a running app).
    await inBatches(count, (index) => this.fresh.get('product-tagged', key(index)));
    const modes: Mode[] = [
      { name: 'floor', run: (index) => this.floor.get(rawKey(index)) },
      {
        name: 'raw memjs',
        run: (index) => this.raw.get(rawKey(index)).then(({ value }) => value && JSON.parse(value.toString())),
      },
      { name: 'NamespacedCache', run: (index) => this.fresh.get('product', key(index)) },
      { name: 'NamespacedCache tokenCacheTtl', run: (index) => this.trusted.get('product', key(index)) },
      { name: 'NamespacedCache, stale window', run: (index) => this.fresh.get('product-stale', key(index)) },
      { name: 'NamespacedCache, 3 tags known', run: (index) => this.fresh.get('product-tagged', key(index)) },
    ];
    // A mode reading misses (a value too large to store, evicted) would measure the wrong thing.
    for (const mode of modes) {
      for (const index of [0, count - 1]) {
        if (JSON.stringify(await mode.run(index)) !== text)
          throw new Error(`${mode.name} does not read back ${bytes} B values`);
      }
    }
    return modes;
  }

  /** Sets of a 100-byte value: raw memjs and the cache (the floor only reads). */
  setModes(): Mode[] {
    const value = valueOfSize(100);
    const text = JSON.stringify(value);
    return [
      { name: 'raw memjs', run: (index) => this.raw.set(`bench-raw:set:${index % 1000}`, text, { expires: 3600 }) },
      {
        name: 'NamespacedCache',
        run: (index) => this.fresh.set('product', `set:${index % 1000}`, value, { ttl: 3600 }),
      },
    ];
  }

  /** 100 keys at once: 100 pipelined floor gets, 100 raw memjs gets, one getMulti (100 B values). */
  async multiModes(): Promise<Mode[]> {
    await this.getModes(100); // stores the keys
    const count = keyCount(100);
    const hundred = (index: number) => Array.from({ length: 100 }, (_, offset) => (index * 100 + offset) % count);
    return [
      {
        name: '100 floor gets',
        run: (index) => Promise.all(hundred(index).map((k) => this.floor.get(`bench-raw:100:${k}`))),
      },
      {
        name: '100 raw memjs gets',
        run: (index) =>
          Promise.all(
            hundred(index).map((k) =>
              this.raw.get(`bench-raw:100:${k}`).then(({ value }) => value && JSON.parse(value.toString())),
            ),
          ),
      },
      {
        name: 'NamespacedCache getMulti(100)',
        run: (index) =>
          this.fresh.getMulti(
            'product',
            hundred(index).map((k) => `100:${k}`),
          ),
      },
    ];
  }

  /**
   * Fresh gets spread over `namespaces` active namespaces (one key each; 1000 keys when there is
   * one), every namespace's token and value stored first. The cache remembers a token per namespace:
   * this shows what that memory and its lookups cost as the count grows.
   */
  async namespaceMode(namespaces: number): Promise<Mode> {
    const value = valueOfSize(100);
    const cache = new NamespacedCache({ servers: this.servers, prefix: `bench-ns${namespaces}` });
    this.extra.push(cache);
    const keys = namespaces === 1 ? 1000 : namespaces;
    const at = (index: number): [string, string] => {
      const slot = index % keys;
      return namespaces === 1 ? ['ns', `key-${slot}`] : [`ns-${slot}`, 'key'];
    };
    await inBatches(keys, (index) => cache.set(...at(index), value, { ttl: 3600 }));
    return {
      name: `NamespacedCache, ${namespaces.toLocaleString('en-US')} namespaces`,
      run: (index) => cache.get(...at(index)),
    };
  }

  /** The naive algorithm (token, then value: two round trips) and keyv + @keyv/memcache. */
  async otherModes(): Promise<Mode[]> {
    const value = valueOfSize(100);
    const naive = memjs.Client.create(this.servers, { logger: { log() {} } });
    const keyvStore = new KeyvMemcache(this.servers, { logger: { log() {} } });
    const keyv = new Keyv({ store: keyvStore, namespace: 'bench-keyv' });
    this.extra.push({ close: () => naive.close() }, { close: () => keyvStore.client.close() });
    const naiveToken = 'bench-naive:t:product';
    await naive.set(naiveToken, '0123456789abcdef', { expires: 0 });
    await inBatches(1000, (index) =>
      naive.set(`bench-naive:0123456789abcdef:${index}`, JSON.stringify(value), { expires: 3600 }),
    );
    await inBatches(1000, (index) => keyv.set(`key-${index}`, value, 3_600_000));
    return [
      {
        name: 'naive 2-RTT',
        run: async (index) => {
          const token = await naive.get(naiveToken);
          const { value: bytes } = await naive.get(`bench-naive:${token.value?.toString()}:${index % 1000}`);
          return bytes && JSON.parse(bytes.toString());
        },
      },
      { name: 'keyv + @keyv/memcache', run: (index) => keyv.get(`key-${index % 1000}`) },
    ];
  }

  private readonly extra: { close(): unknown }[] = [];

  async close(): Promise<void> {
    this.floor.close();
    this.raw.close();
    await Promise.all([this.fresh.close(), this.trusted.close(), ...this.extra.map((client) => client.close())]);
  }
}

/** Runs `count` operations, 64 at a time. */
async function inBatches(count: number, operation: (index: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += 64) {
    const batch: Promise<unknown>[] = [];
    for (let index = start; index < Math.min(count, start + 64); index += 1) batch.push(operation(index));
    await Promise.all(batch);
  }
}
