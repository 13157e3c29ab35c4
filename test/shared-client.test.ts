import { describe, expect, it } from 'vitest';
import { NamespacedCache } from '../src/index.js';
import { makeCache, randomPrefix, rawClient } from './support/cache.js';

describe('a memjs client passed in and also used directly', () => {
  it("keeps its own calls' replies its own while the cache reads the same socket", async () => {
    const client = rawClient();
    const prefix = randomPrefix();
    const cache = new NamespacedCache({ client, prefix });
    const other = new NamespacedCache({ client, prefix: `${prefix}b` }); // two caches on one client
    try {
      const big = 'x'.repeat(200_000); // replies split across socket chunks, on both sides
      await Promise.all(
        Array.from({ length: 50 }, (_, index) =>
          Promise.all([
            cache.set('ns', `k${index}`, { index, big: index % 10 === 0 ? big : '' }),
            other.set('ns', `k${index}`, -index),
            client.set(`${prefix}:own:${index}`, index % 10 === 0 ? `own-${index}-${big}` : `own-${index}`, {}),
          ]),
        ),
      );
      // Interleaved on one socket: memjs' gets, both caches' gets, a stats call (several replies to one request).
      const rounds = await Promise.all(
        Array.from({ length: 50 }, async (_, index) => {
          const [own, mine, theirs, missing] = await Promise.all([
            client.get(`${prefix}:own:${index}`),
            cache.get<{ index: number; big: string }>('ns', `k${index}`),
            other.get('ns', `k${index}`),
            client.get(`${prefix}:absent:${index}`),
          ]);
          return { index, own: own.value?.toString(), mine, theirs, missing: missing.value };
        }),
      );
      // memjs' own timers count one pending deadline per write: none may be left once all is answered.
      const server = client.servers[0] as unknown as { requestTimeouts: number[] };
      expect(server.requestTimeouts).toEqual([]);
      const stats = await new Promise<Record<string, string>>((resolve, reject) =>
        client.stats((error, _server, values) => (error ? reject(error) : resolve(values ?? {}))),
      );
      for (const { index, own, mine, theirs, missing } of rounds) {
        expect(own).toBe(index % 10 === 0 ? `own-${index}-${'x'.repeat(200_000)}` : `own-${index}`);
        expect(mine?.index).toBe(index);
        expect(mine?.big.length).toBe(index % 10 === 0 ? 200_000 : 0);
        expect(theirs).toBe(-index);
        expect(missing).toBeNull();
      }
      expect(Number(stats.curr_connections)).toBeGreaterThan(0);
    } finally {
      await Promise.all([cache.close(), other.close()]);
    }
    // The client outlives the caches it was lent to.
    expect((await client.get(`${prefix}:own:10`)).value?.toString()).toBe(`own-10-${'x'.repeat(200_000)}`);
    expect((await client.get(`${prefix}:own:11`)).value?.toString()).toBe('own-11');
  });
});

describe('large Buffer values', () => {
  it("come back as the caller's own memory, whether handed over or copied", async () => {
    const cache = makeCache();
    const big = Buffer.alloc(300_000, 7);
    const small = Buffer.from([1, 2, 3]);
    await cache.set('bytes', 'big', big);
    await cache.set('bytes', 'small', small);
    await cache.set('bytes', 'u8', new Uint8Array(big));
    const [first, second, tiny, u8] = await Promise.all([
      cache.get<Buffer>('bytes', 'big'),
      cache.get<Buffer>('bytes', 'big'),
      cache.get<Buffer>('bytes', 'small'),
      cache.get<Uint8Array>('bytes', 'u8'),
    ]);
    // Buffer#equals: a deep comparison of 300 KB element by element takes seconds.
    expect(first?.equals(big)).toBe(true);
    expect(tiny).toEqual(small);
    expect(u8).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(u8)).toBe(false);
    expect(u8?.length).toBe(300_000);
    // Changing one reply's value changes no other reply's, nor what is stored.
    first?.fill(0);
    tiny?.fill(0);
    expect(second?.equals(big)).toBe(true);
    expect(u8?.every((byte) => byte === 7)).toBe(true);
    expect((await cache.get<Buffer>('bytes', 'big'))?.equals(big)).toBe(true);
    expect(await cache.get('bytes', 'small')).toEqual(small);
  });
});
