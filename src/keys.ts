import type { Hasher } from './hash.js';

/**
 * memcached refuses keys over 250 bytes, or with spaces or control characters, and *closes the
 * connection* when it gets one; memjs then hangs every request pipelined behind it. So user keys
 * and namespaces never reach memcached as such: only their hex digests do.
 */
export const MAX_KEY_LENGTH = 250;

/** `:<h64(path)>:<gen>:<h128(key)>` — what a data key adds to the prefix. */
const DATA_KEY_SUFFIX_LENGTH = 1 + 16 + 1 + 16 + 1 + 32;

/** The longest prefix that keeps every data key (the longest key sent) within 250 bytes: 183. */
export const MAX_PREFIX_LENGTH = MAX_KEY_LENGTH - DATA_KEY_SUFFIX_LENGTH;

/** How many key digests are kept ({@link KeySpace.keyHash}), and for keys up to what length: at most ~2 MB. */
const MAX_MEMO_KEYS = 4096;
const MAX_MEMO_KEY_LENGTH = 128;

/**
 * An unambiguous encoding of a namespace path. JSON keeps `['a:b']` and `['a', 'b']` apart and
 * escapes lone surrogates, so distinct paths never encode alike.
 */
export function encodePath(path: readonly string[]): string {
  return JSON.stringify(path);
}

/**
 * The key layout of one prefix (DESIGN §3):
 * - token key `<prefix>:t:<h64(path)>`
 * - data key `<prefix>:<h64(path)>:<gen>:<h128(key)>`
 *
 * Every part after the prefix is lowercase hex of fixed length, so keys are printable ASCII without
 * spaces, at most 250 bytes, and no two prefixes, namespaces or keys can produce the same key.
 */
export class KeySpace {
  /**
   * @param prefix - a validated prefix (printable ASCII, at most {@link MAX_PREFIX_LENGTH}).
   * @param hasher - the loaded xxhash functions.
   */
  constructor(
    readonly prefix: string,
    private readonly hasher: Hasher,
  ) {}

  /**
   * The digest of an encoded namespace path. It names the path's token key, and it is part of each
   * of its data keys, so two namespaces never share data.
   */
  pathDigest(encodedPath: string): string {
    return this.hasher.h64(encodedPath);
  }

  /** The memcached key holding the token of the namespace level whose {@link pathDigest} is given. */
  tokenKey(pathDigest: string): string {
    return `${this.prefix}:t:${pathDigest}`;
  }

  /** The generation of a path: its token for one level, else the digest of every level's token. */
  generation(tokens: readonly string[]): string {
    return tokens.length === 1 ? (tokens[0] as string) : this.hasher.h64(tokens.join(':'));
  }

  /** Everything of a data key but the key's hash; shared by all keys of one generation. */
  dataKeyHead(namespaceHash: string, generation: string): string {
    return `${this.prefix}:${namespaceHash}:${generation}:`;
  }

  /**
   * The key of a data key's fleet lock (read-through/fleet-lock.ts). The data key itself plus a
   * suffix could pass 250 bytes at the longest prefix, so the lock is named by its digest; two data
   * keys sharing a lock would only make one wait for the other's load.
   */
  lockKey(dataKey: string): string {
    return `${this.prefix}:l:${this.hasher.h64(dataKey)}`;
  }

  /** Digests of keys hashed recently: most reads are of keys read before, and a lookup costs a fifth of hashing. */
  private readonly keyHashes = new Map<string, string>();

  /** The 128-bit digest of a user key: a 64-bit one collides with ~3% odds at 10^9 keys. */
  keyHash(key: string): string {
    const known = this.keyHashes.get(key);
    if (known !== undefined) return known;
    const hash = this.hasher.h128(key);
    if (key.length <= MAX_MEMO_KEY_LENGTH) {
      // Cleared when full rather than evicted one by one: a Map re-walks deleted front slots.
      if (this.keyHashes.size >= MAX_MEMO_KEYS) this.keyHashes.clear();
      this.keyHashes.set(key, hash);
    }
    return hash;
  }
}
