import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NamespacedCache } from '../src/index.js';
import { makeCache, randomPrefix } from './support/cache.js';

/**
 * The cache against an in-memory model: random sequences of calls from two cache instances (two
 * clients, as two processes would have) over a few namespace paths and keys. Every read must
 * agree with the model, where clearing a path clears every path below it, and invalidating a tag
 * removes every item carrying it, in every namespace (T1; and namespaces and tags compose).
 */

const NAMESPACES: readonly (string | readonly string[])[] = [
  'a',
  ['a', 'b'],
  ['a', 'b', 'c'],
  ['a', 'x'],
  'a:b', // not ['a', 'b']
  ['d'],
];
const KEYS = ['k', 'k2', '', 'ünï code', 'line\nbreak'];

const pathOf = (namespace: string | readonly string[]): readonly string[] =>
  typeof namespace === 'string' ? [namespace] : namespace;
const isBelow = (path: readonly string[], parent: readonly string[]): boolean =>
  parent.length <= path.length && parent.every((segment, index) => path[index] === segment);

const TAGS = ['t1', 't2', 't3'];

class Model {
  private readonly entries = new Map<string, { path: readonly string[]; values: Map<string, unknown> }>();
  /** The tags each item was written with, by slot and key. */
  private readonly tagsOf = new Map<Map<string, unknown>, Map<string, readonly string[]>>();
  /**
   * Items a tag invalidated, still stored under their key: never read, but `delete` finds them
   * (it resolves whether memcached had the key), until written or deleted.
   */
  private readonly invalidated = new Map<Map<string, unknown>, Set<string>>();

  private slot(namespace: string | readonly string[]): Map<string, unknown> {
    const path = pathOf(namespace);
    const id = JSON.stringify(path);
    let slot = this.entries.get(id);
    if (slot === undefined) {
      slot = { path, values: new Map() };
      this.entries.set(id, slot);
    }
    return slot.values;
  }

  get(namespace: string | readonly string[], key: string): unknown {
    return this.slot(namespace).get(key);
  }
  has(namespace: string | readonly string[], key: string): boolean {
    return this.slot(namespace).has(key);
  }
  set(namespace: string | readonly string[], key: string, value: unknown, tags: readonly string[] = []): void {
    const slot = this.slot(namespace);
    slot.set(key, value);
    this.invalidated.get(slot)?.delete(key);
    let tagged = this.tagsOf.get(slot);
    if (tagged === undefined) {
      tagged = new Map();
      this.tagsOf.set(slot, tagged);
    }
    tagged.set(key, tags);
  }
  invalidateTags(tags: readonly string[]): void {
    for (const [slot, tagged] of this.tagsOf) {
      for (const [key, itemTags] of tagged) {
        if (itemTags.some((tag) => tags.includes(tag)) && slot.has(key)) {
          slot.delete(key);
          let ghosts = this.invalidated.get(slot);
          if (ghosts === undefined) {
            ghosts = new Set();
            this.invalidated.set(slot, ghosts);
          }
          ghosts.add(key);
        }
      }
    }
  }
  delete(namespace: string | readonly string[], key: string): boolean {
    const slot = this.slot(namespace);
    const ghost = this.invalidated.get(slot)?.delete(key) === true;
    return slot.delete(key) || ghost;
  }
  deleteNamespace(namespace: string | readonly string[]): void {
    for (const slot of this.entries.values()) {
      if (isBelow(slot.path, pathOf(namespace))) {
        slot.values.clear();
        this.invalidated.get(slot.values)?.clear();
      }
    }
  }
}

interface Real {
  readonly caches: readonly [NamespacedCache, NamespacedCache];
  steps: number;
}

const value = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 4 }),
  fc.record({ name: fc.string(), price: fc.integer() }, { noNullPrototype: true }),
  fc.uint8Array({ maxLength: 8 }).map((bytes) => Buffer.from(bytes)),
);
const namespace = fc.constantFrom(...NAMESPACES);
const key = fc.constantFrom(...KEYS);
const via = fc.constantFrom(0, 1);
const tags = fc.subarray(TAGS);

type Command = fc.AsyncCommand<Model, Real>;

const command = (describe: string, check: (model: Model, real: Real) => Promise<void>): Command => ({
  check: () => true,
  run: async (model, real) => {
    real.steps += 1;
    await check(model, real);
  },
  toString: () => describe,
});

const commands = [
  fc.tuple(via, namespace, key, value).map(([cache, ns, k, v]) =>
    command(`set#${cache}(${JSON.stringify(ns)}, ${JSON.stringify(k)})`, async (model, real) => {
      expect(await real.caches[cache].set(ns, k, v)).toBe(true);
      model.set(ns, k, v);
    }),
  ),
  fc.tuple(via, namespace, key, value, tags).map(([cache, ns, k, v, t]) =>
    command(`set#${cache}(${JSON.stringify(ns)}, ${JSON.stringify(k)}, tags ${t})`, async (model, real) => {
      expect(await real.caches[cache].set(ns, k, v, { tags: t })).toBe(true);
      model.set(ns, k, v, t);
    }),
  ),
  fc.tuple(via, fc.subarray(TAGS, { minLength: 1 })).map(([cache, t]) =>
    command(`invalidateTags#${cache}(${t})`, async (model, real) => {
      await real.caches[cache].invalidateTags(t);
      model.invalidateTags(t);
    }),
  ),
  fc.tuple(via, namespace, key, value, tags).map(([cache, ns, k, v, t]) =>
    command(`getOrSet#${cache}(${JSON.stringify(ns)}, ${JSON.stringify(k)}, tags ${t})`, async (model, real) => {
      const cached = model.has(ns, k);
      const expected = cached ? model.get(ns, k) : v;
      expect(await real.caches[cache].getOrSet(ns, k, () => v, { tags: t })).toStrictEqual(expected);
      if (!cached) model.set(ns, k, v, t);
    }),
  ),
  fc.tuple(via, namespace, key).map(([cache, ns, k]) =>
    command(`get#${cache}(${JSON.stringify(ns)}, ${JSON.stringify(k)})`, async (model, real) => {
      expect(await real.caches[cache].get(ns, k)).toStrictEqual(model.get(ns, k));
    }),
  ),
  fc.tuple(via, namespace, key).map(([cache, ns, k]) =>
    command(`delete#${cache}(${JSON.stringify(ns)}, ${JSON.stringify(k)})`, async (model, real) => {
      expect(await real.caches[cache].delete(ns, k)).toBe(model.delete(ns, k));
    }),
  ),
  fc.tuple(via, namespace).map(([cache, ns]) =>
    command(`deleteNamespace#${cache}(${JSON.stringify(ns)})`, async (model, real) => {
      await real.caches[cache].deleteNamespace(ns);
      model.deleteNamespace(ns);
    }),
  ),
  fc.tuple(via, namespace, key, value).map(([cache, ns, k, v]) =>
    command(`getOrSet#${cache}(${JSON.stringify(ns)}, ${JSON.stringify(k)})`, async (model, real) => {
      const cached = model.has(ns, k); // a cached null is a hit
      const expected = cached ? model.get(ns, k) : v;
      expect(await real.caches[cache].getOrSet(ns, k, () => v)).toStrictEqual(expected);
      if (!cached) model.set(ns, k, v);
    }),
  ),
  fc.tuple(via, namespace, fc.uniqueArray(key, { maxLength: 3 })).map(([cache, ns, ks]) =>
    command(`getMulti#${cache}(${JSON.stringify(ns)}, ${JSON.stringify(ks)})`, async (model, real) => {
      const expected = ks.filter((k) => model.has(ns, k)).map((k) => [k, model.get(ns, k)]);
      expect([...(await real.caches[cache].getMulti(ns, ks)).entries()]).toStrictEqual(expected);
    }),
  ),
];

describe('the cache against a model', () => {
  it('agrees with the model over thousands of random steps from two cache instances', async (context) => {
    let steps = 0;
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 200, size: 'max' }), async (sequence) => {
        const prefix = randomPrefix();
        const real: Real = { caches: [makeCache({ prefix }), makeCache({ prefix })], steps: 0 };
        await fc.asyncModelRun(() => ({ model: new Model(), real }), sequence);
        steps += real.steps;
        await Promise.all(real.caches.map((cache) => cache.close()));
      }),
      { numRuns: 60 },
    );
    expect(steps).toBeGreaterThan(2000);
    await context.annotate(`${steps} steps checked against the model`);
  });
});
