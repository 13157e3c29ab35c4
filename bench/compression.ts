/**
 * The `compression` section: a 100 KB JSON value with and without the `compression` option —
 * throughput of gets and sets, and the memcached memory its values take (`stats` bytes, `stats slabs`
 * total_malloced), each variant on a memcached of its own so that the figures are its alone.
 */
import memjs from 'memjs';
import { startMemcached } from '../scripts/memcached.js';
import type * as Library from '../src/index.js';
import type { Mode } from './modes.js';
import { valueOfSize } from './values.js';

const { NamespacedCache } = (await import(new URL('../dist/index.js', import.meta.url).href)) as typeof Library;

/** How many distinct 100 KB values each variant stores and cycles through. */
const VALUES = 200;

/** One variant's memory figures, in bytes. */
export interface MemoryFigures {
  readonly variant: string;
  readonly bytes: number;
  readonly malloced: number;
}

function stats(client: memjs.Client, key: string): Promise<Record<string, string>> {
  return new Promise((resolve, reject) =>
    client.statsWithKey(key, (error, _server, values) => (error ? reject(error) : resolve(values ?? {}))),
  );
}

/** Memory taken by {@link VALUES} values of 100 KB JSON, compressed or not, each on a fresh memcached. */
export async function compressionMemory(): Promise<MemoryFigures[]> {
  const figures: MemoryFigures[] = [];
  for (const [variant, compression] of [
    ['uncompressed', false],
    ['compression (threshold 16384)', true],
  ] as const) {
    const server = await startMemcached({ memoryMb: 256, threads: 2 });
    const client = memjs.Client.create(server.servers, { logger: { log() {} } });
    const cache = new NamespacedCache({ servers: server.servers, prefix: 'bench-memory', compression });
    try {
      const value = valueOfSize(100_000);
      for (let index = 0; index < VALUES; index += 1) {
        if (!(await cache.set('product', `key-${index}`, value, { ttl: 3600 }))) throw new Error('set failed');
      }
      const general = await stats(client, '');
      const slabs = await stats(client, 'slabs');
      figures.push({ variant, bytes: Number(general.bytes), malloced: Number(slabs.total_malloced) });
    } finally {
      client.close();
      await cache.close();
      await server.stop();
    }
  }
  return figures;
}

/** Get and set modes of a 100 KB JSON value, with and without compression, on the bench's memcached. */
export async function compressionModes(
  servers: string,
): Promise<{ gets: Mode[]; sets: Mode[]; close(): Promise<void> }> {
  const value = valueOfSize(100_000);
  const plain = new NamespacedCache({ servers, prefix: 'bench-plain' });
  const compressed = new NamespacedCache({ servers, prefix: 'bench-compressed', compression: true });
  const key = (index: number) => `key-${index % VALUES}`;
  for (const cache of [plain, compressed]) {
    for (let index = 0; index < VALUES; index += 1) await cache.set('product', key(index), value, { ttl: 3600 });
  }
  return {
    gets: [
      { name: 'NamespacedCache', run: (index) => plain.get('product', key(index)) },
      { name: 'NamespacedCache compression', run: (index) => compressed.get('product', key(index)) },
    ],
    sets: [
      { name: 'NamespacedCache', run: (index) => plain.set('product', key(index), value, { ttl: 3600 }) },
      {
        name: 'NamespacedCache compression',
        run: (index) => compressed.set('product', key(index), value, { ttl: 3600 }),
      },
    ],
    close: async () => {
      await Promise.all([plain.close(), compressed.close()]);
    },
  };
}
