import { beforeAll, describe, expect, it, vi } from 'vitest';
import { type Hasher, loadHasher } from '../src/hash.js';
import { encodePath, KeySpace, MAX_KEY_LENGTH, MAX_PREFIX_LENGTH } from '../src/keys.js';
import { Namespaces } from '../src/namespaces.js';

let hasher: Hasher;
beforeAll(async () => {
  hasher = await loadHasher();
});

/** What memcached accepts: printable ASCII without spaces, at most 250 bytes. */
const VALID_MEMCACHED_KEY = /^[\x21-\x7e]{1,250}$/;

describe('key layout', () => {
  const awkwardKeys = [
    '',
    ' ',
    'with space',
    'tab\tand\nnewline\r\n',
    'ünïcödé 🎸 漢字',
    '\u0000\u0001\u007f',
    '\uD800',
    'x'.repeat(100_000),
  ];

  it('maps any key to a valid memcached key of at most 250 bytes, even with the longest prefix', () => {
    const keys = new KeySpace('p'.repeat(MAX_PREFIX_LENGTH), hasher);
    const state = new Namespaces(keys).of(['tenant with spaces', 'ünï\ncode', 'x'.repeat(10_000)]);
    const head = state.dataKeyHead(['0123456789abcdef', 'fedcba9876543210', '0000000000000000']);
    for (const key of awkwardKeys) {
      const dataKey = head + keys.keyHash(key);
      expect(dataKey).toMatch(VALID_MEMCACHED_KEY);
      expect(Buffer.byteLength(dataKey)).toBeLessThanOrEqual(MAX_KEY_LENGTH);
    }
    for (const level of state.levels) expect(level.tokenKey).toMatch(VALID_MEMCACHED_KEY);
    expect(Buffer.byteLength(head + keys.keyHash('k'))).toBe(MAX_KEY_LENGTH);
  });

  it('remembers recent key digests within a bound, and a remembered digest is the one hashing gives', () => {
    const keys = new KeySpace('p', hasher);
    const h128 = vi.spyOn(hasher, 'h128');
    const memo = (keys as unknown as { keyHashes: Map<string, string> }).keyHashes;
    for (let round = 0; round < 2; round += 1) {
      for (let index = 0; index < 3000; index += 1)
        expect(keys.keyHash(`key-${index}`)).toBe(hasher.h128(`key-${index}`));
    }
    // Each key hashed once by the cache (and twice more by the check above).
    expect(h128.mock.calls.length).toBe(3000 + 6000);
    for (let index = 0; index < 20_000; index += 1) keys.keyHash(`other-${index}`);
    expect(memo.size).toBeLessThanOrEqual(4096);
    keys.keyHash('x'.repeat(10_000));
    expect(memo.has('x'.repeat(10_000))).toBe(false);
    h128.mockRestore();
  });

  it('gives distinct keys distinct hashes, including strings UTF-8 cannot tell apart', () => {
    const keys = new KeySpace('p', hasher);
    const hashes = new Set(awkwardKeys.map((key) => keys.keyHash(key)));
    expect(hashes.size).toBe(awkwardKeys.length);
    // Both lone surrogates encode to U+FFFD in UTF-8.
    expect(keys.keyHash('\uD800')).not.toBe(keys.keyHash('\uD801'));
    expect(keys.keyHash('\uD800')).not.toBe(keys.keyHash('\uFFFD'));
  });

  it("keeps 'a:b' and ['a', 'b'] apart, and a string equal to its one-level path", () => {
    const namespaces = new Namespaces(new KeySpace('p', hasher));
    const flat = namespaces.of('a:b');
    const path = namespaces.of(['a', 'b']);
    expect(flat.hash).not.toBe(path.hash);
    expect(flat.levels.at(-1)?.tokenKey).not.toBe(path.levels.at(-1)?.tokenKey);
    const sameAsFlat = namespaces.of(['a:b']);
    expect(sameAsFlat.hash).toBe(flat.hash);
    expect(sameAsFlat.levels[0]).toBe(flat.levels[0]);
    expect(encodePath(['a:b'])).not.toBe(encodePath(['a', 'b']));
  });

  it('shares the token of a parent level with every path below it', () => {
    const namespaces = new Namespaces(new KeySpace('p', hasher));
    const child = namespaces.of(['tenant:lisboa', 'products']);
    const parent = namespaces.of('tenant:lisboa');
    expect(child.levels[0]).toBe(parent.levels[0]);
    expect(child.levels).toHaveLength(2);
  });

  it('refuses namespaces that are empty or not strings', () => {
    const namespaces = new Namespaces(new KeySpace('p', hasher));
    for (const bad of ['', [], [''], ['a', ''], [1], null, undefined, 42, { 0: 'a' }]) {
      expect(() => namespaces.of(bad)).toThrow(TypeError);
    }
    expect(() => namespaces.of('')).toThrow(
      'Expected the namespace to be a non-empty string or a non-empty array of non-empty strings, got ""',
    );
  });
});
