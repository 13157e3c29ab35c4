import { randomBytes } from 'node:crypto';
import { brotliCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { COMPRESSED, compressValue, decompressValue, MAX_INFLATED_LENGTH } from '../src/compression.js';
import { NamespacedCache } from '../src/index.js';
import { Opcode } from '../src/protocol.js';
import { errorLog, makeCache, randomPrefix, rawClient } from './support/cache.js';
import { spyOnWrites } from './support/wire.js';

const catalogue = {
  items: Array.from({ length: 2000 }, (_, id) => ({ id, name: `item number ${id}`, price: id * 1.5 })),
};

/** A cache on a client of the test's own, and the values of the sets it writes. */
function spiedCache(compression: unknown) {
  const client = rawClient();
  const prefix = randomPrefix();
  const cache = new NamespacedCache({ client, prefix, compression } as never);
  const wire = spyOnWrites(client);
  const stored = () => wire.requests().filter((request) => request.opcode === Opcode.Set);
  return { client, prefix, cache, stored };
}

describe('compression', () => {
  it('stores a large value compressed, and any cache reads it back', async () => {
    const { prefix, cache, stored } = spiedCache({ threshold: 1000 });
    expect(await cache.set('product', 'catalogue', catalogue)).toBe(true);
    const [set] = stored();
    const plainLength = Buffer.byteLength(JSON.stringify(catalogue)) + 3;
    expect((set?.value[2] as number) & COMPRESSED).toBe(COMPRESSED);
    expect(set?.value.length).toBeLessThan(plainLength / 4);
    expect(await cache.get('product', 'catalogue')).toEqual(catalogue);
    // A cache without the option (another process, or after turning it off) reads it too.
    expect(await makeCache({ prefix }).get('product', 'catalogue')).toEqual(catalogue);
    await cache.close();
  });

  it('leaves values at or under the threshold, and incompressible ones, as they are', async () => {
    const { cache, stored } = spiedCache(true);
    const random = randomBytes(40_000);
    expect(await cache.set('product', 'small', 'x'.repeat(16_384 - 3))).toBe(true);
    expect(await cache.set('product', 'random', random)).toBe(true);
    const [small, incompressible] = stored();
    expect(small?.value.length).toBe(16_384);
    expect((small?.value[2] as number) & COMPRESSED).toBe(0);
    expect(incompressible?.value.length).toBe(40_003);
    expect((incompressible?.value[2] as number) & COMPRESSED).toBe(0);
    expect(await cache.get('product', 'random')).toEqual(random);
    await cache.close();
  });

  it('reads a compressed value whose payload does not inflate as a miss, and tells onError', async () => {
    const { client, prefix, cache, stored } = spiedCache({ threshold: 10 });
    await cache.set('product', 'k', catalogue);
    const [set] = stored();
    const corrupt = Buffer.from(set?.value as Buffer);
    corrupt.fill(0x55, 3);
    await client.set(set?.key as string, corrupt, { expires: 60 });
    const log = errorLog();
    const reader = makeCache({ prefix, onError: log.onError });
    expect(await reader.get('product', 'k')).toBeUndefined();
    expect(log.errors.map((error) => error.code)).toEqual(['E_CORRUPT_VALUE']);
    await cache.close();
  });

  it('compresses the payload only: the header and a fresh-until field stay readable', () => {
    const fields = Buffer.from([0xf5, 1, 6 | 0x40, 1, 2, 3, 4, 5, 6, 7, 8]);
    const payload = Buffer.from(JSON.stringify(catalogue));
    const plain = Buffer.concat([fields, payload]);
    const stored = Buffer.from(compressValue(plain, 100));
    expect(stored.subarray(0, 2)).toEqual(fields.subarray(0, 2));
    expect(stored[2]).toBe(6 | 0x40 | COMPRESSED);
    expect(stored.subarray(3, 11)).toEqual(fields.subarray(3, 11));
    expect(decompressValue(stored)).toEqual(plain);
  });

  it('is validated at construction', () => {
    const make = (compression: unknown) => () => new NamespacedCache({ compression } as never);
    expect(make('yes')).toThrow(TypeError);
    expect(make({ level: 9 })).toThrow(TypeError);
    expect(make({ threshold: '1k' })).toThrow(/`compression.threshold` to be a whole number of bytes/);
    expect(make({ threshold: -1 })).toThrow(RangeError);
    expect(make({ threshold: 1.5 })).toThrow(RangeError);
  });
});

describe('what a compressed value may inflate to', () => {
  it('is bounded by what this cache compresses: a value that inflates past it reads as a miss', async () => {
    const { client, prefix, cache, stored } = spiedCache({ threshold: 10 });
    await cache.set('product', 'bomb', 'small');
    const [set] = stored();
    // 20 MiB of one byte, compressed: a few KB that a cache never wrote (it compresses 8 MiB at most).
    const bomb = brotliCompressSync(Buffer.alloc(20 * 1024 * 1024, 0x61));
    expect(bomb.length).toBeLessThan(100_000);
    await client.set(set?.key as string, Buffer.concat([Buffer.from([0xf5, 1, 1 | COMPRESSED]), bomb]), {
      expires: 60,
    });
    const log = errorLog();
    const reader = makeCache({ prefix, onError: log.onError });
    expect(await reader.get('product', 'bomb')).toBeUndefined();
    expect(log.errors.map((error) => error.code)).toEqual(['E_CORRUPT_VALUE']);
    await cache.close();
  });

  it('a payload over that bound is stored uncompressed, so every value written reads back', () => {
    const large = Buffer.concat([Buffer.from([0xf5, 1, 1]), Buffer.alloc(MAX_INFLATED_LENGTH + 1, 0x61)]);
    expect(compressValue(large, 16_384) === large).toBe(true);
    const largest = Buffer.concat([Buffer.from([0xf5, 1, 1]), Buffer.alloc(MAX_INFLATED_LENGTH, 0x61)]);
    const compressed = Buffer.from(compressValue(largest, 16_384));
    expect(compressed.length).toBeLessThan(10_000);
    expect(decompressValue(compressed)?.equals(largest)).toBe(true);
  });
});
