import { describe, expect, it } from 'vitest';
import { heapAfterGc } from '../scripts/heap.js';
import { loadHasher } from '../src/hash.js';
import { KeySpace } from '../src/keys.js';
import { MAX_REMEMBERED_BYTES, Namespaces } from '../src/namespaces.js';

async function namespaces(): Promise<Namespaces> {
  return new Namespaces(new KeySpace('mem', await loadHasher()));
}

describe('remembered namespaces', () => {
  // scripts/namespace-memory.ts measures 100k namespaces through a real cache; this is its quick twin.
  it('stay bounded in bytes for 20k namespaces of 10 KB each', async () => {
    const remembered = await namespaces();
    const before = await heapAfterGc();
    const padding = 'x'.repeat(10 * 1024);
    for (let index = 0; index < 20_000; index += 1) {
      remembered.of(`${index}:${padding}`);
      if (index % 2 === 0) remembered.of([`${index}`, padding]);
    }
    const grown = (await heapAfterGc()) - before;
    const { count, bytes } = remembered.remembered();
    // 96 MiB estimated, at 2 bytes a character (these take 1); unbounded, ~300 MB would stay alive.
    expect(bytes).toBeLessThanOrEqual(MAX_REMEMBERED_BYTES);
    expect(count).toBeGreaterThan(1000);
    expect(grown).toBeLessThan(64 * 1024 * 1024); // measured: ~44 MB
  });

  it("remembers 100,000 short namespaces: a multi-tenant app keeps every tenant's token", async () => {
    const remembered = await namespaces();
    const first = remembered.of('tenant-0');
    for (let index = 1; index < 100_000; index += 1) remembered.of(`tenant-${index}`);
    expect(remembered.remembered().count).toBe(100_000);
    expect(remembered.of('tenant-0')).toBe(first);
  });

  it('keeps hot namespaces while cold ones stream through (least recently used goes first)', async () => {
    const remembered = await namespaces();
    const hot = remembered.of('hot');
    const hotPath = remembered.of(['tenant', 'hot']);
    const padding = 'c'.repeat(1000); // ~5 KB estimated each: the budget is passed after ~20,000
    const coldOne = remembered.of(`cold:0:${padding}`);
    for (let index = 1; index < 20_000; index += 1) {
      remembered.of(`cold:${index}:${padding}`);
      remembered.of(['tenant', `cold:${index}:${padding}`]);
      if (index % 1000 === 0) {
        expect(remembered.of('hot')).toBe(hot);
        expect(remembered.of(['tenant', 'hot'])).toBe(hotPath);
      }
    }
    expect(remembered.remembered().bytes).toBeLessThanOrEqual(MAX_REMEMBERED_BYTES);
    expect(remembered.remembered().count).toBeLessThan(39_999);
    // Cold ones were forgotten: deriving one again gives a new state, remembered from then on.
    const cold = remembered.of(`cold:0:${padding}`);
    expect(cold).not.toBe(coldOne);
    expect(remembered.of(`cold:0:${padding}`)).toBe(cold);
  });

  it('looks a string starting with [ up as the one-level path it is, never as another path', async () => {
    const remembered = await namespaces();
    const odd = remembered.of('["a","b"]');
    const path = remembered.of(['a', 'b']);
    expect(odd).not.toBe(path);
    expect(odd.path).toEqual(['["a","b"]']);
    expect(remembered.of(['["a","b"]'])).toBe(odd);
    expect(remembered.of('["a","b"]')).toBe(odd);
  });

  it('never remembers a namespace too large to be worth it, and derives it the same way again', async () => {
    const remembered = await namespaces();
    const huge = 'y'.repeat(1024 * 1024);
    const first = remembered.of(huge);
    const second = remembered.of(huge);
    expect(second).not.toBe(first);
    expect(second.hash).toBe(first.hash);
    expect(second.levels[0]).toBe(first.levels[0]); // one live Level per token key
    expect(remembered.remembered()).toEqual({ count: 0, bytes: 0 });
  });

  it('keeps memory linear in depth for deep paths of long segments', async () => {
    const remembered = await namespaces();
    const segment = 'z'.repeat(2048);
    const before = await heapAfterGc();
    const states = Array.from({ length: 5 }, (_, index) =>
      remembered.of(Array.from({ length: 200 }, (__, level) => `${index}.${level}.${segment}`)),
    );
    const grown = (await heapAfterGc()) - before;
    // 5 paths of 200 x 2 KB segments: ~2 MB of segments; keeping every prefix's encoding, ~200 MB.
    expect(grown).toBeLessThan(24 * 1024 * 1024);
    expect(states.every((state) => state.levels.length === 200)).toBe(true);
  });

  it('keeps no large string alive behind a namespace sliced from it', async () => {
    const remembered = await namespaces();
    const before = await heapAfterGc();
    for (let index = 0; index < 100; index += 1) {
      // A tenant id cut out of a large request body: in V8 the slice points into the body.
      const body = `tenant-${String(index).padStart(6, '0')}-${'x'.repeat(1024 * 1024)}`;
      remembered.of(body.slice(0, 20));
      remembered.of(['tenant', body.slice(0, 20)]);
    }
    // Unguarded, the remembered states kept every 1 MB body: ~100 MB.
    expect((await heapAfterGc()) - before).toBeLessThan(16 * 1024 * 1024);
  });
});
