import xxhash, { type XXHashAPI } from 'xxhash-wasm';

/** Seeds of the two digests of a key's 128-bit hash (xxhash-wasm has no xxh128). */
const KEY_SEED_A = 0x6d656d6a_732d6e73n;
const KEY_SEED_B = 0x9e3779b9_7f4a7c15n;
/**
 * Strings with lone surrogates are not valid UTF-16: encoding them to UTF-8 replaces every one with
 * U+FFFD, so `'\uD800'` and `'\uD801'` would hash alike and one key would serve the other's value.
 * Those strings are hashed as raw UTF-16 code units instead, under seeds of their own.
 */
const RAW_SEED_A = 0x243f6a88_85a308d3n;
const RAW_SEED_B = 0x13198a2e_03707344n;

/** The digests the key layout needs, as lowercase hex. */
export interface Hasher {
  /** 16 hex characters: xxh64 of the string's UTF-8 bytes. */
  h64(input: string): string;
  /** 32 hex characters: two xxh64 digests under different seeds; well defined for any JS string. */
  h128(input: string): string;
}

let hasher: Hasher | undefined;
let loading: Promise<Hasher> | undefined;

/** The hasher if the WebAssembly module has loaded, else `undefined` (see {@link loadHasher}). */
export function loadedHasher(): Hasher | undefined {
  return hasher;
}

/** Loads xxhash-wasm once per process; its WebAssembly can only be compiled asynchronously. */
export function loadHasher(): Promise<Hasher> {
  loading ??= xxhash().then((api) => {
    hasher = makeHasher(api);
    return hasher;
  });
  return loading;
}

function makeHasher(api: XXHashAPI): Hasher {
  const hex64 = (digest: bigint): string => digest.toString(16).padStart(16, '0');
  return {
    h64: (input) => api.h64ToString(input),
    h128(input) {
      if (input.isWellFormed()) return api.h64ToString(input, KEY_SEED_A) + api.h64ToString(input, KEY_SEED_B);
      const units = Buffer.from(input, 'utf16le');
      return hex64(api.h64Raw(units, RAW_SEED_A)) + hex64(api.h64Raw(units, RAW_SEED_B));
    },
  };
}
